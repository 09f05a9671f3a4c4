//! Clients of the world: each `WorldClient` runs on its own simulated machine (ip
//! `10.0.1.<k>`) and talks to the servers over the simulated network through the consensus
//! crate's real `Client`, so partitions and clogs between clients and servers apply to it.
//!
//! Every call is recorded in the trace as an `Invoke` and a `Complete` with its outcome, in the
//! history vocabulary: `Ok` (definite), `Fail` (definitely not applied), `Info` (unknown), as
//! short text (`summary`): vectors appear as digests.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use faultline_consensus::{
    Client, ClientError, Hit, Record, SearchRequest, WriteRequest, WriteResponse,
};

use super::NodeId;
use super::summary::Summary;
use super::trace::{CallOutcome, Event, Trace};

/// The ip of client machine `k`.
pub fn client_ip(k: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 1, k as u8))
}

/// A client on its own simulated machine. Cheap to clone; clones share one connection state and
/// run their calls one at a time (one client = one process of the history).
#[derive(Clone)]
pub struct WorldClient {
    id: u32,
    machine: madsim::runtime::NodeHandle,
    inner: Arc<tokio::sync::Mutex<Client>>,
    calls: Arc<AtomicU64>,
    trace: Trace,
}

impl WorldClient {
    /// Creates client machine `id` (ip `10.0.1.<id>`), knowing `members`.
    pub(crate) fn new(
        id: u32,
        members: BTreeMap<NodeId, SocketAddr>,
        timeout: Duration,
        trace: Trace,
    ) -> Self {
        let machine = madsim::runtime::Handle::current()
            .create_node()
            .name(format!("c{id}"))
            .ip(client_ip(id))
            .build();
        WorldClient {
            id,
            machine,
            // The client number tags its request ids (`id << 32 | seq`), so log entries from
            // different world clients never share an id.
            inner: Arc::new(tokio::sync::Mutex::new(Client::with_id(
                members,
                timeout,
                u64::from(id),
            ))),
            calls: Arc::default(),
            trace,
        }
    }

    /// This client's number (its history process).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// madsim's id of the client machine (for the network authority).
    pub fn sim_id(&self) -> madsim::task::NodeId {
        self.machine.id()
    }

    /// Runs `call` on the client machine, recording invoke and outcome.
    async fn call<T, F, Fut>(&self, op: String, call: F) -> Result<T, ClientError>
    where
        T: Summary + Send + 'static,
        F: FnOnce(Arc<tokio::sync::Mutex<Client>>) -> Fut,
        Fut: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        self.trace.record(Event::Invoke {
            client: self.id,
            call: n,
            op,
        });
        let result = match self.machine.spawn(call(self.inner.clone())).await {
            Ok(r) => r,
            // The machine's task is gone (never expected: clients are not killed): unknown.
            Err(e) => Err(ClientError::Indeterminate(format!("client task lost: {e}"))),
        };
        let outcome = match &result {
            Ok(v) => CallOutcome::Ok(v.summary()),
            Err(e) if e.is_definite() => CallOutcome::Fail(e.reason().to_string()),
            Err(e) => CallOutcome::Info(e.reason().to_string()),
        };
        self.trace.record(Event::Complete {
            client: self.id,
            call: n,
            outcome,
        });
        result
    }

    pub async fn write(&self, req: WriteRequest) -> Result<WriteResponse, ClientError> {
        self.call(format!("write {}", req.summary()), move |c| async move {
            c.lock().await.write(req).await
        })
        .await
    }

    /// A linearizable read.
    pub async fn read(&self, collection: &str, id: u64) -> Result<Option<Record>, ClientError> {
        let collection = collection.to_string();
        self.call(format!("read {collection}/{id}"), move |c| async move {
            c.lock().await.read(&collection, id).await
        })
        .await
    }

    pub async fn search(
        &self,
        collection: &str,
        params: SearchRequest,
    ) -> Result<Vec<Hit>, ClientError> {
        let collection = collection.to_string();
        self.call(
            format!("search {collection} {}", params.summary()),
            move |c| async move { c.lock().await.search(&collection, params).await },
        )
        .await
    }

    /// Adds `id` (listening at `addr`) as a learner, waits for it to catch up, promotes it.
    pub async fn add_voter(&self, id: NodeId, addr: SocketAddr) -> Result<(), ClientError> {
        self.call(format!("add_voter {id}"), move |c| async move {
            c.lock().await.add_voter(id, addr).await
        })
        .await
    }

    pub async fn remove_voter(&self, id: NodeId) -> Result<(), ClientError> {
        self.call(format!("remove_voter {id}"), move |c| async move {
            c.lock().await.remove_voter(id).await
        })
        .await
    }
}
