//! What a raft-io node tells its observers beyond what its log reports (`log.rs`), and the
//! status it publishes — each at the moment it becomes true:
//!
//! - an election won: raft-io persists only `{term, voted_for}`, so the moment a candidate
//!   becomes leader is reported as its vote for itself *committed* (openraft's vocabulary for
//!   "elected by a quorum"), right after the step that won it. The flag is volatile in
//!   raft-io: a restarted node recovers the vote as granted only (the checks know it);
//! - a snapshot about to be installed (`SnapshotReceived`), after the step that accepted it and
//!   before its stage reaches the disk, so a fault aimed at installs strikes mid-install;
//! - the commit point, whenever it moves (raft-io never saves it; it is the volatile commit
//!   index, in both directions, reported before the step's applies);
//! - the membership the core acts on — its voters and learners and the configuration entry
//!   they come from — whenever any of the three changes (raft-io's `MembershipChanged` fires
//!   only when the sets change, not when a new entry re-asserts them);
//! - configuration entries applied: raft-io moves its applied index over them without an
//!   `Apply` action (they take effect on append); each is reported `Applied` in index order,
//!   among the normal entries, so the applied index the checks follow is raft-io's own;
//! - the status ([`RioStatus`]) after every input.

use raft_io::{Action, RaftLog};

use super::Driver;
use crate::observe::{Observation, VoteRef};
use crate::raft_io::node::status_of;
use crate::raft_io::observe::{entry_ref, log_ref, membership_ref, snapshot_ref};

impl Driver {
    /// Reports what `step` just did that the log does not report: an election won, a
    /// snapshot accepted for install.
    pub(super) fn report_step(&mut self, actions: &[Action]) {
        let term = self.raft.term();
        if self.raft.is_leader() && self.elected != Some(term) {
            self.elected = Some(term);
            let vote = VoteRef {
                term,
                node: Some(self.raft.id()),
                committed: true,
            };
            self.reporter.report(|| Observation::VoteSaved { vote });
        }
        if actions
            .iter()
            .any(|a| matches!(a, Action::RestoreSnapshot { .. }))
            && let Some(s) = self.raft.log().snapshot()
        {
            self.reporter.report(|| Observation::SnapshotReceived {
                snapshot: snapshot_ref(&s),
            });
        }
    }

    /// Reports, in order, the configuration entries raft-io counts applied after the last
    /// reported index and up to `upto` (normal entries there are reported as their `Apply`
    /// settles).
    pub(super) fn report_applied_configs(&mut self, upto: u64) {
        let upto = upto.min(self.raft.last_applied());
        while self.reported_applied < upto {
            let index = self.reported_applied + 1;
            match self.raft.log().entry(index) {
                Some(e) if e.members().is_some() => {
                    self.reporter.report(|| Observation::Applied {
                        entry: entry_ref(&e),
                    });
                }
                // A normal entry whose `Apply` is still to come: stop before it.
                Some(_) => return,
                // Compacted away (covered by a snapshot): nothing to report.
                None => {}
            }
            self.reported_applied = index;
        }
    }

    /// Reports the commit index if it moved since the last report.
    pub(super) fn report_commit(&mut self) {
        let commit = self.raft.commit_index();
        if commit == self.reported_commit {
            return;
        }
        // Reported in both directions: a decrease is itself worth a checker's attention.
        if let Some(term) = self.raft.log().term_at(commit) {
            let committed = log_ref(term, commit);
            self.reporter
                .report(|| Observation::CommittedSaved { committed });
        }
        self.reported_commit = commit;
    }

    /// Reports the membership the core acts on, if it changed since the last report.
    pub(super) fn report_membership(&mut self) {
        let log_id = self
            .config
            .latest(self.raft.log())
            .or_else(|| self.snapshot_config());
        let membership = membership_ref(self.raft.members(), self.raft.learners());
        let now = (log_id, membership);
        if self.membership.as_ref() == Some(&now) {
            return;
        }
        let (log_id, membership) = now.clone();
        self.reporter
            .report(|| Observation::MembershipInEffect { log_id, membership });
        self.membership = Some(now);
    }

    /// Bookkeeping after every input: the commit point, role changes, membership, requests
    /// that can be answered now, the published status.
    pub(super) fn after_input(&mut self) {
        // A node that stopped mid-step (its disk failed, or lost power under it) reports no
        // more: its commit point may lead what it made durable.
        if self.fatal.is_none() {
            self.report_commit();
        }
        let leadership = (self.raft.is_leader(), self.raft.term());
        if leadership != self.leadership {
            self.pending
                .leadership_changed(leadership.0, leadership.1, self.raft.leader());
            self.leadership = leadership;
        }
        // What the driver carried out, not raft-io's applied index: a step whose log flush
        // failed advanced raft-io past `Apply` actions that never ran (their writes are
        // answered as uncertain when the node stops, not as displaced).
        self.pending.passed(
            self.reported_applied,
            self.raft.log().snapshot_index(),
            self.raft.leader(),
        );
        self.check_changes();
        if self.dormant && self.knows_a_configuration() {
            self.dormant = false;
        }
        self.report_membership();
        let log_id = self.membership.as_ref().and_then(|(id, _)| *id);
        let status = status_of(&self.raft, log_id);
        self.status.send_if_modified(|s| {
            let changed = *s != status;
            if changed {
                *s = status;
            }
            changed
        });
    }
}
