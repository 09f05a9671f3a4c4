//! The node's RPC server: accepts TCP connections and answers framed requests in order.
//!
//! Each connection is served by its own task, one request at a time (callers keep at most one
//! request in flight per connection). Everything stops when the node's shutdown signal fires.
//! What a request does is the [`Handler`]'s business: the openraft node's `Service`, or the
//! raft-io node's `raft_io::RioService` — one framing and one client protocol for both.

use std::future::Future;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::network::client_conn::Envelope;
use crate::network::frame::{FrameError, read_frame, write_frame};
use crate::network::message::{Request, Response};
use crate::observe::Reporter;

/// What a node does with each request it serves.
pub trait Handler: Send + Sync + 'static {
    /// Serves one request.
    fn handle(&self, req: Request) -> impl Future<Output = Response> + Send;
    /// Where the node reports (its replies' frames, among others).
    fn reporter(&self) -> &Reporter;
}

/// Resolves once `rx` says the node is shutting down (or its sender is gone).
pub async fn shutdown_signalled(rx: &mut watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Accept connections until shutdown.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    service: Arc<H>,
    shutdown: watch::Receiver<bool>,
) {
    let mut stop = shutdown.clone();
    loop {
        let accepted = tokio::select! {
            // Shutdown first so a stopping node takes no new connections.
            biased;
            _ = shutdown_signalled(&mut stop) => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let service = service.clone();
                let mut stop = shutdown.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        biased;
                        _ = shutdown_signalled(&mut stop) => {}
                        r = serve_connection(stream, &*service) => {
                            if let Err(e) = r {
                                tracing::debug!(%peer, error = %e, "connection closed");
                            }
                        }
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "accept failed"),
        }
    }
}

async fn serve_connection<H: Handler>(
    mut stream: TcpStream,
    service: &H,
) -> Result<(), FrameError> {
    loop {
        let req: Envelope<Request> = match read_frame(&mut stream).await {
            Ok(r) => r,
            Err(FrameError::Closed) => return Ok(()),
            Err(e) => return Err(e),
        };
        let body = service.handle(req.body).await;
        let sent = write_frame(&mut stream, &Envelope { id: req.id, body }).await?;
        service.reporter().wire(sent);
    }
}
