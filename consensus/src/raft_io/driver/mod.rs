//! The task that drives one raft-io node: it owns the `RaftNode`, feeds it one event at a time
//! (a tick of the simulated clock, a peer message, a client request, an admin call), makes the
//! log durable, and carries out the returned actions in order.
//!
//! After every `step`: first what the step itself tells the observers (an election won, a
//! snapshot about to be installed), then the log's flush (`log.rs`: each stage raft-io synced
//! is written and the device waited for), then the commit point if it moved, then the actions,
//! in raft-io's order — `Send` frames the message onto the transport; `Apply` stages the entry
//! in the engine, waits for the engine's disk, settles it and answers the proposing client;
//! `Snapshot` (raft-io's hint) snapshots the engine and hands it back as `Event::Snapshot`,
//! whose own actions run next; `RestoreSnapshot` restores the engine (staged, waited for,
//! settled); `MembershipChanged` is reported; `ReadReady` serves the read it releases. Nothing
//! a peer or client sees happens before the state it depends on is durable. A storage or
//! engine failure stops the node (raft-io: "a node that cannot persist its state must not
//! continue participating").
//!
//! Files: `mod.rs` (the loop, stepping, actions, snapshots), `client.rs` (client requests and
//! membership changes), `reports.rs` (observations and the published status).

mod client;
mod reports;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_engine::fnv::Fnv1a;
use faultline_engine::vfs::Vfs;
use raft_io::{Action, Error as RioError, Event, LogEntry, RaftLog, RaftNode};
use tokio::sync::{mpsc, watch};

use super::codec::{decode_message, encode_message};
use super::log::{RioLog, RioLogHandle};
use super::membership::ConfigTracker;
use super::node::{Input, RioStatus, lock};
use super::observe::{entry_ref, snapshot_ref};
use super::requests::Pending;
use super::state::{RioSnapshotPayload, RioState};
use super::transport::RioTransport;
use crate::api::ServerError;
use crate::disk;
use crate::observe::{LogRef, MembershipRef, Observation, Reporter};
use crate::type_config::NodeId;

pub(crate) struct Driver {
    raft: RaftNode<RioLog>,
    log: RioLogHandle,
    state: Arc<Mutex<RioState>>,
    status: watch::Sender<RioStatus>,
    vfs: Arc<dyn Vfs>,
    transport: Arc<dyn RioTransport>,
    reporter: Reporter,
    rx: mpsc::UnboundedReceiver<Input>,
    tick: Duration,
    request_timeout: Duration,
    pending: Pending,
    /// The commit index last reported, and the (leader, term) last seen.
    reported_commit: u64,
    /// The applied index last reported (configuration entries included, see `reports.rs`).
    reported_applied: u64,
    leadership: (bool, u64),
    /// The term whose election this node last reported winning.
    elected: Option<u64>,
    /// The configuration entry in effect, tracked for membership reports.
    config: ConfigTracker,
    /// The membership last reported (log id of its entry, voters and learners).
    membership: Option<(Option<LogRef>, MembershipRef)>,
    /// A joining node that has not yet heard of any configuration from the group: no ticks
    /// (see `RioNodeConfig::joining`).
    dormant: bool,
    /// Why the node stopped, once it must.
    fatal: Option<String>,
}

/// A refused step in the client's vocabulary (nothing was proposed).
fn refused(e: RioError, me: NodeId) -> ServerError {
    match e {
        // raft-io answers `NotLeader` naming itself while a leadership transfer is pending.
        RioError::NotLeader { leader: Some(l) } if l == me => {
            ServerError::Unavailable("leadership transfer in progress".into())
        }
        RioError::NotLeader { leader } => ServerError::NotLeader {
            leader_id: leader,
            leader_addr: None,
        },
        RioError::ConfigInProgress => {
            ServerError::Unavailable("a configuration change is in progress".into())
        }
        other => ServerError::Unavailable(other.to_string()),
    }
}

