//! The register's calls to the head office (docs/HQ-PROTOCOL.md): typed
//! answers, and one error type that says what a caller may do next. The
//! token travels in the `Authorization` header only; no error built here
//! contains it (reqwest's own messages are reduced to their causes).

use std::time::Duration;

use easyqr_app_core::secrets::HqToken;
use easyqr_ledger::JournalRow;
use reqwest::{header, Method, RequestBuilder};
use serde::{Deserialize, Serialize};
use url::Url;

/// `GET /api/register/me`: who the token belongs to, and where to resume.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub register_id: String,
    pub store: MeStore,
    pub journal_acked: i64,
    pub event_cursor: i64,
    pub diverged: Option<Diverged>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeStore {
    #[serde(default)]
    pub name: String,
    pub location_id: Option<String>,
}

/// HQ's copy of the journal no longer matches the register's from `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diverged {
    pub seq: i64,
    pub reason: String,
}

/// `POST /api/register/journal`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipAnswer {
    pub acked: i64,
    pub diverged: Option<Diverged>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShipBody<'a> {
    head: i64,
    /// What HQ had acknowledged when this batch was built: a head below it
    /// tells HQ this ledger lost rows HQ holds (put back from a copy).
    acked_seen: i64,
    rows: &'a [JournalRow],
}

/// What went wrong talking to HQ. Messages are plain words for the
/// cashier's status line and the CLI; never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HqError {
    /// Network, DNS, TLS, timeout: try again later.
    #[error("the head office could not be reached ({0})")]
    Unreachable(String),
    /// HQ answered 5xx (e.g. it could not commit a batch): send it again.
    #[error("the head office had a problem (HTTP {status}); trying again")]
    Server { status: u16 },
    /// 401: HQ does not know the token (never enrolled, or deleted).
    #[error("the head office does not accept this token (HTTP 401); enrol the register again")]
    Unauthorized,
    /// 403 `revoked`: the register must stop shipping and streaming.
    #[error("the head office revoked this register")]
    Revoked,
    /// Any other 4xx, with HQ's `error` text.
    #[error("the head office refused the request (HTTP {status}: {error})")]
    Refused { status: u16, error: String },
    #[error("the head office's answer was not understood ({0})")]
    BadAnswer(String),
    /// The register's own journal could not be read.
    #[error("the journal could not be read ({0})")]
    Ledger(String),
}

impl HqError {
    /// Not worth retrying at once: HQ said no (the owner must act).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            HqError::Unauthorized | HqError::Revoked | HqError::Refused { .. }
        )
    }

    pub(crate) fn transport(e: &reqwest::Error) -> HqError {
        let what = if e.is_timeout() {
            "no answer in time"
        } else if e.is_connect() {
            "could not connect"
        } else if e.is_body() || e.is_decode() {
            "the connection broke off"
        } else {
            "network error"
        };
        // The innermost cause ("Connection refused", "dns error: …") helps
        // support; the URL reqwest would add carries no secret but is noise.
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let cause = cause.to_string();
        if cause.is_empty() {
            HqError::Unreachable(what.to_owned())
        } else {
            HqError::Unreachable(format!("{what}: {}", truncate(&cause, 160)))
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Classifies a non-2xx answer from its status and body (`{"error":"…"}`).
pub(crate) fn error_of_status(status: u16, body: &[u8]) -> HqError {
    #[derive(Deserialize)]
    struct Body {
        error: String,
    }
    let error = serde_json::from_slice::<Body>(body)
        .map(|b| truncate(&b.error, 200))
        .unwrap_or_default();
    match status {
        401 => HqError::Unauthorized,
        403 if error == "revoked" => HqError::Revoked,
        500..=599 => HqError::Server { status },
        _ => HqError::Refused { status, error },
    }
}

/// One short call's time limit (the event stream has none: it is long-lived
/// and watched for keep-alives instead).
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for one HQ and one token. Cheap to clone.
#[derive(Clone)]
pub struct HqClient {
    http: reqwest::Client,
    base: Url,
    token: HqToken,
}

impl std::fmt::Debug for HqClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HqClient")
            .field("base", &self.base.as_str())
            .field("token", &self.token)
            .finish()
    }
}

