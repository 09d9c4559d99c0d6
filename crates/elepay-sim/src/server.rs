//! Accept loop. Each connection gets a kill switch (a request extension) so
//! fault injection can drop a connection without answering, or reset it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// How a killed connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KillMode {
    /// Plain close (FIN) without having sent a response.
    Drop,
    /// SO_LINGER 0, so the peer sees a TCP RST.
    Reset,
}

/// Handle placed in every request's extensions to kill its connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnKill(Arc<watch::Sender<Option<KillMode>>>);

impl ConnKill {
    pub(crate) fn fire(&self, mode: KillMode) {
        self.0.send_replace(Some(mode));
    }
}

async fn killed(rx: &mut watch::Receiver<Option<KillMode>>) -> KillMode {
    loop {
        if let Some(mode) = *rx.borrow_and_update() {
            return mode;
        }
        if rx.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// Serves connections until `shutdown` turns true.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    tokio::spawn(serve_connection(stream, router.clone(), shutdown.clone()));
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    // hyper owns the stream; a duplicate descriptor of the same socket lets
    // us set SO_LINGER later (the socket closes when both are dropped).
    let (stream, twin) = match stream.into_std() {
        Ok(std_stream) => {
            let twin = std_stream.try_clone().ok();
            match TcpStream::from_std(std_stream) {
                Ok(s) => (s, twin),
                Err(e) => {
                    tracing::warn!("cannot register connection: {e}");
                    return;
                }
            }
        }
        Err(e) => {
            tracing::warn!("cannot prepare connection: {e}");
            return;
        }
    };
    let (kill_tx, mut kill_rx) = watch::channel(None);
    let kill = ConnKill(Arc::new(kill_tx));
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(kill.clone());
        router.clone().oneshot(req)
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!("connection ended with error: {e}");
            }
        }
        mode = killed(&mut kill_rx) => {
            if mode == KillMode::Reset {
                if let Some(t) = &twin {
                    if let Err(e) = socket2::SockRef::from(t).set_linger(Some(Duration::ZERO)) {
                        tracing::warn!("cannot set SO_LINGER: {e}");
                    }
                }
            }
            tracing::debug!(?mode, "killing connection");
        }
        _ = shutdown.changed() => {}
    }
    // Dropping the connection future and the twin closes the socket.
}
