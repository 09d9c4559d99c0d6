//! HQ's listener: its own accept loop, so that neither strangers nor a
//! misbehaving register can take every connection or file descriptor and
//! shut elepay's webhook out. At start the soft open-files limit is raised
//! to the hard one; connections are capped in all and per address; a
//! client gets [`Limits::header_read_timeout`] to send a request's headers
//! (against slowloris; it also closes idle keep-alive connections); accept
//! errors are logged and retried after a short pause instead of spinning.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// What a client may hold open, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Open connections in all; lowered to what the open-files limit
    /// leaves after [`FD_RESERVE`].
    pub max_connections: usize,
    /// Open connections from one address; 0: no cap.
    pub max_per_address: usize,
    /// Addresses the per-address cap does not apply to: a proxy in front
    /// of HQ carries every client on its one address (loopback by default).
    pub per_address_exempt: Vec<IpAddr>,
    /// Time to send a request's headers (also how long an idle keep-alive
    /// connection stays open).
    pub header_read_timeout: Duration,
    /// Time to answer any request but an event stream (body read included).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 8192,
            // A store's registers share one public address behind NAT: a
            // stream and a request or two each.
            max_per_address: 64,
            per_address_exempt: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            header_read_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// File descriptors kept for everything but client connections: the
/// database pools, the listener, logs.
pub const FD_RESERVE: u64 = 256;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and answers the soft
/// limit now in force (systemd's default soft limit of 1024 would leave
/// room for about a thousand connections).
pub fn raise_open_files() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            let now = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft);
            tracing::warn!(error = %e, open_files = now, "cannot raise the open-files limit");
            now
        }
    }
}

/// The connection cap the open-files limit leaves room for.
pub fn connection_cap(limits: &Limits, open_files: u64) -> usize {
    let room = usize::try_from(open_files.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
    limits.max_connections.min(room).max(1)
}

/// The open connections, in all and per address.
#[derive(Debug)]
struct Gate {
    max: usize,
    per_address: usize,
    exempt: Vec<IpAddr>,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
struct Permit {
    gate: Arc<Gate>,
    ip: IpAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Full,
    Address,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // Each step is one counter change: a poisoned lock is still whole.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Refusal> {
        let ip = ip.to_canonical();
        let mut open = self.lock();
        if open.total >= self.max {
            return Err(Refusal::Full);
        }
        let capped = self.per_address > 0 && !self.exempt.contains(&ip);
        let mine = open.by_address.entry(ip).or_default();
        if capped && *mine >= self.per_address {
            return Err(Refusal::Address);
        }
        *mine += 1;
        open.total += 1;
        Ok(Permit {
            gate: self.clone(),
            ip,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.gate.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&self.ip);
            }
        }
    }
}

