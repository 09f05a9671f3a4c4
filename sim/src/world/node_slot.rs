//! One server node's lifecycle: its madsim node (ip `10.0.0.<id>`), its `SimVfs` (owned here,
//! outside the node, so the disk survives the node), and the handle of its current incarnation.
//!
//! The node's madsim init task runs a `NodeProgram`: `start` (recover from the disk, listen)
//! and then `run` for as long as the node lives. madsim re-runs that init task on `restart`, so
//! a restarted node recovers from exactly the disk the world kept. `kill` is a power failure:
//! the disk drops its unsynced writes, then madsim drops every task of the node.
//!
//! The slot's shared state is written by the init task and read by the world; madsim runs both
//! on one thread, so the mutex never waits.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use faultline_engine::vfs::SimVfs;

use super::NodeId;
use super::error::WorldError;
use super::trace::{Event, Trace};

/// The port every server listens on.
pub const SERVER_PORT: u16 = 7000;

/// The ip of server `id`.
pub fn server_ip(id: NodeId) -> IpAddr {
    // Ids are validated to be small (config::MAX_NODES plus added nodes), so this cannot wrap.
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, id as u8))
}

/// The listen address of server `id`.
pub fn server_addr(id: NodeId) -> SocketAddr {
    SocketAddr::new(server_ip(id), SERVER_PORT)
}

/// A boxed, not necessarily `Send` future: node code runs on its madsim node's thread only.
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// What runs on a server node. Implemented for the consensus node by the world; the seam lets
/// the world's lifecycle be exercised with any program (and, later, another system under test).
pub trait NodeProgram: Send + Sync + 'static {
    /// The live node's handle, kept by the world for probes and admin calls.
    type Handle: Clone + Send + 'static;
    /// Recovers incarnation `incarnation` (1 at boot) of the node from `disk` and starts
    /// serving; returns once it is listening.
    fn start(&self, disk: SimVfs, incarnation: u32) -> LocalFuture<Result<Self::Handle, String>>;
    /// Runs for the rest of the incarnation's life (e.g. observes it for the trace).
    fn run(&self, handle: Self::Handle, incarnation: u32) -> LocalFuture<()>;
}

/// Where a node is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Booting,
    Up,
    Down,
    /// `start` returned an error; the node is idle until killed and restarted.
    Failed,
}

struct Shared<H> {
    status: Status,
    handle: Option<H>,
    incarnation: u32,
    failure: Option<String>,
}

/// One server of the world.
pub struct NodeSlot<H> {
    id: NodeId,
    disk: SimVfs,
    /// madsim's id of the node. Its `NodeHandle` is looked up per use: a handle taken before a
    /// restart spawns onto the dead incarnation.
    sim: madsim::task::NodeId,
    shared: Arc<Mutex<Shared<H>>>,
    trace: Trace,
}

