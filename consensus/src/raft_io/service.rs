//! [`RioService`]: what a raft-io node does with each request its TCP server receives — the
//! server side of [`super::tcp::TcpTransport`] and of the client protocol both systems share.
//!
//! Peer frames go straight into the node's inbox (the driver decodes and steps them in arrival
//! order) and are acknowledged at once. Client requests go to [`RioNode::request`], which has
//! the openraft service's semantics; a `NotLeader` answer gets the leader's address from the
//! node's address book, so a client is redirected as it would be by an openraft node. An
//! openraft RPC reaching a raft-io node (a misconfigured cluster) is refused as unavailable.

use std::future::Future;

use super::node::RioNode;
use super::tcp::Resolve;
use super::transport::Inbox;
use crate::api::ServerError;
use crate::network::message::{Request, Response};
use crate::observe::Reporter;
use crate::server::Handler;

/// The request handler of a raft-io node's server.
pub struct RioService {
    node: RioNode,
    inbox: Inbox,
    resolve: Resolve,
    reporter: Reporter,
}

impl std::fmt::Debug for RioService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RioService")
            .field("id", &self.node.id())
            .finish_non_exhaustive()
    }
}

impl RioService {
    pub fn new(node: RioNode, resolve: Resolve, reporter: Reporter) -> RioService {
        RioService {
            inbox: node.inbox(),
            node,
            resolve,
            reporter,
        }
    }

    async fn serve(&self, req: Request) -> Response {
        match req {
            Request::RioFrames(frames) => {
                for frame in frames {
                    if !self.inbox.deliver(frame) {
                        // The driver is gone (the node stopped); the sender will find out.
                        break;
                    }
                }
                Response::RioAck
            }
            Request::Client(c) => Response::Client(
                self.node
                    .request(c)
                    .await
                    .map_err(|e| self.with_leader_addr(e)),
            ),
            Request::AppendEntries(_)
            | Request::Vote(_)
            | Request::InstallSnapshot(_)
            | Request::FullSnapshot { .. } => Response::Client(Err(ServerError::Unavailable(
                "this node runs raft-io, not openraft".into(),
            ))),
        }
    }

    /// Fills in the address of the leader a `NotLeader` names.
    fn with_leader_addr(&self, e: ServerError) -> ServerError {
        match e {
            ServerError::NotLeader {
                leader_id: Some(l),
                leader_addr: None,
            } => ServerError::NotLeader {
                leader_id: Some(l),
                leader_addr: (self.resolve)(l).map(|a| a.to_string()),
            },
            other => other,
        }
    }
}

impl Handler for RioService {
    fn handle(&self, req: Request) -> impl Future<Output = Response> + Send {
        self.serve(req)
    }

    fn reporter(&self) -> &Reporter {
        &self.reporter
    }
}