impl Driver {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        raft: RaftNode<RioLog>,
        log: RioLogHandle,
        state: Arc<Mutex<RioState>>,
        status: watch::Sender<RioStatus>,
        vfs: Arc<dyn Vfs>,
        transport: Arc<dyn RioTransport>,
        reporter: Reporter,
        rx: mpsc::UnboundedReceiver<Input>,
        tick: Duration,
        request_timeout: Duration,
        joining: bool,
    ) -> Driver {
        let reported_commit = raft.commit_index();
        let reported_applied = raft.last_applied();
        let mut driver = Driver {
            raft,
            log,
            state,
            status,
            vfs,
            transport,
            reporter,
            rx,
            tick,
            request_timeout,
            pending: Pending::default(),
            reported_commit,
            reported_applied,
            leadership: (false, 0),
            elected: None,
            config: ConfigTracker::default(),
            membership: None,
            dormant: false,
            fatal: None,
        };
        driver.dormant = joining && !driver.knows_a_configuration();
        driver
    }

    pub(crate) async fn run(mut self) {
        self.after_input();
        let mut next_tick = crate::runtime::now() + self.tick;
        loop {
            let input = tokio::select! {
                biased;
                () = tokio::time::sleep_until(next_tick) => None,
                i = self.rx.recv() => match i {
                    Some(i) => Some(i),
                    None => break,
                },
            };
            match input {
                None => {
                    let now = crate::runtime::now();
                    next_tick = (next_tick + self.tick).max(now + self.tick / 2);
                    if !self.dormant {
                        let _ = self.drive(Event::Tick).await;
                    }
                    self.pending.expire(now);
                }
                Some(Input::Frame(bytes)) => match decode_message(&bytes) {
                    Ok((_, message)) => {
                        let _ = self.drive(Event::Message(message)).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "dropping an undecodable frame"),
                },
                Some(Input::Client(req, reply)) => self.client(req, reply).await,
                Some(Input::Transfer(target, reply)) => {
                    let me = self.raft.id();
                    let r = self.drive(Event::TransferLeadership(target)).await;
                    let _ = reply.send(r.map_err(|e| refused(e, me)));
                }
                Some(Input::Snapshot(reply)) => {
                    let r = self.snapshot_now().await;
                    let _ = reply.send(r);
                }
                Some(Input::Stop) => {
                    self.fatal = Some("node stopped".into());
                }
            }
            // Work the input unlocked: writes resolved after their read, promotions after
            // their learner committed.
            loop {
                self.after_input();
                if self.fatal.is_some() {
                    break;
                }
                if !self.pending.deferred.is_empty() {
                    let d = self.pending.deferred.remove(0);
                    self.propose(d).await;
                } else if !self.pending.promotions.is_empty() {
                    let (learner, reply) = self.pending.promotions.remove(0);
                    self.change(Event::PromoteLearner(learner), None, reply)
                        .await;
                } else {
                    break;
                }
            }
            if let Some(why) = self.fatal.clone() {
                self.pending.fail_all(&why);
                self.status.send_modify(|s| s.stopped = Some(why));
                break;
            }
        }
    }

    /// Steps raft-io with `event`, makes its log changes durable, then carries out its actions.
    /// A refusal (not the leader, a change in progress …) is returned; a storage failure
    /// stops the node.
    async fn drive(&mut self, event: Event) -> Result<(), RioError> {
        if let Some(why) = &self.fatal {
            return Err(RioError::storage("step", why));
        }
        let actions = match self.raft.step(event) {
            Ok(a) => a,
            Err(e) => {
                if matches!(e, RioError::Storage { .. }) {
                    self.fatal = Some(e.to_string());
                }
                return Err(e);
            }
        };
        self.report_step(&actions);
        if let Err(e) = self.log.flush().await {
            self.fatal = Some(format!("raft-io log: {e}"));
            return Err(RioError::storage("flush log", e));
        }
        // Before any `Apply` of this step: an entry is reported committed before applied. A
        // step that installs a snapshot moves the commit point into it: that is reported once
        // the snapshot is (`restore`), so a commit point is never ahead of what the node holds.
        if !actions
            .iter()
            .any(|a| matches!(a, Action::RestoreSnapshot { .. }))
        {
            self.report_commit();
        }
        self.execute(actions).await;
        self.report_commit();
        self.report_applied_configs(self.raft.last_applied());
        Ok(())
    }

    async fn execute(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            if self.fatal.is_some() {
                return;
            }
            match action {
                Action::Send { to, message } => match encode_message(self.raft.id(), &message) {
                    Ok(frame) => {
                        if self.reporter.active() {
                            let mut h = Fnv1a::new();
                            h.write(&frame);
                            self.reporter.wire(h.finish());
                        }
                        self.transport.send(self.raft.id(), to, frame);
                    }
                    Err(e) => tracing::error!(error = %e, "cannot encode a raft-io message"),
                },
                Action::Apply {
                    index,
                    term,
                    command,
                } => self.apply(index, term, command).await,
                Action::Snapshot { index, term } => {
                    let more = self.build_snapshot(index, term).await;
                    for a in more.into_iter().rev() {
                        queue.push_front(a);
                    }
                }
                Action::RestoreSnapshot { index, term, data } => {
                    self.restore(index, term, &data).await;
                }
                Action::MembershipChanged { .. } => self.report_membership(),
                Action::ReadReady { id, .. } => {
                    let s = lock(&self.state);
                    self.pending.read_ready(id, &s);
                }
                other => tracing::warn!(?other, "raft-io action unknown to this driver"),
            }
        }
    }

    async fn apply(&mut self, index: u64, term: u64, command: Vec<u8>) {
        let staged = lock(&self.state).stage(term, index, &command);
        let staged = match staged {
            Ok(s) => s,
            Err(e) => {
                self.fatal = Some(e.to_string());
                return;
            }
        };
        disk::settle(&*self.vfs).await;
        let resp = lock(&self.state).settle(staged);
        self.report_applied_configs(index.saturating_sub(1));
        self.reporter.report(|| Observation::Applied {
            entry: entry_ref(&LogEntry::new(term, index, command)),
        });
        self.reported_applied = self.reported_applied.max(index);
        self.pending.applied(index, term, resp, self.raft.leader());
    }

    /// Answers raft-io's snapshot hint: the engine as of `(term, index)` becomes the snapshot
    /// raft-io compacts to. Returns the actions of that step.
    async fn build_snapshot(&mut self, index: u64, term: u64) -> Vec<Action> {
        // The snapshot compacts the log: report the configuration entries it covers first.
        self.report_applied_configs(index);
        let config = ConfigTracker::at(self.raft.log(), index, self.snapshot_config());
        let data = lock(&self.state).payload(term, index, config).encode();
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                self.fatal = Some(e.to_string());
                return Vec::new();
            }
        };
        let actions = match self.raft.step(Event::Snapshot { index, data }) {
            Ok(a) => a,
            Err(e) => {
                self.fatal = Some(e.to_string());
                return Vec::new();
            }
        };
        if let Err(e) = self.log.flush().await {
            self.fatal = Some(format!("raft-io log: {e}"));
            return Vec::new();
        }
        let log = self.raft.log();
        if log.snapshot_index() == index
            && let Some(s) = log.snapshot()
        {
            self.reporter.report(|| Observation::SnapshotBuilt {
                snapshot: snapshot_ref(&s),
            });
        }
        self.log.report_snapshot_changes();
        actions
    }

    async fn restore(&mut self, index: u64, term: u64, data: &[u8]) {
        let payload = match RioSnapshotPayload::decode(data, index, term) {
            Ok(p) => p,
            Err(e) => {
                self.fatal = Some(e.to_string());
                return;
            }
        };
        if let Err(e) = lock(&self.state).stage_restore(&payload) {
            self.fatal = Some(e.to_string());
            return;
        }
        disk::settle(&*self.vfs).await;
        lock(&self.state).settle_restore(&payload);
        self.reported_applied = index;
        if let Some(s) = self.raft.log().snapshot() {
            self.reporter.report(|| Observation::SnapshotInstalled {
                snapshot: snapshot_ref(&s),
            });
        }
        self.log.report_snapshot_changes();
        self.report_commit();
    }

    /// A snapshot of everything applied so far, on request.
    async fn snapshot_now(&mut self) -> Result<u64, ServerError> {
        let index = self.raft.last_applied();
        if index <= self.raft.log().snapshot_index() {
            return Ok(self.raft.log().snapshot_index());
        }
        let Some(term) = self.raft.log().term_at(index) else {
            return Err(ServerError::Unavailable(format!(
                "no term known at {index}"
            )));
        };
        let actions = self.build_snapshot(index, term).await;
        self.execute(actions).await;
        match &self.fatal {
            Some(why) => Err(ServerError::Unavailable(why.clone())),
            None => Ok(self.raft.log().snapshot_index()),
        }
    }

    /// The configuration entry the node's snapshot names (`None`: bootstrap, or no snapshot).
    fn snapshot_config(&self) -> Option<LogRef> {
        self.raft
            .log()
            .snapshot()
            .and_then(|s| RioSnapshotPayload::config_log_id_of(&s.data))
    }

    /// Whether the node's log or snapshot holds a configuration it got from the group.
    fn knows_a_configuration(&mut self) -> bool {
        self.raft.log().snapshot_index() > 0 || self.config.latest(self.raft.log()).is_some()
    }
}
