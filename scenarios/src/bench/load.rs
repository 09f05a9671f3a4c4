//! The load both bench references put on their cluster: `clients` client machines sharing
//! `writes` values between them, and one fault: when half the writes are acknowledged the
//! leader is isolated (all its links clogged) for [`ISOLATION`], then healed.

use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::net::NetSim;
use tokio::sync::oneshot;

/// How long the leader stays isolated.
pub const ISOLATION: Duration = Duration::from_secs(1);

/// What the clients acknowledged together, and the signal for the fault at the halfway mark.
pub struct Halfway {
    acked: AtomicU64,
    halfway: u64,
    signal: Mutex<Option<oneshot::Sender<()>>>,
}

impl Halfway {
    /// A count for `writes` writes, and the receiver that hears when half are acknowledged.
    fn new(writes: u64) -> (Halfway, oneshot::Receiver<()>) {
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

/// What the load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Driven {
    /// Writes the clients got acknowledged.
    pub acked: u64,
    /// The Raft id of the leader isolated halfway (`None`: no leader was known then, or too
    /// few writes).
    pub isolated: Option<u64>,
}

/// Runs the load: client `k` (1-based, on its own machine at `client_ip(k)`) runs
/// `client(k, values, halfway)` over the values `k-1, k-1+clients, …` below `writes` and returns
/// how many it got acknowledged; at the halfway mark `leader()` names the leader's machine and
/// Raft id, if one is known, and that machine is isolated for [`ISOLATION`].
pub async fn drive<C, CF, L, LF>(
    writes: u64,
    clients: u64,
    client_ip: fn(u64) -> IpAddr,
    client: C,
    leader: L,
) -> Driven
where
    C: Fn(u64, Vec<u64>, Arc<Halfway>) -> CF,
    CF: Future<Output = u64> + Send + 'static,
    L: FnOnce() -> LF,
    LF: Future<Output = Option<(madsim::task::NodeId, u64)>>,
{
    let handle = madsim::runtime::Handle::current();
    let clients = clients.max(1);
    let (halfway, reached) = Halfway::new(writes);
    let halfway = Arc::new(halfway);
    let mut writers = Vec::new();
    for k in 1..=clients {
        let values: Vec<u64> = (k - 1..writes).step_by(clients as usize).collect();
        let machine = handle
            .create_node()
            .name(format!("client{k}"))
            .ip(client_ip(k))
            .build();
        writers.push(machine.spawn(client(k, values, halfway.clone())));
    }
    let mut isolated = None;
    if reached.await.is_ok()
        && let Some((machine, id)) = leader().await
    {
        isolated = Some(id);
        let net = NetSim::current();
        net.clog_node(machine);
        madsim::time::sleep(ISOLATION).await;
        net.unclog_node(machine);
    }
    let mut acked = 0;
    for writer in writers {
        acked += writer.await.expect("a client finishes");
    }
    Driven { acked, isolated }
}
