//! The register's calls to the head office (docs/HQ-PROTOCOL.md): typed
//! answers, and one error type that says what a caller may do next. The
//! token travels in the `Authorization` header only; no error built here
//! contains it (reqwest's own messages are reduced to their causes).
//!
//! The client follows no redirect (the token would go along to wherever
//! it points) and reads no answer longer than [`MAX_ANSWER_BYTES`].

use std::time::Duration;

use easyqr_app_core::secrets::HqToken;
use easyqr_ledger::wire::{self, Batch, ErrorBody, EventAck};
use easyqr_ledger::JournalRow;
use reqwest::{header, Method, RequestBuilder};
use serde::{Deserialize, Serialize};
use url::Url;

/// The protocol's bodies, defined once for HQ and the register.
pub use easyqr_ledger::wire::{Diverged, Me, MeStore, ShipAnswer};

/// The bytes `{"head":…,"ackedSeen":…,"rows":[]}` takes: a batch's body
/// is this, plus each row's [`row_len`], plus a comma between rows.
pub(crate) fn envelope_len(head: i64, acked_seen: i64) -> usize {
    let rows: &[JournalRow] = &[];
    json_len(&Batch {
        head,
        acked_seen,
        rows,
    })
}

/// The bytes one row takes in a batch's body.
pub(crate) fn row_len(row: &JournalRow) -> usize {
    json_len(row)
}

fn json_len(v: &impl Serialize) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
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
    /// A 3xx: never followed (the token would go along); the configured
    /// address is not HQ's API (`location`: where it pointed, origin only).
    #[error("the head office answered a redirect (HTTP {status}{}); check the configured address", to(.location))]
    Redirected {
        status: u16,
        location: Option<String>,
    },
    /// 413: the batch was larger than HQ takes (`limit_bytes`: HQ's figure,
    /// when it gave one). The shipper splits the batch.
    #[error("the head office refused a batch as too large (HTTP 413{})", limit(.limit_bytes))]
    TooLarge { limit_bytes: Option<u64> },
    /// One journal row alone is larger than HQ takes: shipping is stuck at
    /// it (rows are checked before they are journaled, so this is a bug).
    #[error("shipping is stuck: journal row {seq} alone is {bytes} bytes, more than the head office takes in one batch{}; contact support", limit(.limit_bytes))]
    RowTooLarge {
        seq: i64,
        bytes: usize,
        limit_bytes: Option<u64>,
    },
    #[error("the head office's answer was not understood ({0})")]
    BadAnswer(String),
    /// The register's own journal could not be read.
    #[error("the journal could not be read ({0})")]
    Ledger(String),
}

fn to(location: &Option<String>) -> String {
    location
        .as_deref()
        .map_or_else(String::new, |l| format!(" to {l}"))
}

fn limit(bytes: &Option<u64>) -> String {
    bytes.map_or_else(String::new, |b| format!(", limit {b} bytes"))
}

impl HqError {
    /// Not worth retrying at once: HQ said no (the owner must act).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            HqError::Unauthorized
                | HqError::Revoked
                | HqError::Refused { .. }
                | HqError::Redirected { .. }
                | HqError::TooLarge { .. }
                | HqError::RowTooLarge { .. }
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

/// Classifies a non-2xx answer from its status and body (`{"error":"…"}`,
/// with `limitBytes` on a 413).
pub(crate) fn error_of_status(status: u16, body: &[u8]) -> HqError {
    let (error, limit_bytes) = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| (truncate(&b.error, 200), b.limit_bytes))
        .unwrap_or_default();
    match status {
        401 => HqError::Unauthorized,
        403 if error == "revoked" => HqError::Revoked,
        // A proxy's 413 (nginx: an HTML page) is too large all the same.
        413 => HqError::TooLarge { limit_bytes },
        500..=599 => HqError::Server { status },
        _ => HqError::Refused { status, error },
    }
}

