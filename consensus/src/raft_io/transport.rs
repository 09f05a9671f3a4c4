//! How a raft-io node's messages reach its peers: the [`RioTransport`] seam, the [`Inbox`] a
//! transport delivers into, and [`MemoryNet`], an in-process network for tests.
//!
//! A transport moves opaque frames (`codec::encode_message`): best effort, never blocking the
//! node, free to drop, delay or reorder — Raft tolerates all three. The world's TCP transport
//! (our length-prefixed framing over `tokio::net`, partitioned by the simulator) is the one the
//! harness will use; [`MemoryNet`] delivers at once through channels, with links that tests
//! cut and heal, so a cluster can run inside a madsim runtime without the network stack.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::node::Input;
use crate::type_config::NodeId;

/// Sends frames to peers.
pub trait RioTransport: Send + Sync + fmt::Debug + 'static {
    /// Hands `frame` (from `from`) to the network for `to`. Returns at once; delivery is best
    /// effort.
    fn send(&self, from: NodeId, to: NodeId, frame: Vec<u8>);
}

/// Where a transport delivers frames for one node.
#[derive(Debug, Clone)]
pub struct Inbox(pub(crate) mpsc::UnboundedSender<Input>);

impl Inbox {
    /// Delivers a frame; false if the node is gone.
    pub fn deliver(&self, frame: Vec<u8>) -> bool {
        self.0.send(Input::Frame(frame)).is_ok()
    }
}

/// An in-process network: each node registers its inbox, and every link can be cut.
#[derive(Debug, Clone, Default)]
pub struct MemoryNet {
    inner: Arc<Mutex<NetInner>>,
}

#[derive(Debug, Default)]
struct NetInner {
    inboxes: BTreeMap<NodeId, Inbox>,
    /// Directed links that drop every frame.
    cut: BTreeSet<(NodeId, NodeId)>,
    delivered: u64,
    dropped: u64,
}

impl MemoryNet {
    pub fn new() -> MemoryNet {
        MemoryNet::default()
    }

    fn lock(&self) -> MutexGuard<'_, NetInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Routes frames for `id` to `inbox` (a restarted node registers again).
    pub fn register(&self, id: NodeId, inbox: Inbox) {
        self.lock().inboxes.insert(id, inbox);
    }

    /// Drops frames from `from` to `to` until [`MemoryNet::heal`].
    pub fn cut(&self, from: NodeId, to: NodeId) {
        self.lock().cut.insert((from, to));
    }

    /// Cuts every link to and from `id`.
    pub fn isolate(&self, id: NodeId, peers: impl IntoIterator<Item = NodeId>) {
        let mut n = self.lock();
        for p in peers {
            n.cut.insert((id, p));
            n.cut.insert((p, id));
        }
    }

    /// Restores every link.
    pub fn heal(&self) {
        self.lock().cut.clear();
    }

    /// Frames delivered and dropped so far.
    pub fn counts(&self) -> (u64, u64) {
        let n = self.lock();
        (n.delivered, n.dropped)
    }
}

impl RioTransport for MemoryNet {
    fn send(&self, from: NodeId, to: NodeId, frame: Vec<u8>) {
        let mut n = self.lock();
        let ok = !n.cut.contains(&(from, to))
            && n.inboxes.get(&to).is_some_and(|inbox| inbox.deliver(frame));
        if ok {
            n.delivered += 1;
        } else {
            n.dropped += 1;
        }
    }
}
