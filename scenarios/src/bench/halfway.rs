//! The fault both bench references share: a count of acknowledged writes that signals once
//! when half of them are in, so the caller can isolate the leader at the same point of every
//! seed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::oneshot;

/// What the clients acknowledged together, and the signal for the fault at the halfway mark.
pub struct Halfway {
    acked: AtomicU64,
    halfway: u64,
    signal: Mutex<Option<oneshot::Sender<()>>>,
}

impl Halfway {
    /// A count for `writes` writes, and the receiver that hears when half are acknowledged.
    pub fn new(writes: u64) -> (Halfway, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let halfway = Halfway {
            acked: AtomicU64::new(0),
            halfway: writes / 2,
            signal: Mutex::new(Some(tx)),
        };
        (halfway, rx)
    }

    /// One more write acknowledged.
    pub fn acked_one(&self) {
        if self.acked.fetch_add(1, Ordering::Relaxed) + 1 == self.halfway
            && let Some(tx) = self.signal.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            let _ = tx.send(());
        }
    }
}
