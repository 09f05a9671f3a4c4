//! Planted bugs (feature `planted-bugs`, off by default): a registry of small, realistic
//! mistakes that can be switched on, one at a time, in the real code paths of the engine and
//! of the crates built on it, to measure whether and how fast fault-injection campaigns catch
//! them.
//!
//! The active bug is per OS thread. A simulated run executes entirely on the one fresh thread
//! its seed gets, so setting the bug at the start of that thread scopes it to exactly that run;
//! seeds running in parallel on other threads are unaffected.
//!
//! Every switch site is compiled only with the feature, so a default build carries no trace of
//! any of them.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One planted bug. Each variant names the code path it breaks and the mistake it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// The leader answers a client write as soon as it is proposed, guessing the response,
    /// instead of waiting for the entry to commit and apply.
    AckBeforeCommit,
    /// The vote file is replaced without syncing the file or its directory, so a crash can roll
    /// the vote back and the node votes twice in one term.
    VoteNotDurable,
    /// The log store appends entries and reports them flushed without syncing the log file.
    LogAppendNotDurable,
    /// A log truncation only changes the in-memory log, in a log store that (like one keyed by
    /// index) relies on its truncate records alone: stale entries come back after a restart.
    TruncateNotDurable,
    /// The engine's WAL commit appends the record but skips the sync before returning `Ok`.
    EngineAckWithoutSync,
    /// Reads on the leader skip the ReadIndex round that confirms it still leads.
    StaleLocalRead,
    /// A follower answers reads from its own engine instead of redirecting to the leader.
    FollowerRead,
    /// Installing a snapshot applies its content on top of the existing engine state instead of
    /// replacing it.
    SnapshotMerges,
    /// A built snapshot carries only the Raft bookkeeping, not the engine's state.
    SnapshotWithoutEngine,
    /// An engine failure while applying a committed entry is ignored and the entry is counted
    /// as applied.
    ApplyErrorSwallowed,
    /// Collection creates skip the create lock and the leadership round, so concurrent creates
    /// can pick the same collection id from a stale high-water mark.
    CreateIdRace,
    /// WAL recovery accepts a record whose checksum does not match.
    WalAcceptsTornTail,
    /// The RPC client keeps a connection after a call timed out and takes the next reply on it
    /// for its own, whatever request it answers: a late success of an earlier append is counted
    /// for a later one.
    StaleReply,
    /// The network client of the peer with the highest id connects to the address of the peer
    /// before it (a connection table off by one): that peer's answers count twice.
    PeerAddrMixup,
    /// Entries sent to followers carry their vectors rounded to three decimals (a lossy wire
    /// encoding), so a follower's entry differs from the leader's under the same log id.
    WireLossyVector,
    /// Applying a batch of three or more entries leaves the last one out of the engine (a group
    /// commit off by one), while still answering for it.
    ApplySkipsLast,
    /// Applying a batch of three or more entries returns one answer too few.
    ApplyReplyMissing,
    /// A built snapshot records the membership of the previous snapshot, not the current one.
    SnapshotStaleMembership,
    /// Searches are answered from the local engine on any node, without confirming leadership.
    SearchLocalState,
    /// The log store reports its log durable one index further than it wrote.
    FlushReportedPastEnd,
    /// The log store tells openraft an append is flushed as soon as its write and sync are
    /// issued, before the disk has finished the sync (an fsync treated as done when queued).
    FlushBeforeSync,
    /// The state machine's snapshot directory is made without syncing its parent, so its entry
    /// (and the snapshot inside, synced as it is) can vanish in a power failure.
    SnapshotDirNotSynced,
    /// A log truncation writes its record but leaves the sync to the next append (group
    /// commit), so a power failure right after the truncation can undo it.
    TruncateSyncDeferred,
    /// The state machine answers an applied entry as soon as the engine's write is issued,
    /// before the engine's sync has finished.
    ApplyAckedBeforeSync,
}

