//! The register's HQ client and shipper against real HTTP servers on
//! loopback that answer as a proxy or a hostile server might: a body limit
//! smaller than HQ's (413, with or without HQ's JSON), a redirect, an
//! endless answer, an endless event line (issue 22 points 3 and 9). The
//! real HQ's limit is tested in crates/hq/tests/ship_bytes.rs.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use easyqr_app_core::secrets::HqToken;
use easyqr_pos_core::hq::client::MAX_ANSWER_BYTES;
use easyqr_pos_core::hq::{
    ship_backlog, ship_backlog_within, BatchLimit, HqClient, HqError, HqLink, LinkState,
};
use easyqr_pos_core::{ChargeRequest, Item, Register};
use easyqr_tax::{Pricing, Rounding, TaxPolicy, TaxRate};
use easyqr_test_harness::world::{world, World};
use serde_json::{json, Value};
use url::Url;

const TOKEN: &str = "hqt_R1_wire_0123456789abcdef";

/// A batch as the server saw it: its first seq, rows and body bytes.
type Seen = (i64, usize, usize);

/// What the journal server does with a batch over `limit` bytes.
#[derive(Clone, Copy, PartialEq)]
enum Refusal {
    /// HQ's 413: `{"error","code":"batch_too_large","limitBytes"}`.
    Stated,
    /// A proxy's 413: an HTML page, no figure.
    Silent,
}

/// How the server's event stream behaves.
#[derive(Clone, Copy, PartialEq)]
enum Events {
    /// Open, and nothing comes.
    Quiet,
    /// A line that never ends.
    EndlessLine,
}

struct Wire {
    limit: usize,
    refusal: Refusal,
    events: Events,
    acked: i64,
    accepted: Vec<Seen>,
    refused: Vec<Seen>,
}

type Shared = Arc<Mutex<Wire>>;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A server speaking the register side of docs/HQ-PROTOCOL.md, with a
/// body limit of its own.
async fn journal_server(limit: usize, refusal: Refusal, events: Events) -> (Url, Shared) {
    let wire = Arc::new(Mutex::new(Wire {
        limit,
        refusal,
        events,
        acked: 0,
        accepted: Vec::new(),
        refused: Vec::new(),
    }));
    let router = Router::new()
        .route("/api/register/me", get(me))
        .route("/api/register/journal", post(journal))
        .route("/api/register/events", get(stream))
        .route(
            "/api/register/events/ack",
            post(|| async { StatusCode::NO_CONTENT }),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(wire.clone());
    let addr = serve(router).await;
    (Url::parse(&format!("http://{addr}/")).unwrap(), wire)
}

async fn me(State(w): State<Shared>) -> Json<Value> {
    let acked = w.lock().unwrap().acked;
    Json(
        json!({"registerId": "R1", "store": {"name": "Wire", "locationId": null},
                "journalAcked": acked, "eventCursor": 0, "diverged": null}),
    )
}

async fn journal(State(w): State<Shared>, body: Bytes) -> Response {
    let batch: Value = serde_json::from_slice(&body).unwrap();
    let rows = batch["rows"].as_array().unwrap();
    let seqs: Vec<i64> = rows.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    let seen = (seqs.first().copied().unwrap_or(0), rows.len(), body.len());
    let mut w = w.lock().unwrap();
    if body.len() > w.limit {
        w.refused.push(seen);
        return match w.refusal {
            Refusal::Stated => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(
                    json!({"error": "batch too large", "code": "batch_too_large",
                            "limitBytes": w.limit}),
                ),
            )
                .into_response(),
            Refusal::Silent => (
                StatusCode::PAYLOAD_TOO_LARGE,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>413 Request Entity Too Large</h1></body></html>",
            )
                .into_response(),
        };
    }
    if let Some(first) = seqs.first() {
        assert!(*first <= w.acked + 1, "a gap: {first} after {}", w.acked);
        w.acked = w.acked.max(*seqs.last().unwrap());
    }
    w.accepted.push(seen);
    Json(json!({"acked": w.acked, "diverged": null})).into_response()
}

