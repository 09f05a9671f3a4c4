//! raft-io's values in the observation vocabulary (`crate::observe`): log ids, entries, votes,
//! memberships and snapshots as a raft-io node reports them.
//!
//! raft-io names a leader by its term alone (one leader per term, standard Raft), so every
//! [`LogRef`] it reports carries `leader: 0`, exactly as openraft's `single-term-leader` build
//! does. Its hard state is a term plus an optional vote; a vote is never "committed" in
//! openraft's sense, so every [`VoteRef`] is reported as granted.

use faultline_engine::fnv::Fnv1a;
use raft_io::{EntryKind as RioEntryKind, HardState, LogEntry, NodeId, Snapshot};

use crate::observe::{EntryKind, EntryRef, LogRef, MembershipRef, SnapshotRef, VoteRef};

/// raft-io's separator between voters and learners in a packed configuration vector (its
/// `CONFIG_SENTINEL`, `types.rs`; not exported, so mirrored here).
pub const CONFIG_SENTINEL: NodeId = u64::MAX;

/// The log id of the entry at `index` created in `term`.
pub fn log_ref(term: u64, index: u64) -> LogRef {
    LogRef {
        term,
        leader: 0,
        index,
    }
}

/// The hard state as a vote; `None` for the initial state (term 0, no vote).
pub fn vote_ref(h: HardState) -> Option<VoteRef> {
    (h.term > 0 || h.voted_for.is_some()).then_some(VoteRef {
        term: h.term,
        node: h.voted_for,
        committed: false,
    })
}

/// A membership from its voters and learners (sorted).
pub fn membership_ref(voters: &[NodeId], learners: &[NodeId]) -> MembershipRef {
    let sorted = |ids: &[NodeId]| {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    MembershipRef {
        configs: vec![sorted(voters)],
        learners: sorted(learners),
    }
}

/// Splits raft-io's packed configuration vector into voters and learners.
pub fn split_config(config: &[NodeId]) -> (Vec<NodeId>, Vec<NodeId>) {
    match config.iter().position(|&id| id == CONFIG_SENTINEL) {
        Some(pos) => (config[..pos].to_vec(), config[pos + 1..].to_vec()),
        None => (config.to_vec(), Vec::new()),
    }
}

/// An entry with the digest of its bytes. A configuration entry (which is also what raft-io
/// appends as a new leader's no-op) is reported as a membership entry.
pub fn entry_ref(e: &LogEntry) -> EntryRef {
    let mut h = Fnv1a::new();
    let kind = match e.kind {
        RioEntryKind::Config => {
            h.write(b"config");
            let voters = e.members().unwrap_or_default();
            let learners = e.learners().unwrap_or_default();
            EntryKind::Membership {
                membership: membership_ref(&voters, &learners),
            }
        }
        RioEntryKind::Normal => {
            h.write(b"normal");
            EntryKind::Normal
        }
    };
    h.write_u64(e.command.len() as u64);
    h.write(&e.command);
    EntryRef {
        log_id: log_ref(e.term, e.index),
        digest: h.finish(),
        kind,
    }
}

/// A snapshot's metadata. raft-io records the configuration in effect at the snapshot's index
/// but not which entry established it; our payload does (`state::RioSnapshotPayload`), so
/// `membership_log_id` comes from there (`None` for the bootstrap configuration, or data that
/// is no payload of ours).
pub fn snapshot_ref(s: &Snapshot) -> SnapshotRef {
    let (voters, learners) = split_config(&s.config);
    SnapshotRef {
        last: (s.index > 0).then(|| log_ref(s.term, s.index)),
        membership_log_id: super::state::RioSnapshotPayload::config_log_id_of(&s.data),
        membership: membership_ref(&voters, &learners),
    }
}