impl HqClient {
    /// `base` as [`easyqr_app_core::settings::hq_base_url`] made it (ends in `/`).
    pub fn new(base: Url, token: HqToken) -> Result<HqClient, HqError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("easyqr-pos/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HqError::transport(&e))?;
        Ok(HqClient { http, base, token })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, HqError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| HqError::BadAnswer(format!("address {path}: {e}")))?;
        Ok(self
            .http
            .request(method, url)
            .bearer_auth(self.token.expose()))
    }

    /// Sends, and turns a non-2xx answer into its [`HqError`].
    async fn send(rb: RequestBuilder) -> Result<reqwest::Response, HqError> {
        let resp = rb.send().await.map_err(|e| HqError::transport(&e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap_or_default();
        Err(error_of_status(status, &body))
    }

    async fn json<T: for<'de> Deserialize<'de>>(rb: RequestBuilder) -> Result<T, HqError> {
        let body = Self::send(rb)
            .await?
            .bytes()
            .await
            .map_err(|e| HqError::transport(&e))?;
        serde_json::from_slice(&body).map_err(|e| HqError::BadAnswer(e.to_string()))
    }

    pub async fn me(&self) -> Result<Me, HqError> {
        Self::json(
            self.request(Method::GET, "api/register/me")?
                .timeout(CALL_TIMEOUT),
        )
        .await
    }

    /// Ships `rows` (at most 500, in `seq` order); `head` is the ledger's
    /// newest `seq`, `acked_seen` what HQ last said it holds.
    pub async fn ship(
        &self,
        head: i64,
        acked_seen: i64,
        rows: &[JournalRow],
    ) -> Result<ShipAnswer, HqError> {
        Self::json(
            self.request(Method::POST, "api/register/journal")?
                .timeout(CALL_TIMEOUT * 3)
                .json(&ShipBody {
                    head,
                    acked_seen,
                    rows,
                }),
        )
        .await
    }

    /// Moves HQ's `eventCursor` to `cursor` (never back).
    pub async fn ack(&self, cursor: i64) -> Result<(), HqError> {
        Self::send(
            self.request(Method::POST, "api/register/events/ack")?
                .timeout(CALL_TIMEOUT)
                .json(&serde_json::json!({ "cursor": cursor })),
        )
        .await
        .map(drop)
    }

    /// Opens the event stream after `cursor`.
    pub(crate) async fn events(&self, cursor: i64) -> Result<reqwest::Response, HqError> {
        Self::send(
            self.request(Method::GET, "api/register/events")?
                .header(header::ACCEPT, "text/event-stream")
                .header("Last-Event-ID", cursor.to_string()),
        )
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_by_status_and_error() {
        assert_eq!(
            error_of_status(401, br#"{"error":"unauthorized"}"#),
            HqError::Unauthorized
        );
        assert_eq!(
            error_of_status(403, br#"{"error":"revoked"}"#),
            HqError::Revoked
        );
        assert_eq!(
            error_of_status(503, b"busy"),
            HqError::Server { status: 503 }
        );
        assert_eq!(
            error_of_status(403, br#"{"error":"forbidden"}"#),
            HqError::Refused {
                status: 403,
                error: "forbidden".into()
            }
        );
        assert!(matches!(
            error_of_status(400, b"<html>"),
            HqError::Refused { status: 400, .. }
        ));
        assert!(HqError::Revoked.is_refusal() && !HqError::Server { status: 500 }.is_refusal());
    }

    #[test]
    fn the_protocols_answers_parse() {
        let me: Me = serde_json::from_str(
            r#"{"registerId":"S01R1","store":{"name":"Shibuya","locationId":"loc_shibuya"},
                "journalAcked":120,"eventCursor":35,"diverged":null}"#,
        )
        .unwrap();
        assert_eq!(
            (me.register_id.as_str(), me.journal_acked, me.event_cursor),
            ("S01R1", 120, 35)
        );
        assert_eq!(me.store.location_id.as_deref(), Some("loc_shibuya"));
        let a: ShipAnswer =
            serde_json::from_str(r#"{"acked":130,"diverged":{"seq":7,"reason":"hash differs"}}"#)
                .unwrap();
        assert_eq!(a.diverged.unwrap().seq, 7);
    }

    #[test]
    fn the_client_never_shows_its_token() {
        let token = HqToken::parse("hqt_secret_0123456789abcdef").unwrap();
        let c = HqClient::new(Url::parse("https://hq.example.jp/").unwrap(), token).unwrap();
        assert!(!format!("{c:?}").contains("secret_0123"));
    }
}
