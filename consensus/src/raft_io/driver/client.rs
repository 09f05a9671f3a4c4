//! A raft-io node's client requests and membership changes, with the openraft service's
//! semantics (`crate::service`; how each request ends is `requests.rs`'s): writes are proposed
//! by the leader only and answered when applied, reads and searches wait for raft-io's
//! ReadIndex (`ReadReady`), creates read first (ids above everything applied), and an added
//! voter joins as a learner first and is promoted once that change committed.

use raft_io::{Event, RaftLog};
use tokio::time::Instant;

use super::{Driver, refused};
use crate::api::{ClientReply, ClientRequest, ServerError, WriteRequest};
use crate::raft_io::codec::encode_command;
use crate::raft_io::node::lock;
use crate::raft_io::requests::{AfterRead, Deferred, PendingChange, Reply, to_op};
use crate::type_config::{Command, NodeId};
use raft_io::Error as RioError;

impl Driver {
    /// Membership changes whose configuration entry committed (or was displaced).
    pub(super) fn check_changes(&mut self) {
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

    pub(super) async fn client(&mut self, req: ClientRequest, reply: Reply<ClientReply>) {
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
    pub(super) async fn propose(&mut self, d: Deferred) {
        let Deferred {
            request_id,
            op,
            reply,
        } = d;
        let bytes = match encode_command(&Command::new(request_id, op)) {
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
    pub(super) async fn change(
        &mut self,
        event: Event,
        promote: Option<NodeId>,
        reply: Reply<ClientReply>,
    ) {
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
