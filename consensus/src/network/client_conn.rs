//! One outgoing RPC connection: connect lazily, one request at a time, every call bounded.
//!
//! Replies are matched to requests by id: madsim (like real TCP) delivers a reply that arrived
//! after its call timed out on the same stream later, e.g. after a partition heals. A timed-out
//! or failed call also drops the connection, and the next call reconnects, so a stale reply can
//! never be taken for a fresh one; the id check is the second line of defence.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

use super::frame::{FrameError, read_frame, write_frame};
use crate::runtime::{self, timeout};

/// A message on the wire with the id that pairs a request with its reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub id: u64,
    pub body: T,
}

/// How far a failed call got, which decides whether its request may have taken effect.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Nothing was sent (connect failed or timed out): the request surely had no effect.
    #[error("cannot connect to {addr}: {reason}")]
    NotSent { addr: SocketAddr, reason: String },
    /// The request may have reached the peer, but no reply came back in time.
    #[error("no reply from {addr} within {timeout:?}")]
    Timeout { addr: SocketAddr, timeout: Duration },
    /// The request may have reached the peer; the connection then failed.
    #[error("connection to {addr} failed after sending: {source}")]
    Broken {
        addr: SocketAddr,
        #[source]
        source: FrameError,
    },
}

impl CallError {
    /// Whether the request surely never reached the peer.
    pub fn is_not_sent(&self) -> bool {
        matches!(self, CallError::NotSent { .. })
    }
}

/// A lazily (re)connected request/reply channel to one address.
#[derive(Debug)]
pub struct Connection {
    addr: SocketAddr,
    /// In a mutex only to make the connection `Sync` (openraft requires it of a network client
    /// and madsim's stream is not); access is always through `&mut self`, so it never blocks.
    stream: Mutex<Option<TcpStream>>,
    next_id: u64,
    /// The digest of the last frame sent (for observers).
    last_sent: u64,
}

impl Connection {
    pub fn new(addr: SocketAddr) -> Connection {
        Connection {
            addr,
            stream: Mutex::new(None),
            next_id: 1,
            last_sent: 0,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The digest ([`super::frame::frame_digest`]) of the last request frame this connection sent.
    pub fn last_sent(&self) -> u64 {
        self.last_sent
    }

    /// Send `req` and wait for its reply, all within `limit`. Any failure drops the connection.
    pub async fn call<Req, Resp>(&mut self, req: &Req, limit: Duration) -> Result<Resp, CallError>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
    {
        let id = self.next_id;
        self.next_id += 1;
        let addr = self.addr;
        let deadline = runtime::now() + limit;

        let slot = self.stream.get_mut().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let stream = match timeout(limit, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    return Err(CallError::NotSent {
                        addr,
                        reason: e.to_string(),
                    });
                }
                Err(_) => {
                    return Err(CallError::NotSent {
                        addr,
                        reason: format!("connect timed out after {limit:?}"),
                    });
                }
            };
            // Small RPCs must not wait for Nagle; failure to set it is harmless.
            let _ = stream.set_nodelay(true);
            *slot = Some(stream);
        }
        let Some(stream) = slot.as_mut() else {
            return Err(CallError::NotSent {
                addr,
                reason: "no stream".into(),
            });
        };

        let remaining = deadline.saturating_duration_since(runtime::now());
        let last_sent = &mut self.last_sent;
        let exchange = async {
            *last_sent = write_frame(stream, &Envelope { id, body: req }).await?;
            loop {
                let reply: Envelope<Resp> = read_frame(stream).await?;
                // Planted `stale-reply`: whatever comes next on the stream is our answer.
                if reply.id == id || faultline_engine::planted!(StaleReply) {
                    return Ok::<Resp, FrameError>(reply.body);
                }
                // A reply to an earlier call on this stream: not ours, skip it.
                tracing::debug!(%addr, stale = reply.id, want = id, "discarding stale reply");
            }
        };
        let result = timeout(remaining, exchange).await;
        match result {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(source)) => {
                *slot = None;
                Err(CallError::Broken { addr, source })
            }
            Err(_) => {
                // Planted `stale-reply`: keep the connection, late reply and all.
                if !faultline_engine::planted!(StaleReply) {
                    *slot = None;
                }
                Err(CallError::Timeout {
                    addr,
                    timeout: limit,
                })
            }
        }
    }
}
