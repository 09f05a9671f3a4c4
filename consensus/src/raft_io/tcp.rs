//! [`TcpTransport`]: raft-io's messages over the node's TCP framing — the transport a raft-io
//! node uses in the world and in a deployment, so the simulated network (partitions, loss,
//! latency) carries them exactly as it carries openraft's RPCs.
//!
//! Each peer gets a queue and a sender task (spawned on first use, on the sending node, so it
//! dies with it). The task sends what queued up as one `Request::RioFrames` call over a
//! [`Connection`] — our length-prefixed frames, one call in flight, every call bounded by the
//! RPC timeout — and waits for the receiver's `RioAck` before it sends the next batch. A call
//! that fails drops its connection (the next one reconnects); frames a failed call carried may
//! or may not have arrived, and a refused connection loses its batch. That is the transport
//! raft-io asks for: best effort, free to drop, delay or reorder, never blocking the node. A
//! queue that grows past [`MAX_QUEUED`] (a peer cut off for long) drops its oldest frames:
//! Raft resends what still matters.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use super::transport::RioTransport;
use crate::network::client_conn::{CallError, Connection};
use crate::network::message::{Request, Response};
use crate::observe::Reporter;
use crate::type_config::NodeId;

/// Where a node listens, by id (`None`: unknown, and frames for it are dropped).
pub type Resolve = Arc<dyn Fn(NodeId) -> Option<SocketAddr> + Send + Sync>;

/// Most frames one call carries.
pub const MAX_BATCH: usize = 64;

/// Most frames queued for one peer; older ones are dropped beyond it.
pub const MAX_QUEUED: usize = 1024;

/// How long a sender waits after a refused connection before it tries again.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// raft-io frames over TCP, one sender task per peer.
#[derive(Clone)]
pub struct TcpTransport {
    inner: Arc<Inner>,
}

struct Inner {
    resolve: Resolve,
    rpc_timeout: Duration,
    reporter: Reporter,
    peers: Mutex<BTreeMap<NodeId, Arc<Queue>>>,
}

/// Frames waiting for one peer, and the wake-up of its sender task.
#[derive(Default)]
struct Queue {
    frames: Mutex<VecDeque<Vec<u8>>>,
    ready: Notify,
    dropped: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let peers: Vec<NodeId> = lock(&self.inner.peers).keys().copied().collect();
        f.debug_struct("TcpTransport")
            .field("peers", &peers)
            .field("rpc_timeout", &self.inner.rpc_timeout)
            .finish_non_exhaustive()
    }
}

impl TcpTransport {
    /// A transport that finds peers through `resolve` and bounds every call by `rpc_timeout`.
    /// Frames it writes are reported to `reporter` (the run's network digest).
    pub fn new(resolve: Resolve, rpc_timeout: Duration, reporter: Reporter) -> TcpTransport {
        TcpTransport {
            inner: Arc::new(Inner {
                resolve,
                rpc_timeout,
                reporter,
                peers: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Frames dropped so far for `peer` because its queue was full.
    pub fn dropped(&self, peer: NodeId) -> u64 {
        lock(&self.inner.peers)
            .get(&peer)
            .map_or(0, |q| *lock(&q.dropped))
    }

    fn queue(&self, to: NodeId) -> Arc<Queue> {
        let mut peers = lock(&self.inner.peers);
        if let Some(q) = peers.get(&to) {
            return q.clone();
        }
        let q = Arc::new(Queue::default());
        peers.insert(to, q.clone());
        // Spawned from the node's own task, so it runs (and dies) with the node.
        tokio::spawn(send_loop(self.inner.clone(), to, q.clone()));
        q
    }
}

impl RioTransport for TcpTransport {
    fn send(&self, _from: NodeId, to: NodeId, frame: Vec<u8>) {
        let q = self.queue(to);
        {
            let mut frames = lock(&q.frames);
            if frames.len() >= MAX_QUEUED {
                frames.pop_front();
                *lock(&q.dropped) += 1;
            }
            frames.push_back(frame);
        }
        q.ready.notify_one();
    }
}

/// Sends `q`'s frames to `to`, a batch per call, until the node dies.
async fn send_loop(inner: Arc<Inner>, to: NodeId, q: Arc<Queue>) {
    let mut conn: Option<Connection> = None;
    loop {
        let batch: Vec<Vec<u8>> = {
            let mut frames = lock(&q.frames);
            let n = frames.len().min(MAX_BATCH);
            frames.drain(..n).collect()
        };
        if batch.is_empty() {
            q.ready.notified().await;
            continue;
        }
        let Some(addr) = (inner.resolve)(to) else {
            tracing::debug!(to, "no address for a raft-io peer; frames dropped");
            continue;
        };
        if conn.as_ref().is_none_or(|c| c.addr() != addr) {
            conn = Some(Connection::new(addr));
        }
        let Some(c) = conn.as_mut() else { continue };
        let reply = c
            .call::<_, Response>(&Request::RioFrames(batch), inner.rpc_timeout)
            .await;
        match reply {
            Ok(Response::RioAck) => inner.reporter.wire(c.last_sent()),
            Ok(other) => {
                inner.reporter.wire(c.last_sent());
                tracing::debug!(
                    to,
                    ?other,
                    "a raft-io peer answered frames with another reply"
                );
            }
            Err(CallError::NotSent { .. }) => {
                // Unreachable (cut off, or not listening yet): pause instead of spinning.
                tokio::time::sleep(RECONNECT_PAUSE).await;
            }
            Err(e) => {
                inner.reporter.wire(c.last_sent());
                tracing::debug!(to, error = %e, "raft-io frames may be lost");
            }
        }
    }
}