impl Bug {
    /// Every bug, in registry order.
    pub const ALL: [Bug; 24] = [
        Bug::AckBeforeCommit,
        Bug::VoteNotDurable,
        Bug::LogAppendNotDurable,
        Bug::TruncateNotDurable,
        Bug::EngineAckWithoutSync,
        Bug::StaleLocalRead,
        Bug::FollowerRead,
        Bug::SnapshotMerges,
        Bug::SnapshotWithoutEngine,
        Bug::ApplyErrorSwallowed,
        Bug::CreateIdRace,
        Bug::WalAcceptsTornTail,
        Bug::StaleReply,
        Bug::PeerAddrMixup,
        Bug::WireLossyVector,
        Bug::ApplySkipsLast,
        Bug::ApplyReplyMissing,
        Bug::SnapshotStaleMembership,
        Bug::SearchLocalState,
        Bug::FlushReportedPastEnd,
        Bug::FlushBeforeSync,
        Bug::SnapshotDirNotSynced,
        Bug::TruncateSyncDeferred,
        Bug::ApplyAckedBeforeSync,
    ];

    /// The kebab-case name (what plans, the CLI and reports use).
    pub fn name(self) -> &'static str {
        match self {
            Bug::AckBeforeCommit => "ack-before-commit",
            Bug::VoteNotDurable => "vote-not-durable",
            Bug::LogAppendNotDurable => "log-append-not-durable",
            Bug::TruncateNotDurable => "truncate-not-durable",
            Bug::EngineAckWithoutSync => "engine-ack-without-sync",
            Bug::StaleLocalRead => "stale-local-read",
            Bug::FollowerRead => "follower-read",
            Bug::SnapshotMerges => "snapshot-merges",
            Bug::SnapshotWithoutEngine => "snapshot-without-engine",
            Bug::ApplyErrorSwallowed => "apply-error-swallowed",
            Bug::CreateIdRace => "create-id-race",
            Bug::WalAcceptsTornTail => "wal-accepts-torn-tail",
            Bug::StaleReply => "stale-reply",
            Bug::PeerAddrMixup => "peer-addr-mixup",
            Bug::WireLossyVector => "wire-lossy-vector",
            Bug::ApplySkipsLast => "apply-skips-last",
            Bug::ApplyReplyMissing => "apply-reply-missing",
            Bug::SnapshotStaleMembership => "snapshot-stale-membership",
            Bug::SearchLocalState => "search-local-state",
            Bug::FlushReportedPastEnd => "flush-reported-past-end",
            Bug::FlushBeforeSync => "flush-before-sync",
            Bug::SnapshotDirNotSynced => "snapshot-dir-not-synced",
            Bug::TruncateSyncDeferred => "truncate-sync-deferred",
            Bug::ApplyAckedBeforeSync => "apply-acked-before-sync",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no planted bug.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown planted bug {name:?} (known: {known})")]
pub struct UnknownBug {
    pub name: String,
    pub known: String,
}

impl FromStr for Bug {
    type Err = UnknownBug;

    fn from_str(s: &str) -> Result<Bug, UnknownBug> {
        Bug::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBug {
                name: s.to_string(),
                known: Bug::ALL.map(Bug::name).join(", "),
            })
    }
}

thread_local! {
    static ACTIVE: Cell<Option<Bug>> = const { Cell::new(None) };
}

/// Switches `bug` on (or all bugs off) for the rest of this thread's life.
pub fn set_active(bug: Option<Bug>) {
    ACTIVE.with(|a| a.set(bug));
}

/// The bug active on this thread, if any.
pub fn active() -> Option<Bug> {
    ACTIVE.with(Cell::get)
}

/// Whether `bug` is the active bug on this thread.
pub fn is(bug: Bug) -> bool {
    active() == Some(bug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for b in Bug::ALL {
            assert_eq!(b.name().parse::<Bug>(), Ok(b));
            let json = serde_json::to_string(&b).unwrap();
            assert_eq!(json, format!("\"{}\"", b.name()));
        }
        assert!("no-such-bug".parse::<Bug>().is_err());
    }

    #[test]
    fn the_active_bug_is_per_thread() {
        set_active(Some(Bug::AckBeforeCommit));
        assert!(is(Bug::AckBeforeCommit));
        #[allow(clippy::disallowed_methods)] // a plain unit test, not simulated code
        let other = std::thread::spawn(active).join().unwrap();
        assert_eq!(other, None);
        set_active(None);
        assert_eq!(active(), None);
    }
}
