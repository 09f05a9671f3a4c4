//! The task that drives one raft-io node: it owns the `RaftNode`, feeds it one event at a time
//! (a tick of the simulated clock, a peer message, a client request, an admin call), makes the
//! log durable, and carries out the returned actions in order.
//!
//! After every `step`: first the log's flush (`log.rs`: each stage raft-io synced is written
//! and the device waited for), then the actions, in raft-io's order — `Send` frames the
//! message onto the transport; `Apply` stages the entry in the engine, waits for the engine's
//! disk, settles it and answers the proposing client; `Snapshot` (raft-io's hint) snapshots the
//! engine and hands it back as `Event::Snapshot`, whose own actions run next; `RestoreSnapshot`
//! restores the engine (staged, waited for, settled); `MembershipChanged` is reported;
//! `ReadReady` serves the read it releases. Nothing a peer or client sees happens before the
//! state it depends on is durable. A storage or engine failure stops the node (raft-io:
//! "a node that cannot persist its state must not continue participating").

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_engine::fnv::Fnv1a;
use faultline_engine::vfs::Vfs;
use raft_io::{Action, EntryKind, Error as RioError, Event, LogEntry, RaftLog, RaftNode};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::codec::{decode_message, encode_command, encode_message};
use super::log::{RioLog, RioLogHandle};
use super::node::{Input, RioStatus, lock, status_of};
use super::observe::{entry_ref, log_ref, membership_ref, snapshot_ref};
use super::requests::{AfterRead, Deferred, Pending, PendingChange, Reply, to_op};
use super::state::{RioSnapshotPayload, RioState};
use super::transport::RioTransport;
use crate::api::{ClientReply, ClientRequest, ServerError, WriteRequest};
use crate::disk;
use crate::observe::{LogRef, Observation, Reporter};
use crate::type_config::{Command, NodeId};