async fn stream(State(w): State<Shared>) -> Response {
    let events = w.lock().unwrap().events;
    let body = match events {
        Events::Quiet => {
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, Infallible>>())
        }
        Events::EndlessLine => {
            let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
            let head =
                futures_util::stream::once(async { Ok(Bytes::from_static(b"id: 1\ndata: ")) });
            let tail =
                futures_util::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
            Body::from_stream(futures_util::StreamExt::chain(head, tail))
        }
    };
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

fn client(base: &Url) -> HqClient {
    HqClient::new(base.clone(), HqToken::parse(TOKEN).unwrap()).unwrap()
}

fn policy() -> TaxPolicy {
    TaxPolicy {
        pricing: Pricing::Included,
        rounding: Rounding::Floor,
        default_rate: TaxRate::Standard,
    }
}

/// Rings up a sale of `lines` item lines, each named `name_len` characters.
async fn sale(w: &World, lines: usize, name_len: usize) {
    let items = (0..lines)
        .map(|i| Item {
            name: format!("{i:02}{}", "n".repeat(name_len - 2)),
            qty: 1,
            unit_price: 100,
            rate: None,
        })
        .collect();
    let req = ChargeRequest {
        items,
        ..ChargeRequest::default()
    };
    Register::new(w.engine.clone())
        .charge(&req, &policy())
        .await
        .unwrap();
}

fn head(w: &World) -> i64 {
    w.ledger.journal_head_seq().unwrap()
}

#[tokio::test]
async fn a_batch_a_proxy_refuses_is_halved_until_it_fits_and_never_sent_again() {
    let w = world().await;
    for _ in 0..25 {
        sale(&w, 10, 30).await;
    }
    let limit = 16 * 1024;
    let (base, wire) = journal_server(limit, Refusal::Silent, Events::Quiet).await;
    let mut batches = 0;
    let report = ship_backlog(&client(&base), &w.ledger, 0, false, |_, _, _| batches += 1)
        .await
        .unwrap();
    assert_eq!((report.acked, report.backlog), (head(&w), 0));
    let wire = wire.lock().unwrap();
    assert!(
        !wire.refused.is_empty(),
        "the first batch was over the limit"
    );
    assert!(wire.refused.len() <= 4, "{:?}", wire.refused);
    let mut refused = wire.refused.clone();
    refused.dedup();
    assert_eq!(refused, wire.refused, "a refused batch is never sent again");
    assert!(wire.accepted.iter().all(|(_, _, bytes)| *bytes <= limit));
    assert_eq!(batches, wire.accepted.len());
    assert_eq!(
        wire.accepted.iter().map(|(_, rows, _)| rows).sum::<usize>() as i64,
        head(&w),
        "every row shipped once"
    );
}

#[tokio::test]
async fn hqs_stated_limit_is_kept_after_its_first_413() {
    let w = world().await;
    for _ in 0..12 {
        sale(&w, 10, 30).await;
    }
    let limit = 8 * 1024;
    let (base, wire) = journal_server(limit, Refusal::Stated, Events::Quiet).await;
    let c = client(&base);
    let mut budget = BatchLimit::default();
    let report = ship_backlog_within(&c, &w.ledger, 0, false, &mut budget, |_, _, _| {})
        .await
        .unwrap();
    assert_eq!(report.acked, head(&w));
    assert!(budget.bytes() <= limit, "{}", budget.bytes());
    sale(&w, 10, 30).await;
    ship_backlog_within(
        &c,
        &w.ledger,
        report.acked,
        false,
        &mut budget,
        |_, _, _| {},
    )
    .await
    .unwrap();
    let wire = wire.lock().unwrap();
    assert_eq!(wire.refused.len(), 1, "{:?}", wire.refused);
    assert_eq!(wire.acked, head(&w));
    assert!(wire.accepted.iter().all(|(_, _, bytes)| *bytes <= limit));
}

