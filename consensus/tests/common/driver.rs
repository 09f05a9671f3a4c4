//! How the cluster tests drive a cluster, on the simulated and on the real network alike: Raft
//! timing, the test collection, upserts that name their id, and retrying through elections.

use faultline_consensus::{Client, ClientError, JsonValue, WriteRequest};
use faultline_engine::{Descriptor, Metric};

/// Retry a call until it succeeds (bounded), as a test driver waiting out an election.
macro_rules! retry {
    ($what:expr, $call:expr) => {{
        let mut attempt = 0;
        loop {
            match $call.await {
                Ok(v) => break v,
                Err(e) => {
                    attempt += 1;
                    assert!(attempt < 100, "{} never succeeded: {e}", $what);
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }};
}

/// Raft timing for a test cluster named `cluster_name`.
pub fn raft_config(cluster_name: &str) -> openraft::Config {
    openraft::Config {
        cluster_name: cluster_name.into(),
        heartbeat_interval: 50,
        election_timeout_min: 300,
        election_timeout_max: 600,
        ..Default::default()
    }
}

/// An upsert to point `id` of collection `c` whose payload is `{"v": id}`.
pub fn upsert(id: u64) -> WriteRequest {
    WriteRequest::Upsert {
        collection: "c".into(),
        id,
        vector: vec![id as f32, 1.0],
        payload: JsonValue(serde_json::json!({ "v": id })),
    }
}

/// Creates collection `c` (2-dimensional, L2) through `client`, retrying through elections. A
/// retried create may find its first attempt applied: "already exists" is success.
pub async fn create_collection(client: &mut Client) {
    let create = WriteRequest::CreateCollection {
        name: "c".into(),
        descriptor: Descriptor {
            dim: 2,
            metric: Metric::L2,
        },
    };
    retry!("create", async {
        match client.write(create.clone()).await {
            Err(ClientError::Rejected(m)) if m.contains("already exists") => Ok(()),
            other => other.map(|_| ()),
        }
    });
}