/// The answer to a connection over a cap, written without waiting (a
/// client that does not read it just gets the close).
fn refusal_bytes(why: Refusal) -> Vec<u8> {
    let (error, code) = match why {
        Refusal::Full => (
            "the head office has too many open connections; try again shortly",
            "too_many_connections",
        ),
        Refusal::Address => (
            "too many open connections from this address; close some and try again",
            "too_many_connections_from_address",
        ),
    };
    let body = serde_json::json!({ "error": error, "code": code }).to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Refused connections, logged at most every [`REFUSAL_LOG_EVERY`].
struct Refusals {
    since_log: u64,
    logged_at: Option<Instant>,
}

const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

impl Refusals {
    fn note(&mut self, why: Refusal, peer: IpAddr) {
        self.since_log += 1;
        if self
            .logged_at
            .is_none_or(|t| t.elapsed() >= REFUSAL_LOG_EVERY)
        {
            tracing::warn!(?why, %peer, refused = self.since_log, "connections refused over the cap");
            self.since_log = 0;
            self.logged_at = Some(Instant::now());
        }
    }
}

/// Errors that concern one connection that went away before it was
/// accepted, not the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

const ACCEPT_PAUSE_MIN: Duration = Duration::from_millis(50);
const ACCEPT_PAUSE_MAX: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` with `limits` and at most `max_connections`
/// open, until `stop` turns true: then it stops accepting, lets each
/// connection finish its request in flight (keep-alive ones close), and
/// returns once all are closed.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    max_connections: usize,
    mut stop: watch::Receiver<bool>,
) {
    let gate = Arc::new(Gate {
        max: max_connections,
        per_address: limits.max_per_address,
        exempt: limits
            .per_address_exempt
            .iter()
            .map(IpAddr::to_canonical)
            .collect(),
        open: Mutex::default(),
    });
    let mut pause = ACCEPT_PAUSE_MIN;
    let mut refusals = Refusals {
        since_log: 0,
        logged_at: None,
    };
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = stopped(&mut stop) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(c) => {
                pause = ACCEPT_PAUSE_MIN;
                c
            }
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors (EMFILE), most often: pause so
                // closing connections can make room, and say so.
                tracing::error!(error = %e, retry_ms = pause.as_millis() as u64, "cannot accept a connection");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(ACCEPT_PAUSE_MAX);
                continue;
            }
        };
        match gate.admit(peer.ip()) {
            Ok(permit) => {
                tokio::spawn(serve_connection(
                    tcp,
                    peer,
                    app.clone(),
                    limits.header_read_timeout,
                    permit,
                    stop.clone(),
                ));
            }
            Err(why) => {
                let _ = tcp.try_write(&refusal_bytes(why));
                refusals.note(why, peer.ip());
            }
        }
    }
    drop(listener);
    // Each connection closes once its request in flight is answered.
    while gate.lock().total > 0 {
        tokio::time::sleep(DRAIN_POLL).await;
    }
}

const DRAIN_POLL: Duration = Duration::from_millis(20);

/// Returns once `stop` turns true. A server whose `Running` was dropped
/// without a drain goes on serving (as a detached task would).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn serve_connection(
    tcp: TcpStream,
    peer: std::net::SocketAddr,
    app: Router,
    header_read_timeout: Duration,
    _permit: Permit,
    mut stop: watch::Receiver<bool>,
) {
    let _ = tcp.set_nodelay(true);
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        // What `ConnectInfo<SocketAddr>` extracts, as axum::serve gives it.
        req.extensions_mut().insert(ConnectInfo(peer));
        tower::ServiceExt::oneshot(app.clone(), req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(tcp), svc);
    tokio::pin!(conn);
    let served = tokio::select! {
        r = conn.as_mut() => r,
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = served {
        // A header timeout, a client gone mid-stream: its own business.
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(max: usize, per_address: usize, exempt: Vec<IpAddr>) -> Arc<Gate> {
        Arc::new(Gate {
            max,
            per_address,
            exempt,
            open: Mutex::default(),
        })
    }

    #[test]
    fn connections_are_capped_in_all_and_per_address() {
        let a: IpAddr = "203.0.113.1"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let b: IpAddr = "203.0.113.2"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let g = gate(3, 2, Vec::new());
        let a1 = g.admit(a).ok();
        let a2 = g.admit(a).ok();
        assert!(a1.is_some() && a2.is_some());
        assert_eq!(g.admit(a).err(), Some(Refusal::Address));
        // The same address written as IPv4-mapped IPv6 is the same address.
        let mapped = IpAddr::V6(Ipv4Addr::new(203, 0, 113, 1).to_ipv6_mapped());
        assert_eq!(g.admit(mapped).err(), Some(Refusal::Address));
        let b1 = g.admit(b).ok();
        assert!(b1.is_some());
        assert_eq!(g.admit(b).err(), Some(Refusal::Full));
        drop(a1);
        assert!(g.admit(a).is_ok(), "a closed connection frees its place");
        drop((a2, b1));
        assert_eq!(g.lock().total, 0);
        assert!(g.lock().by_address.is_empty());
    }

    #[test]
    fn an_exempt_address_is_capped_only_in_all() {
        let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let g = gate(3, 1, vec![proxy]);
        let held: Vec<_> = (0..3).map(|_| g.admit(proxy).ok()).collect();
        assert!(held.iter().all(Option::is_some));
        assert_eq!(g.admit(proxy).err(), Some(Refusal::Full));
    }

    #[test]
    fn the_cap_leaves_room_for_the_reserve() {
        let l = Limits::default();
        assert_eq!(connection_cap(&l, 1024), 1024 - FD_RESERVE as usize);
        assert_eq!(connection_cap(&l, 1 << 20), l.max_connections);
        assert_eq!(connection_cap(&l, 10), 1);
    }
}