#[tokio::test]
async fn a_row_larger_than_hq_takes_is_a_stuck_state_not_a_loop() {
    let w = world().await;
    sale(&w, 2, 10).await;
    let before = head(&w);
    // 100 lines of 40-character names: one sale.taxed row of over 8 KiB.
    sale(&w, 100, 40).await;
    let (base, wire) = journal_server(8 * 1024, Refusal::Stated, Events::Quiet).await;
    let e = ship_backlog(&client(&base), &w.ledger, 0, false, |_, _, _| {})
        .await
        .unwrap_err();
    let HqError::RowTooLarge {
        seq,
        bytes,
        limit_bytes,
    } = e.clone()
    else {
        panic!("{e:?}");
    };
    assert!(seq > before && bytes > 8 * 1024, "{e}");
    assert_eq!(limit_bytes, Some(8 * 1024));
    {
        let wire = wire.lock().unwrap();
        assert_eq!(wire.acked, seq - 1, "every row before it shipped");
        assert!(wire.refused.len() <= 3, "{:?}", wire.refused);
    }

    // The running link says so in its status line, and backs off.
    let link = HqLink::start(w.engine.clone(), base, HqToken::parse(TOKEN).unwrap()).unwrap();
    let mut rx = link.watch();
    let s = tokio::time::timeout(
        Duration::from_secs(20),
        rx.wait_for(|s| s.last_error.as_deref().is_some_and(|e| e.contains("stuck"))),
    )
    .await
    .expect("the stuck state is shown")
    .unwrap()
    .clone();
    assert_eq!(s.state, LinkState::Offline);
    let text = s.last_error.unwrap();
    assert!(text.contains(&format!("journal row {seq}")), "{text}");
    assert!(!text.contains(TOKEN));
    assert_eq!(s.acked, seq - 1);
    link.stop().await;
}

#[tokio::test]
async fn the_client_follows_no_redirect() {
    // Where the redirect points: it must never hear from the register.
    let heard = Arc::new(AtomicUsize::new(0));
    let counter = heard.clone();
    let target = serve(Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Json(json!({})) }
    }))
    .await;
    let to = format!("http://{target}/api/register/me?x=1");
    let redirecting = serve(Router::new().fallback(move || {
        let to = to.clone();
        async move { (StatusCode::FOUND, [(header::LOCATION, to)]) }
    }))
    .await;
    let c = client(&Url::parse(&format!("http://{redirecting}/")).unwrap());
    let e = c.me().await.unwrap_err();
    assert_eq!(
        e,
        HqError::Redirected {
            status: 302,
            location: Some(format!("http://{target}")),
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("redirect") && text.contains("check the configured address"),
        "{text}"
    );
    assert!(c.ship(0, 0, &[]).await.is_err());
    assert!(c.ack(1).await.is_err());
    assert_eq!(
        heard.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn an_answer_longer_than_the_cap_is_refused_unread() {
    // 10 MiB announced by Content-Length, and an endless one without.
    let big = serve(Router::new().fallback(|| async { vec![b' '; 10 * 1024 * 1024] })).await;
    let endless = serve(Router::new().fallback(|| async {
        let chunk = Bytes::from(vec![b' '; 16 * 1024]);
        Body::from_stream(futures_util::stream::repeat_with(move || {
            Ok::<_, Infallible>(chunk.clone())
        }))
    }))
    .await;
    for addr in [big, endless] {
        let c = client(&Url::parse(&format!("http://{addr}/")).unwrap());
        let e = tokio::time::timeout(Duration::from_secs(20), c.me())
            .await
            .expect("refused, not read to the end")
            .unwrap_err();
        assert_eq!(
            e,
            HqError::BadAnswer(format!(
                "the answer is longer than {} KiB",
                MAX_ANSWER_BYTES / 1024
            ))
        );
    }
}

#[tokio::test]
async fn an_event_line_that_never_ends_ends_the_stream() {
    let w = world().await;
    let (base, _wire) = journal_server(1 << 20, Refusal::Stated, Events::EndlessLine).await;
    let link = HqLink::start(w.engine.clone(), base, HqToken::parse(TOKEN).unwrap()).unwrap();
    let mut rx = link.watch();
    let s = tokio::time::timeout(
        Duration::from_secs(20),
        rx.wait_for(|s| {
            s.last_error
                .as_deref()
                .is_some_and(|e| e.contains("longer than"))
        }),
    )
    .await
    .expect("the stream ended with an error")
    .unwrap()
    .clone();
    assert_eq!(s.state, LinkState::Offline);
    link.stop().await;
}
