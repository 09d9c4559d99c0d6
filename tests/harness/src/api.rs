//! Raw HTTP to the simulator: a small JSON client, elepay's error shape,
//! and a webhook receiver answering a chosen status.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use elepay_sim::{RunningSim, SimConfig};
use serde_json::{json, Value};

pub use crate::sim::T0;
pub use crate::wait_for;

pub const KEY: &str = "sk_test_integration";

/// A frozen simulator accepting [`KEY`].
pub fn config() -> SimConfig {
    crate::sim::frozen_config(KEY)
}

pub async fn start() -> (RunningSim, Api) {
    start_with(config()).await
}

pub async fn start_with(cfg: SimConfig) -> (RunningSim, Api) {
    let sim = crate::sim::start(cfg).await;
    let api = Api::new(sim.base_url().as_str());
    (sim, api)
}

pub fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

/// A minimal elepay client for tests; answers `(status, json)`.
#[derive(Debug, Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub auth: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            auth: Some(basic(KEY)),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let req = match &self.auth {
            Some(a) => req.header("authorization", a),
            None => req,
        };
        let resp = req.send().await.expect("request reaches the simulator");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.client.delete(self.url(path))).await
    }

    pub async fn create_code(&self, order_no: &str, amount: i64) -> Value {
        let r = self
            .post("/codes", &json!({"amount": amount, "orderNo": order_no}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json
    }

    /// Creates and pays a code through the admin endpoint; returns the charge.
    pub async fn paid_charge(&self, order_no: &str, amount: i64, method: &str) -> Value {
        let code = self.create_code(order_no, amount).await;
        let id = code["id"].as_str().expect("id");
        let r = self
            .post(
                &format!("/_sim/codes/{id}/pay"),
                &json!({"paymentMethod": method}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    pub async fn advance(&self, ms: i64) -> Value {
        let r = self.post("/_sim/clock/advance", &json!({ "ms": ms })).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }
}

/// Asserts an elepay error body.
pub fn assert_error(r: &Reply, status: u16, error_code: &str, param: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["errorCode"], error_code, "{}", r.text);
    assert!(
        r.json["requestId"]
            .as_str()
            .is_some_and(|s| s.starts_with("req_")),
        "{}",
        r.text
    );
    let code = r.json["code"].as_str().expect("legacy code");
    assert!(code.starts_with("9_000_000_") && code.len() == 15, "{code}");
    assert!(r.json["message"].as_str().is_some_and(|m| !m.is_empty()));
    match param {
        Some(p) => assert_eq!(r.json["parameterName"], p, "{}", r.text),
        None => assert!(r.json.get("parameterName").is_none(), "{}", r.text),
    }
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json;charset=utf-8")
    );
}

/// One webhook POST as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

/// A local webhook receiver answering a configurable status.
pub struct Receiver {
    pub url: url::Url,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<AtomicU16>,
}

impl Receiver {
    pub async fn start(status: u16) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(status));
        let (g, s) = (got.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    g.lock().expect("lock").push(Received {
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: url::Url::parse(&format!("http://{addr}/hook")).expect("url"),
            got,
            status,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.received()
            .iter()
            .map(|r| serde_json::from_str(&r.body).expect("json body"))
            .collect()
    }
}

/// Lets the background scheduler (20 ms tick) run at least once, for checks
/// that something did NOT happen. Real time, so use sparingly.
pub async fn one_tick() {
    tokio::time::sleep(Duration::from_millis(25)).await;
}