pub(crate) struct Driver {
    raft: RaftNode<RioLog>,
    log: RioLogHandle,
    state: Arc<Mutex<RioState>>,
    status: Arc<Mutex<RioStatus>>,
    vfs: Arc<dyn Vfs>,
    transport: Arc<dyn RioTransport>,
    reporter: Reporter,
    rx: mpsc::UnboundedReceiver<Input>,
    tick: Duration,
    request_timeout: Duration,
    pending: Pending,
    /// The commit index last reported, and the (leader, term) last seen.
    reported_commit: u64,
    leadership: (bool, u64),
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
        status: Arc<Mutex<RioStatus>>,
        vfs: Arc<dyn Vfs>,
        transport: Arc<dyn RioTransport>,
        reporter: Reporter,
        rx: mpsc::UnboundedReceiver<Input>,
        tick: Duration,
        request_timeout: Duration,
    ) -> Driver {
        let reported_commit = raft.commit_index();
        Driver {
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
            leadership: (false, 0),
            fatal: None,
        }
    }

    pub(crate) async fn run(mut self) {
        let voters = self.raft.members().to_vec();
        self.report_membership(&voters);
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
                    let _ = self.drive(Event::Tick).await;
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
                lock(&self.status).stopped = Some(why);
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
        if let Err(e) = self.log.flush().await {
            self.fatal = Some(format!("raft-io log: {e}"));
            return Err(RioError::storage("flush log", e));
        }
        self.execute(actions).await;
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
                Action::MembershipChanged { members } => self.report_membership(&members),
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
        self.reporter.report(|| Observation::Applied {
            entry: entry_ref(&LogEntry::new(term, index, command)),
        });
        self.pending.applied(index, term, resp, self.raft.leader());
    }

    /// Answers raft-io's snapshot hint: the engine as of `(term, index)` becomes the snapshot
    /// raft-io compacts to. Returns the actions of that step.
    async fn build_snapshot(&mut self, index: u64, term: u64) -> Vec<Action> {
        let data = lock(&self.state).payload(term, index).encode();
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
        if let Some(s) = self.raft.log().snapshot() {
            self.reporter.report(|| Observation::SnapshotInstalled {
                snapshot: snapshot_ref(&s),
            });
        }
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

    /// The log id of the configuration entry in effect (`None`: the snapshot's or bootstrap's).
    fn config_log_id(&self) -> Option<LogRef> {
        let log = self.raft.log();
        let base = log.snapshot_index();
        let mut i = log.last_index();
        while i > base {
            if let Some(e) = log.entry(i)
                && e.kind == EntryKind::Config
            {
                return Some(log_ref(e.term, i));
            }
            i -= 1;
        }
        None
    }

    fn report_membership(&self, voters: &[NodeId]) {
        if !self.reporter.active() {
            return;
        }
        let log_id = self.config_log_id();
        let membership = membership_ref(voters, self.raft.learners());
        self.reporter
            .report(|| Observation::MembershipInEffect { log_id, membership });
    }

    /// Bookkeeping after every input: the commit point, role changes, requests that can be
    /// answered now, the published status.
    fn after_input(&mut self) {
        let commit = self.raft.commit_index();
        if commit != self.reported_commit {
            // raft-io does not persist its commit index; this reports it as it moves (both ways:
            // a decrease is itself worth a checker's attention).
            if let Some(term) = self.raft.log().term_at(commit) {
                let committed = log_ref(term, commit);
                self.reporter
                    .report(|| Observation::CommittedSaved { committed });
            }
            self.reported_commit = commit;
        }
        let leadership = (self.raft.is_leader(), self.raft.term());
        if leadership != self.leadership {
            self.pending
                .leadership_changed(leadership.0, leadership.1, self.raft.leader());
            self.leadership = leadership;
        }
        self.pending.passed(
            self.raft.last_applied(),
            self.raft.log().snapshot_index(),
            self.raft.leader(),
        );
        self.check_changes();
        *lock(&self.status) = status_of(&self.raft);
    }

    /// Membership changes whose configuration entry committed (or was displaced).
    fn check_changes(&mut self) {
        let commit = self.raft.commit_index();
        let done: Vec<u64> = self
            .pending
            .changes
            .range(..=commit)
            .map(|(i, _)| *i)
            .collect();
        for index in done {
            let Some(c) = self.pending.changes.remove(&index) else {
                continue;
            };
            let answer = match self.raft.log().term_at(index) {
                Some(t) if t == c.term => match c.promote {
                    Some(learner) => {
                        // The learner is in; its promotion is the second change.
                        self.pending.promotions.push((learner, c.reply));
                        continue;
                    }
                    None => Ok(ClientReply::MembershipChanged { log_index: index }),
                },
                Some(_) => Err(ServerError::NotLeader {
                    leader_id: self.raft.leader(),
                    leader_addr: None,
                }),
                None => Err(ServerError::Uncertain(format!(
                    "configuration entry {index} is covered by a snapshot"
                ))),
            };
            let _ = c.reply.send(answer);
        }
    }

    async fn client(&mut self, req: ClientRequest, reply: Reply<ClientReply>) {
        if !self.raft.is_leader() {
            let _ = reply.send(Err(ServerError::NotLeader {
                leader_id: self.raft.leader(),
                leader_addr: None,
            }));
            return;
        }
        match req {
            ClientRequest::Write {
                request_id,
                request,
            } => {
                let direct = match &request {
                    WriteRequest::CreateCollection { .. } => None,
                    other => to_op(other, &lock(&self.state)).ok(),
                };
                match direct {
                    Some(op) => {
                        self.propose(Deferred {
                            request_id,
                            op,
                            reply,
                        })
                        .await;
                    }
                    // Creates take ids above everything applied, and a name this node does not
                    // know yet may be committed but not applied: read (linearize) first.
                    None => {
                        self.read(AfterRead::Write {
                            request_id,
                            request,
                            reply,
                        })
                        .await;
                    }
                }
            }
            ClientRequest::Read { collection, id } => {
                self.read(AfterRead::Get {
                    collection,
                    id,
                    reply,
                })
                .await;
            }
            ClientRequest::Search {
                collection,
                request,
            } => {
                self.read(AfterRead::Search {
                    collection,
                    request,
                    reply,
                })
                .await;
            }
            ClientRequest::AddVoter { id, .. } => {
                self.change(Event::AddLearner(id), Some(id), reply).await;
            }
            ClientRequest::RemoveVoter { id } => {
                self.change(Event::RemoveServer(id), None, reply).await;
            }
        }
    }

    fn deadline(&self) -> Instant {
        crate::runtime::now() + self.request_timeout
    }

    async fn read(&mut self, then: AfterRead) {
        let deadline = self.deadline();
        let token = self.pending.add_read(self.raft.term(), then, deadline);
        if let Err(e) = self.drive(Event::Read { id: token }).await
            && let Some(then) = self.pending.take_read(token)
        {
            let me = self.raft.id();
            then.fail(refused(e, me));
        }
    }

    /// Proposes one engine op; the client is answered when it applies (see `requests.rs`).
    async fn propose(&mut self, d: Deferred) {
        let Deferred {
            request_id,
            op,
            reply,
        } = d;
        let bytes = match encode_command(&Command { request_id, op }) {
            Ok(b) => b,
            Err(e) => {
                let _ = reply.send(Err(ServerError::Rejected(e.to_string())));
                return;
            }
        };
        let index = self.raft.log().last_index() + 1;
        let deadline = self.deadline();
        self.pending
            .add_write(index, self.raft.term(), reply, deadline);
        if let Err(e) = self.drive(Event::Propose(bytes)).await
            && let Some(reply) = self.pending.take_write(index)
        {
            let me = self.raft.id();
            let answer = match e {
                // The entry may be in the log already when the log failed.
                RioError::Storage { .. } => ServerError::Uncertain(e.to_string()),
                e => refused(e, me),
            };
            let _ = reply.send(Err(answer));
        }
    }

    /// Appends a configuration change; answered when it commits.
    async fn change(&mut self, event: Event, promote: Option<NodeId>, reply: Reply<ClientReply>) {
        let index = self.raft.log().last_index() + 1;
        let term = self.raft.term();
        if let Err(e) = self.drive(event).await {
            let me = self.raft.id();
            let _ = reply.send(Err(refused(e, me)));
            return;
        }
        if self.raft.log().last_index() < index {
            // raft-io made no change (already a member, not a learner …).
            let _ = reply.send(Ok(ClientReply::MembershipChanged {
                log_index: self.raft.commit_index(),
            }));
            return;
        }
        let deadline = self.deadline();
        self.pending.changes.insert(
            index,
            PendingChange {
                term,
                promote,
                reply,
                deadline,
            },
        );
    }
}
