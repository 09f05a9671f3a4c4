//! Code paths that only planted bugs take (feature `planted-bugs`; see
//! `faultline_engine::planted`). The switches themselves sit at the real call sites; this file
//! holds the few lines a bug needs that have no place in the correct code.

use faultline_engine::WalOp;

use crate::api::{ClientReply, ServerError, WriteResponse};
use crate::state_machine::{SharedState, lock_state};
use crate::type_config::{Command, Raft};

/// `ack-before-commit`: hand the entry to Raft and answer at once with the response the apply
/// would probably give, without waiting for the entry to commit (or even to be appended).
pub async fn ack_on_propose(
    raft: &Raft,
    state: &SharedState,
    request_id: u64,
    op: WalOp,
) -> Result<ClientReply, ServerError> {
    // What the apply would observe if it ran now.
    let applied = lock_state(state).observe(&op);
    let log_index = raft.metrics().borrow().last_log_index.map_or(1, |i| i + 1);
    let outcome = raft
        .client_write_ff(Command::new(request_id, op))
        .await
        .map_err(|f| ServerError::Uncertain(f.to_string()))?;
    // The receiver of the real outcome is dropped: nobody waits for the commit.
    drop(outcome);
    Ok(ClientReply::Written(WriteResponse { log_index, applied }))
}

/// `wire-lossy-vector`: the entries as a lossy wire encoding would deliver them, every upsert's
/// vector rounded to three decimals.
pub fn lossy_vectors(
    mut rpc: openraft::raft::AppendEntriesRequest<crate::type_config::TypeConfig>,
) -> openraft::raft::AppendEntriesRequest<crate::type_config::TypeConfig> {
    for e in &mut rpc.entries {
        if let openraft::EntryPayload::Normal(cmd) = &mut e.payload
            // A copy when shared: the sender's own log keeps the exact vector.
            && let WalOp::Upsert { vector, .. } = std::sync::Arc::make_mut(&mut cmd.op)
            && let Ok(v) = faultline_engine::vector_from_bytes(vector)
        {
            let rounded: Vec<f32> = v.iter().map(|x| (x * 1000.0).round() / 1000.0).collect();
            *vector = faultline_engine::vector_to_bytes(&rounded);
        }
    }
    rpc
}
