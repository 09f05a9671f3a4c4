//! The raft-io 1.0 adapter: a second Raft under test, over the same engine, disk and client API
//! as the openraft adapter.
//!
//! | file | owns |
//! |---|---|
//! | `codec.rs` | serde mirrors of raft-io's messages, entries, snapshots and hard state; command bytes |
//! | `contents.rs` | a raft-io log's logical contents, with `RaftLog` semantics; its probe image |
//! | `log_files.rs` | the log's durable files on the `Vfs` and their recovery |
//! | `log.rs` | `RaftLog` over those files: staged writes, the flush, the power-failure probe |
//! | `state.rs` | the engine state raft-io applies into, and the snapshot payload |
//! | `requests.rs` | client requests held while raft-io works on them, and how each ends |
//! | `driver/` | the task that steps raft-io and carries out its actions in order; its client requests; its reports |
//! | `membership.rs` | which configuration entry the node acts on (for membership reports) |
//! | `node.rs` | `RioNode`: start, client requests, admin calls, probes |
//! | `transport.rs` | the transport seam and an in-process network for tests |
//! | `tcp.rs` | `TcpTransport`: raft-io frames over the node's TCP framing |
//! | `service.rs` | `RioService`: what the node's TCP server does with peer frames and client calls |
//! | `server.rs` | `RioServer`: a raft-io node on the network (listener, transport, node, service) |
//! | `observe.rs` | raft-io values in the observation vocabulary |
//!
//! # raft-io 1.0.0 as found
//!
//! (Paths are inside the `raft-io-1.0.0` crate source.)
//!
//! **Shape.** A sans-IO core: `RaftNode<L: RaftLog>::step(Event) -> Result<Vec<Action>>`
//! (`src/node.rs:726`). Events: `Tick` (logical; timing is counted in ticks), `Message`,
//! `Propose(Vec<u8>)`, `Snapshot { index, data }` (the answer to a hint), `AddServer`,
//! `RemoveServer`, `AddLearner`, `PromoteLearner`, `TransferLeadership`, `Read { id }`
//! (`src/node.rs:74-156`). Actions, to be carried out in order: `Send { to, message }`,
//! `Apply { index, term, command }`, `Snapshot { index, term }` (a hint), `RestoreSnapshot
//! { index, term, data }`, `MembershipChanged { members }` (voters only), `ReadReady { id,
//! index }` (`src/node.rs:174-250`). Both enums and `Message` are `non_exhaustive`.
//! Construction: `RaftNode::with_log(RaftConfig, log)` (`src/node.rs:411`) adopts the log's
//! hard state and starts `commit_index = last_applied = log.snapshot_index()`; the application
//! restores its state from `log.snapshot()` itself. The configuration is the latest config
//! entry in the live log, else the snapshot's, else the bootstrap `peers + id`. The core reads
//! no clock and draws jitter from a SplitMix64 seeded by `RaftConfig::with_seed`
//! (`src/rng.rs`), so it is deterministic per seed. Accessors: `role`, `term`, `leader`,
//! `commit_index`, `last_applied`, `members`, `learners`, `log()` (shared only: no `log_mut`,
//! so a log that must be flushed from outside shares its state, see `log.rs`). A proposal's
//! index is not returned: it is `log().last_index()` after the step (`src/node.rs:984-1003`).
//!
//! **Storage seam.** `RaftLog` (`src/log.rs:55`) is synchronous: reads (`last_index`,
//! `last_term`, `term_at` — `Some(0)` at index 0 and `Some(base_term)` at the snapshot base —,
//! `entry`, `entries`), writes (`append` contiguous only, `truncate(from)`,
//! `set_hard_state`, `apply_snapshot` — keeps a tail that matches the snapshot's
//! `(index, term)`, clears any other), `sync()` as the durability point (`src/log.rs:27-34`),
//! and the snapshot itself (`snapshot_index`, `snapshot()` with its data: the log stores the
//! snapshot). The hard state is `{ term, voted_for }` only (`src/types.rs:474`): raft-io does
//! **not** persist its commit index (PROTOCOL.md §2). Every write path syncs before it returns
//! from the handler: `persist_hard_state` (`src/node.rs:1950`), `propose` (`:993`), the new
//! leader's no-op (`:890`), `append_from_leader` (`:1621`), snapshot event and install
//! (`:1146`, `:1706`), `reconfigure` (`:1837`).
//!
//! **Promises** (lib docs, PROTOCOL.md §10-11): election safety (one leader per term — a
//! leader is named by its term alone), leader append-only, log matching, leader completeness,
//! state-machine safety; pre-vote and leader stickiness (a `RequestVote` is ignored outright
//! while a leader was heard within the minimum timeout, `src/node.rs:1180`); commit only of
//! current-term entries by count; pipelined batched AppendEntries (`max_batch`) with
//! conflict-hint backtracking; applies "in strictly increasing index order and each index …
//! at most once" (`src/node.rs:184-188`) — configuration entries are never applied, so applied
//! indices have gaps; a follower installs a snapshot "only if it advances beyond what [it]
//! already holds … without moving its state backwards" (PROTOCOL.md §5); single-server
//! membership changes adopted on append, one uncommitted change at a time
//! (`src/node.rs:1824`) — **no joint consensus**; learners (no quorum, never campaign);
//! leadership transfer (`TimeoutNow`, forced election; proposals refused while a transfer is
//! pending, answered `NotLeader` naming the leader itself); ReadIndex reads confirmed by a
//! `ReadProbe` quorum and released once applied through the read index; a new leader whose
//! log is not fully committed appends a no-op — a *configuration* entry re-asserting the
//! voters (`src/node.rs:884-891`) — and serves reads only after an entry of its term commits.
//! Not promised: any bound on a transfer (no abort), reads survive a step-down (they are
//! dropped silently), catch-up progress visible to the application (no progress accessor).
//!
//! # Observations: what raft-io lets us report, and when
//!
//! | event | where | care needed |
//! |---|---|---|
//! | `Recovered` | `RioLog::open` | vote = hard state (never "committed"); `committed` always `None` (not persisted); `purged` = snapshot base |
//! | `SnapshotLoaded` | `RioNode::start`, engine reset to `log.snapshot()` | membership log id from our payload |
//! | `VoteSaved` | the flush of a hard-state stage, after the device finished | — |
//! | `VoteSaved` (committed) | the driver, right after the step in which the node became leader | raft-io persists no such thing: leadership is volatile, a restart recovers the vote as granted |
//! | `SnapshotReceived` | the driver, after the step that accepted an `InstallSnapshot`, before its stage is flushed | — |
//! | `Appended` | `RaftLog::append`, before durable | config entries (and the leader no-op) are `Membership` entries |
//! | `Flushed` | the flush of the stage holding the append | — |
//! | `Truncated` | the flush of a stage that truncated (or a snapshot that dropped a tail) | — |
//! | `Purged` | the flush of a snapshot stage (`apply_snapshot`) | purge and snapshot are one operation in raft-io |
//! | `CommittedSaved` | the driver, whenever `commit_index()` moves (after the flush, before the step's applies) | raft-io never saves it: this is the volatile commit point, reported in both directions, and it restarts at the snapshot base |
//! | `Applied` | after the engine settled an `Apply` | only normal entries: applied indices skip config entries |
//! | `SnapshotBuilt` | after raft-io accepted `Event::Snapshot` and its stage is durable | — |
//! | `SnapshotInstalled` | after the engine settled a `RestoreSnapshot` | — |
//! | `MembershipInEffect` | whenever the voters, the learners or the configuration entry they come from change (and once at start) | voters from `members()`, learners from `learners()`, the entry by raft-io's rule (`membership.rs`); raft-io's own `MembershipChanged` misses learner-only changes and re-assertions |
//!
//! Log ids carry `leader: 0` (leaders are named by term).
//!
//! # In the world
//!
//! The harness boots raft-io nodes as [`RioServer`]s through the system seam
//! (`crate::system`): peers talk over [`TcpTransport`] (our frames, carried by the simulated
//! network), clients over the same protocol as openraft nodes ([`RioService`]), and the power
//! probes read [`RioLogProbe`] and [`recover_image`] as they read the openraft log store's.

pub mod codec;
pub mod contents;
mod driver;
pub mod log;
pub mod log_files;
mod membership;
pub mod node;
pub mod observe;
mod requests;
pub mod server;
pub mod service;
pub mod state;
pub mod tcp;
pub mod transport;

pub use contents::{Contents, RioLogImage};
pub use log::{ProbedRioLog, RioLog, RioLogHandle, RioLogProbe, recover_image};
pub use node::{RioNode, RioNodeConfig, RioStatus, RioTiming};
pub use server::{RioServer, RioServerConfig};
pub use service::RioService;
pub use state::{RioEngineState, RioSnapshotPayload, RioState};
pub use tcp::{Resolve, TcpTransport};
pub use transport::{Inbox, MemoryNet, RioTransport};
