//! The registers' event streams: one lean http1 client connection each,
//! reading Server-Sent Events and keeping what arrived and when. A dropped
//! stream reopens after a short delay with `Last-Event-ID`, on the same
//! process or, when it refuses connections (killed), the next one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use rand::Rng as _;
use tokio::sync::{watch, Semaphore};

use crate::enrol::Register;
use crate::sse;

/// One event as a register received it.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub seq: i64,
    pub event_id: String,
    pub location_id: Option<String>,
    pub at: Instant,
}

#[derive(Debug, Default)]
pub struct Counters {
    /// Streams open now.
    pub open: AtomicUsize,
    /// Registers whose stream opened at least once.
    pub opened: AtomicUsize,
    /// Streams opened again after one ended.
    pub reconnects: AtomicU64,
    /// Opens answered other than 200 (503 while the database is away).
    pub refused: AtomicU64,
    /// Events received, all streams together.
    pub received: AtomicU64,
    /// Connections refused or broken while opening.
    pub connect_errors: AtomicU64,
}

/// What every stream task shares.
#[derive(Debug)]
pub struct Shared {
    pub addrs: Vec<SocketAddr>,
    pub counters: Counters,
    /// Streams being opened at once (HQ's pool answers 503 past its wait).
    pub opening: Semaphore,
    pub stop: watch::Receiver<bool>,
}

enum Opened {
    Stream(Incoming, tokio::task::JoinHandle<()>),
    Refused,
    Unreachable,
}

/// Runs register `reg`'s stream from `cursor` until `stop`; its receipts.
pub async fn run(reg: Register, mut cursor: i64, shared: Arc<Shared>) -> Vec<Receipt> {
    let n = shared.addrs.len();
    let mut target = reg.index % n;
    let mut stop = shared.stop.clone();
    let mut receipts = Vec::new();
    let mut ever_open = false;
    while !*stop.borrow() {
        let opened = {
            let Ok(_permit) = shared.opening.acquire().await else {
                break;
            };
            open(shared.addrs[target], &reg.token, cursor).await
        };
        let pause = match opened {
            Opened::Stream(body, conn) => {
                if ever_open {
                    shared.counters.reconnects.fetch_add(1, Relaxed);
                } else {
                    ever_open = true;
                    shared.counters.opened.fetch_add(1, Relaxed);
                }
                shared.counters.open.fetch_add(1, Relaxed);
                let stopped = read(body, &mut cursor, &mut receipts, &mut stop, &shared).await;
                shared.counters.open.fetch_sub(1, Relaxed);
                conn.abort();
                if stopped {
                    break;
                }
                jitter(200, 700)
            }
            Opened::Refused => {
                shared.counters.refused.fetch_add(1, Relaxed);
                // HQ's Retry-After.
                jitter(1000, 1500)
            }
            Opened::Unreachable => {
                shared.counters.connect_errors.fetch_add(1, Relaxed);
                target = (target + 1) % n;
                jitter(50, 250)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
    receipts
}

fn jitter(from_ms: u64, to_ms: u64) -> Duration {
    Duration::from_millis(rand::rng().random_range(from_ms..to_ms))
}

/// `GET /api/register/events` with the register's token, resuming after
/// `cursor`.
async fn open(addr: SocketAddr, token: &str, cursor: i64) -> Opened {
    let Ok(tcp) = tokio::net::TcpStream::connect(addr).await else {
        return Opened::Unreachable;
    };
    let _ = tcp.set_nodelay(true);
    let Ok((mut send, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await
    else {
        return Opened::Unreachable;
    };
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::get("/api/register/events")
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(hyper::header::ACCEPT, "text/event-stream")
        .header("last-event-id", cursor.to_string())
        .body(Empty::<Bytes>::new());
    let Ok(req) = req else {
        conn.abort();
        return Opened::Unreachable;
    };
    match tokio::time::timeout(Duration::from_secs(30), send.send_request(req)).await {
        Ok(Ok(resp)) if resp.status() == hyper::StatusCode::OK => {
            Opened::Stream(resp.into_body(), conn)
        }
        Ok(Ok(_)) => {
            conn.abort();
            Opened::Refused
        }
        _ => {
            conn.abort();
            Opened::Unreachable
        }
    }
}

/// Reads the stream until it ends (false) or the run stops (true).
async fn read(
    mut body: Incoming,
    cursor: &mut i64,
    receipts: &mut Vec<Receipt>,
    stop: &mut watch::Receiver<bool>,
    shared: &Shared,
) -> bool {
    let mut parser = sse::Parser::default();
    loop {
        let frame = tokio::select! {
            f = body.frame() => f,
            _ = stop.changed() => return true,
        };
        let Some(Ok(frame)) = frame else {
            return false;
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let Ok(messages) = parser.feed(&data) else {
            return false;
        };
        let at = Instant::now();
        for m in messages.into_iter().filter(|m| m.event == "webhook") {
            let Some(seq) = m.id.as_deref().and_then(|id| id.parse::<i64>().ok()) else {
                continue;
            };
            let (event_id, location_id) = match elepay::webhook::Event::parse(m.data.as_bytes()) {
                Ok(e) => {
                    let loc = e.location_id().map(str::to_owned);
                    (e.id, loc)
                }
                Err(_) => (String::new(), None),
            };
            receipts.push(Receipt {
                seq,
                event_id,
                location_id,
                at,
            });
            *cursor = seq;
            shared.counters.received.fetch_add(1, Relaxed);
        }
    }
}