fn lock<H>(shared: &Mutex<Shared<H>>) -> MutexGuard<'_, Shared<H>> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl<H: Clone + Send + 'static> NodeSlot<H> {
    /// Creates node `id`'s madsim node and starts its first incarnation on `disk`.
    pub fn boot<P: NodeProgram<Handle = H>>(
        id: NodeId,
        disk: SimVfs,
        program: P,
        trace: Trace,
    ) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            status: Status::Booting,
            handle: None,
            incarnation: 0,
            failure: None,
        }));
        let program = Arc::new(program);
        let init = {
            let (shared, disk, trace) = (shared.clone(), disk.clone(), trace.clone());
            move || {
                let (shared, disk, trace, program) =
                    (shared.clone(), disk.clone(), trace.clone(), program.clone());
                async move {
                    let incarnation = {
                        let mut s = lock(&shared);
                        s.incarnation += 1;
                        s.status = Status::Booting;
                        s.incarnation
                    };
                    match program.start(disk, incarnation).await {
                        Ok(handle) => {
                            {
                                let mut s = lock(&shared);
                                s.status = Status::Up;
                                s.handle = Some(handle.clone());
                            }
                            trace.record(Event::NodeStarted {
                                node: id,
                                incarnation,
                            });
                            program.run(handle, incarnation).await;
                        }
                        Err(reason) => {
                            {
                                let mut s = lock(&shared);
                                s.status = Status::Failed;
                                s.failure = Some(reason.clone());
                            }
                            trace.record(Event::NodeStartFailed { node: id, reason });
                        }
                    }
                    // The init task ending would make madsim stop the node; a node only stops
                    // when the world kills it.
                    std::future::pending::<()>().await;
                }
            }
        };
        let sim = madsim::runtime::Handle::current()
            .create_node()
            .name(format!("n{id}"))
            .ip(server_ip(id))
            .init(init)
            .build()
            .id();
        NodeSlot {
            id,
            disk,
            sim,
            shared,
            trace,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    /// madsim's id of this node (for the network authority).
    pub fn sim_id(&self) -> madsim::task::NodeId {
        self.sim
    }

    /// Runs `f` as a task of the node's current incarnation (it dies with the node).
    pub fn spawn<F>(&self, f: F) -> Result<madsim::task::JoinHandle<F::Output>, WorldError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let machine = madsim::runtime::Handle::current()
            .get_node(self.sim)
            .ok_or(WorldError::UnknownNode(self.id))?;
        Ok(machine.spawn(f))
    }

    /// The node's disk (shared with the node: faults set here fire inside it).
    pub fn disk(&self) -> &SimVfs {
        &self.disk
    }

    pub fn status(&self) -> Status {
        lock(&self.shared).status
    }

    /// Why the current incarnation failed to start (`Status::Failed`), if it did.
    pub fn failure(&self) -> Option<String> {
        let s = lock(&self.shared);
        (s.status == Status::Failed).then(|| s.failure.clone().unwrap_or_default())
    }

    /// How many times the node has been started (1 after boot).
    pub fn incarnation(&self) -> u32 {
        lock(&self.shared).incarnation
    }

    /// The live incarnation's handle.
    pub fn handle(&self) -> Result<H, WorldError> {
        let s = lock(&self.shared);
        match (&s.status, &s.handle) {
            (Status::Up, Some(h)) => Ok(h.clone()),
            (Status::Failed, _) => Err(WorldError::Boot {
                node: self.id,
                reason: s.failure.clone().unwrap_or_default(),
            }),
            _ => Err(WorldError::NodeDown(self.id)),
        }
    }

    /// Waits (in simulated time) until the current incarnation is up or has failed.
    pub async fn wait_started(&self, timeout: Duration) -> Result<H, WorldError> {
        let step = Duration::from_millis(1);
        let mut waited = Duration::ZERO;
        loop {
            match self.status() {
                Status::Booting => {}
                Status::Down => return Err(WorldError::NodeDown(self.id)),
                Status::Up | Status::Failed => return self.handle(),
            }
            if waited >= timeout {
                return Err(WorldError::Timeout {
                    what: format!("node {} to start", self.id),
                    millis: timeout.as_millis() as u64,
                });
            }
            madsim::time::sleep(step).await;
            waited += step;
        }
    }

    /// Power failure: unsynced disk writes are lost (torn if the disk's fault config says so),
    /// then every task of the node is dropped. Killing a down node is an error.
    pub fn kill(&self) -> Result<(), WorldError> {
        {
            let mut s = lock(&self.shared);
            if s.status == Status::Down {
                return Err(WorldError::NodeDown(self.id));
            }
            s.status = Status::Down;
            s.handle = None;
        }
        // No task runs between these two calls (madsim is single-threaded and we do not
        // await), so the node cannot observe a crashed disk while alive.
        let report = self.disk.crash();
        madsim::runtime::Handle::current().kill(self.sim);
        self.trace.record(Event::Killed {
            node: self.id,
            lost_writes: report.dropped_pending,
            torn: report.torn.is_some(),
        });
        Ok(())
    }

    /// Starts a new incarnation on the surviving disk and waits until it is listening.
    pub async fn restart(&self, timeout: Duration) -> Result<H, WorldError> {
        if self.status() != Status::Down {
            // madsim's restart of a live node keeps its sockets bound (AddrInUse).
            return Err(WorldError::NodeUp(self.id));
        }
        self.trace.record(Event::Restarted { node: self.id });
        lock(&self.shared).status = Status::Booting;
        madsim::runtime::Handle::current().restart(self.sim);
        self.wait_started(timeout).await
    }
}
