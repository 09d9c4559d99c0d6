//! What the HQ tests share: a fresh database on the real PostgreSQL that
//! scripts/test starts (`pg_virtualenv` exports PGHOST, PGPORT, PGUSER,
//! PGPASSWORD), an HQ server on 127.0.0.1:0, signed webhooks and a
//! Server-Sent Events reader.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use easyqr_hq::{Config, Db};
pub mod nginx;
pub mod register;
pub mod tax;
pub mod view;

use elepay::webhook::{signature_header, SigningSecret};
use futures_util::StreamExt as _;
use serde_json::{json, Value};

pub const SECRET: &str = "whsec_hq_test_0001";
pub const OLD_SECRET: &str = "whsec_hq_test_0000";
pub const VIEW_PASSWORD: &str = "correct horse battery";

pub use easyqr_test_harness::pg::fresh_db;

pub fn config(database_url: &str) -> Config {
    Config {
        pool_size: 8,
        tolerance_secs: 300,
        // Creates the view's brand user `admin` (see `users::bootstrap`).
        bootstrap_password: Some(VIEW_PASSWORD.into()),
        ..Config::new(
            "127.0.0.1:0".parse().unwrap(),
            database_url.to_owned(),
            vec![SigningSecret::new(OLD_SECRET), SigningSecret::new(SECRET)],
        )
    }
}

pub struct Hq {
    pub base: String,
    pub db: Db,
    pub database_url: String,
    pub task: tokio::task::JoinHandle<()>,
    pub http: reqwest::Client,
}

impl Hq {
    /// HQ in-process on a fresh database; `None` without PostgreSQL.
    pub async fn start() -> Option<Hq> {
        let url = fresh_db().await?;
        Some(Hq::on(&url, easyqr_hq::system_clock()).await)
    }

    /// [`Hq::start`] with event streams beating every `keep_alive`.
    pub async fn start_beating(keep_alive: Duration) -> Option<Hq> {
        let url = fresh_db().await?;
        let cfg = Config {
            keep_alive,
            ..config(&url)
        };
        Some(Hq::with(cfg, easyqr_hq::system_clock()).await)
    }

    pub async fn on(database_url: &str, clock: easyqr_hq::Clock) -> Hq {
        Hq::with(config(database_url), clock).await
    }

    pub async fn with(cfg: Config, clock: easyqr_hq::Clock) -> Hq {
        let database_url = cfg.database_url.clone();
        let running = easyqr_hq::serve(cfg, clock).await.unwrap();
        Hq {
            base: format!("http://{}", running.addr),
            db: easyqr_hq::db::pool(&database_url, 4).unwrap(),
            database_url,
            task: running.task,
            http: reqwest::Client::new(),
        }
    }

    pub async fn store(&self, location_id: &str, name: &str) {
        easyqr_hq::enrol::add_store(&self.db, location_id, name)
            .await
            .unwrap();
    }

    pub async fn enrol(&self, location_id: &str, register: &str) -> String {
        easyqr_hq::enrol::enrol(&self.db, location_id, register)
            .await
            .unwrap()
    }

    /// Posts `body` signed with `secret` at Unix time `t`; the status.
    pub async fn deliver(&self, body: &str, secret: &str, t: i64) -> u16 {
        deliver(&self.http, &self.base, body, secret, t).await
    }

    pub async fn me(&self, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}/api/register/me", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn query_i64(&self, sql: &str) -> i64 {
        self.db
            .get()
            .await
            .unwrap()
            .query_one(sql, &[])
            .await
            .unwrap()
            .get(0)
    }
}

/// Posts `body` to HQ at `base` signed with `secret` at Unix time `t`;
/// the status.
pub async fn deliver(http: &reqwest::Client, base: &str, body: &str, secret: &str, t: i64) -> u16 {
    let sig = signature_header(&SigningSecret::new(secret), t, body.as_bytes());
    http.post(format!("{base}/elepay/webhook"))
        .header("elepay-signature", sig)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An elepay-shaped `code.paid` event body for a code of `location_id`.
pub fn code_event(event_id: &str, code_id: &str, location_id: &str) -> String {
    json!({
        "id": event_id,
        "object": "event",
        "createTime": now_secs() * 1000,
        "liveMode": false,
        "type": "code.paid",
        "data": {"object": {"object": "code", "id": code_id, "status": "captured",
                            "amount": 1280, "locationId": location_id}}
    })
    .to_string()
}

/// One register's event stream, read as Server-Sent Events.
pub struct Stream {
    inner:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl Stream {
    /// The stream `GET /api/register/events?after={after}`.
    pub async fn open_after(hq: &Hq, token: &str, after: i64) -> Stream {
        let r = hq
            .http
            .get(format!("{}/api/register/events?after={after}", hq.base))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "stream refused");
        Stream {
            inner: Box::pin(r.bytes_stream()),
            buf: String::new(),
        }
    }

    pub async fn open(hq: &Hq, token: &str, last_event_id: Option<i64>) -> Stream {
        let mut req = hq
            .http
            .get(format!("{}/api/register/events", hq.base))
            .bearer_auth(token)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "stream refused");
        Stream {
            inner: Box::pin(r.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next `webhook` event: (id, the event's JSON). Bounded wait, so a
    /// missing event fails the test instead of hanging it.
    pub async fn next(&mut self) -> (i64, Value) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse::<i64>().unwrap());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
                    }
                }
                if let Some(id) = id {
                    return (id, serde_json::from_str(&data.join("\n")).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.inner.next())
                .await
                .expect("no event within 20 s")
                .expect("the stream ended")
                .unwrap();
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads on, skipping events, until a keep-alive comment (true) or the
    /// end of the stream (false); bounded like [`Stream::next`].
    pub async fn keep_alive_or_end(&mut self) -> bool {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if block
                    .lines()
                    .any(|l| l.trim_start_matches(':').trim() == "keep-alive")
                {
                    return true;
                }
                continue;
            }
            match tokio::time::timeout(Duration::from_secs(20), self.inner.next())
                .await
                .expect("neither a keep-alive nor the end within 20 s")
            {
                Some(Ok(chunk)) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                Some(Err(_)) | None => return false,
            }
        }
    }

    /// Event ids until (and without) the one whose id is `sentinel`.
    pub async fn ids_until(&mut self, sentinel: &str) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let (_, e) = self.next().await;
            let id = e["id"].as_str().unwrap().to_owned();
            if id == sentinel {
                return out;
            }
            out.push(id);
        }
    }
}