/// A redirect's target, origin only (scheme, host, port): enough to see
/// what is wrong with the address, and nothing of a path or query.
fn redirect_origin(location: Option<&str>, base: &Url) -> Option<String> {
    let url = base.join(location?).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The longest answer read from HQ's JSON calls: `/me` and a batch's
/// answer are a few hundred bytes; a portal page or a hostile server must
/// not fill the register's memory.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Reads a body of at most `max` bytes; longer is refused as soon as it is
/// known (from `Content-Length`, or once that much has come).
async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, HqError> {
    let too_long = || HqError::BadAnswer(format!("the answer is longer than {} KiB", max / 1024));
    if resp
        .content_length()
        .is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX))
    {
        return Err(too_long());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| HqError::transport(&e))? {
        if body.len() + chunk.len() > max {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
            .redirect(reqwest::redirect::Policy::none())
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
    async fn send(&self, rb: RequestBuilder) -> Result<reqwest::Response, HqError> {
        let resp = rb.send().await.map_err(|e| HqError::transport(&e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        if resp.status().is_redirection() {
            let location = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok());
            return Err(HqError::Redirected {
                status,
                location: redirect_origin(location, &self.base),
            });
        }
        // An error body too long to read is classified by its status alone.
        let body = read_capped(resp, MAX_ANSWER_BYTES)
            .await
            .unwrap_or_default();
        Err(error_of_status(status, &body))
    }

    async fn json<T: for<'de> Deserialize<'de>>(&self, rb: RequestBuilder) -> Result<T, HqError> {
        let body = read_capped(self.send(rb).await?, MAX_ANSWER_BYTES).await?;
        serde_json::from_slice(&body).map_err(|e| HqError::BadAnswer(e.to_string()))
    }

    pub async fn me(&self) -> Result<Me, HqError> {
        self.json(
            self.request(Method::GET, "api/register/me")?
                .timeout(CALL_TIMEOUT),
        )
        .await
    }

    /// Ships `rows` (in `seq` order, sized by [`super::batch::BatchLimit`]);
    /// `head` is the ledger's newest `seq`, `acked_seen` what HQ last said
    /// it holds. A batch HQ finds too large is answered
    /// [`HqError::TooLarge`].
    pub async fn ship(
        &self,
        head: i64,
        acked_seen: i64,
        rows: &[JournalRow],
    ) -> Result<ShipAnswer, HqError> {
        self.json(
            self.request(Method::POST, "api/register/journal")?
                .timeout(CALL_TIMEOUT * 3)
                .json(&Batch {
                    head,
                    acked_seen,
                    rows,
                }),
        )
        .await
    }

    /// Moves HQ's `eventCursor` to `cursor` (never back).
    pub async fn ack(&self, cursor: i64) -> Result<(), HqError> {
        self.send(
            self.request(Method::POST, "api/register/events/ack")?
                .timeout(CALL_TIMEOUT)
                .json(&EventAck { cursor }),
        )
        .await
        .map(drop)
    }

    /// Opens the event stream after `cursor`.
    pub(crate) async fn events(&self, cursor: i64) -> Result<reqwest::Response, HqError> {
        self.send(
            self.request(Method::GET, "api/register/events")?
                .header(header::ACCEPT, "text/event-stream")
                .header(wire::HEADER_LAST_EVENT_ID, wire::event_id(cursor)),
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
    fn a_413_is_too_large_with_hqs_figure_or_without_a_proxys() {
        assert_eq!(
            error_of_status(
                413,
                br#"{"error":"batch too large","code":"batch_too_large","limitBytes":1048576}"#
            ),
            HqError::TooLarge {
                limit_bytes: Some(1_048_576)
            }
        );
        assert_eq!(
            error_of_status(413, b"<html>413 Request Entity Too Large</html>"),
            HqError::TooLarge { limit_bytes: None }
        );
        let stuck = HqError::RowTooLarge {
            seq: 42,
            bytes: 2_000_000,
            limit_bytes: Some(1_048_576),
        };
        assert_eq!(
            stuck.to_string(),
            "shipping is stuck: journal row 42 alone is 2000000 bytes, more than the head office takes in one batch, limit 1048576 bytes; contact support"
        );
        assert!(stuck.is_refusal(), "retried gently, not at once");
    }

    #[test]
    fn a_redirect_names_its_target_origin_only() {
        let base = Url::parse("https://hq.example.jp/").unwrap();
        assert_eq!(
            redirect_origin(
                Some("https://login.example.jp:8443/sso?next=/api&t=1"),
                &base
            ),
            Some("https://login.example.jp:8443".into())
        );
        assert_eq!(
            redirect_origin(Some("/elsewhere"), &base),
            Some("https://hq.example.jp".into())
        );
        assert_eq!(redirect_origin(None, &base), None);
        let e = HqError::Redirected {
            status: 301,
            location: Some("https://hq.example.jp".into()),
        };
        assert_eq!(
            e.to_string(),
            "the head office answered a redirect (HTTP 301 to https://hq.example.jp); check the configured address"
        );
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
