//! A stand-in for HQ's register side (docs/HQ-PROTOCOL.md) on loopback:
//! `/me`, journal batches taken whole, and an event stream that beats like
//! HQ's and can stop beating (a half-dead connection) or drop. For what
//! the register does with HQ's stream alone; the link against the real HQ
//! is tested in crates/hq/tests. Shared by tests/hq_push.rs and
//! benches/hq_polling.rs.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use url::Url;

/// What the event stream does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// A keep-alive comment every beat.
    Beating,
    /// Open, but nothing comes.
    Silent,
    /// The stream ends; new ones are answered 503.
    Dropped,
}

#[derive(Clone)]
struct Shared {
    stream: Arc<Mutex<Stream>>,
    beat: Duration,
}

/// A running stand-in; `set` changes what its streams do.
pub struct StandIn {
    pub base: Url,
    shared: Shared,
}

impl StandIn {
    pub fn set(&self, stream: Stream) {
        *self.shared.stream.lock().unwrap() = stream;
    }
}

/// Starts a stand-in whose streams send a keep-alive every `beat` while
/// [`Stream::Beating`].
pub async fn start(stream: Stream, beat: Duration) -> StandIn {
    let shared = Shared {
        stream: Arc::new(Mutex::new(stream)),
        beat,
    };
    let router = Router::new()
        .route(
            "/api/register/me",
            get(|| async {
                Json(
                    json!({"registerId": "R1", "store": {"name": "Stand-in", "locationId": null},
                            "journalAcked": 0, "eventCursor": 0, "diverged": null}),
                )
            }),
        )
        .route(
            "/api/register/journal",
            post(|Json(batch): Json<Value>| async move {
                Json(json!({"acked": batch["head"], "diverged": null}))
            }),
        )
        .route("/api/register/events", get(events))
        .route(
            "/api/register/events/ack",
            post(|| async { StatusCode::NO_CONTENT }),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    StandIn {
        base: Url::parse(&format!("http://{addr}/")).unwrap(),
        shared,
    }
}

async fn events(State(shared): State<Shared>) -> Response {
    if *shared.stream.lock().unwrap() == Stream::Dropped {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let body = futures_util::stream::unfold(shared, |shared| async move {
        loop {
            tokio::time::sleep(shared.beat).await;
            let now = *shared.stream.lock().unwrap();
            match now {
                Stream::Beating => {
                    let beat = Bytes::from_static(b": keep-alive\n\n");
                    return Some((Ok::<_, Infallible>(beat), shared));
                }
                Stream::Silent => continue,
                Stream::Dropped => return None,
            }
        }
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(body),
    )
        .into_response()
}
