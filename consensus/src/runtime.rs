//! The clock-and-tasks seam: openraft's `AsyncRuntime`, written against `tokio`.
//!
//! `tokio` here is `madsim-tokio`: under `cfg(madsim)` its `spawn` and `time` are simulated, so
//! openraft's timers, election timeouts and tasks all run on the simulated clock; in a normal
//! build it is real tokio. openraft's own `TokioRuntime` is unusable for simulation because it
//! names the real `tokio` crate directly (real timers) and draws election jitter from an unseeded
//! `rand::thread_rng`. This runtime takes randomness from madsim's seeded RNG under simulation
//! and from the OS otherwise.

use std::fmt;
use std::future::Future;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use openraft::async_runtime::AsyncOneshotSendExt;
use openraft::{AsyncRuntime, OptionalSend};

/// The `AsyncRuntime` every faultline node gives openraft.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NodeRuntime;

/// A point on the runtime's clock (simulated under madsim).
///
/// A newtype because openraft's `Instant` trait cannot be implemented for a foreign type, and
/// under madsim `tokio::time::Instant` is `std::time::Instant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RtInstant(tokio::time::Instant);

impl RtInstant {
    /// The underlying `tokio` instant.
    pub fn into_inner(self) -> tokio::time::Instant {
        self.0
    }
}

impl Add<Duration> for RtInstant {
    type Output = RtInstant;
    fn add(self, rhs: Duration) -> RtInstant {
        RtInstant(self.0 + rhs)
    }
}

impl AddAssign<Duration> for RtInstant {
    fn add_assign(&mut self, rhs: Duration) {
        self.0 += rhs;
    }
}

impl Sub<Duration> for RtInstant {
    type Output = RtInstant;
    fn sub(self, rhs: Duration) -> RtInstant {
        RtInstant(self.0 - rhs)
    }
}

impl Sub<RtInstant> for RtInstant {
    type Output = Duration;
    fn sub(self, rhs: RtInstant) -> Duration {
        self.0.saturating_duration_since(rhs.0)
    }
}

impl SubAssign<Duration> for RtInstant {
    fn sub_assign(&mut self, rhs: Duration) {
        self.0 -= rhs;
    }
}

impl openraft::Instant for RtInstant {
    fn now() -> Self {
        RtInstant(now())
    }
}

/// The runtime clock's current instant.
// Under madsim `tokio::time::Instant` is std's, whose clock madsim intercepts and simulates; in a
// real build it is tokio's monotonic clock. Either way this is the runtime's clock, not the wall.
#[cfg_attr(madsim, allow(clippy::disallowed_methods))]
pub fn now() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

/// The error a [`Timeout`] yields when its deadline passes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("deadline elapsed")]
pub struct Elapsed;

/// A future bounded by a deadline on the runtime's clock.
///
/// Hand-written because madsim's `timeout` returns an unnameable, non-`Send` future and tokio's
/// `Elapsed` cannot be constructed outside tokio. Both halves are boxed so the type is `Unpin`
/// without unsafe pin projection.
pub struct Timeout<T> {
    future: Pin<Box<T>>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl<T> fmt::Debug for Timeout<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").finish_non_exhaustive()
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // The inner future is polled first so a result that is ready at the deadline wins.
        if let Poll::Ready(v) = this.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match this.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Bound `future` by `duration` on the runtime's clock.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: Box::pin(tokio::time::sleep(duration)),
    }
}

/// The sending half of the runtime's oneshot channel.
pub struct OneshotSender<T>(tokio::sync::oneshot::Sender<T>);

impl<T> fmt::Debug for OneshotSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneshotSender").finish_non_exhaustive()
    }
}

impl<T> AsyncOneshotSendExt<T> for OneshotSender<T> {
    fn send(self, t: T) -> Result<(), T> {
        self.0.send(t)
    }
}

/// The runtime's RNG: madsim's seeded global RNG under simulation.
#[cfg(madsim)]
pub type RuntimeRng = madsim::rand::GlobalRng;
/// The runtime's RNG: OS entropy outside simulation (only election jitter draws from it).
#[cfg(not(madsim))]
pub type RuntimeRng = rand::rngs::OsRng;

impl AsyncRuntime for NodeRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = tokio::task::JoinHandle<T>;
    type Sleep = tokio::time::Sleep;
    type Instant = RtInstant;
    type TimeoutError = Elapsed;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = Timeout<T>;
    type ThreadLocalRng = RuntimeRng;
    type OneshotSender<T: OptionalSend> = OneshotSender<T>;
    type OneshotReceiverError = tokio::sync::oneshot::error::RecvError;
    type OneshotReceiver<T: OptionalSend> = tokio::sync::oneshot::Receiver<T>;

    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        tokio::spawn(future)
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        tokio::time::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        tokio::time::sleep_until(deadline.0)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(
        duration: Duration,
        future: F,
    ) -> Self::Timeout<R, F> {
        timeout(duration, future)
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        Timeout {
            future: Box::pin(future),
            sleep: Box::pin(tokio::time::sleep_until(deadline.0)),
        }
    }

    fn is_panic(join_error: &Self::JoinError) -> bool {
        join_error.is_panic()
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        #[cfg(madsim)]
        {
            madsim::rand::thread_rng()
        }
        #[cfg(not(madsim))]
        {
            rand::rngs::OsRng
        }
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>)
    where
        T: OptionalSend,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (OneshotSender(tx), rx)
    }
}
