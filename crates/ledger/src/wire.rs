//! The register protocol's JSON bodies (docs/HQ-PROTOCOL.md), defined once
//! for both ends: the head office (`easyqr-hq`) answers and reads them, the
//! register (`easyqr_pos_core::hq`) sends and reads them. Field names are
//! camelCase on the wire; `tests/wire.rs` holds the bytes each body is, so
//! a change here that would change the wire fails there.
//!
//! Optional parts the register reads are lenient (`#[serde(default)]`), so
//! a register still understands an older HQ's answers.

use serde::{Deserialize, Serialize};

pub use crate::shipping::{JournalRow, BATCH_MAX_BYTES, BATCH_MAX_ROWS};

/// `GET /api/register/me`'s answer: who the token belongs to, and where
/// the register resumes shipping and streaming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub register_id: String,
    pub store: MeStore,
    /// The highest journal `seq` HQ holds with no gap below it (0: none).
    pub journal_acked: i64,
    /// The last event the register acknowledged: its stream resumes after it.
    pub event_cursor: i64,
    /// HQ's copy of the journal no longer matches the register's.
    pub diverged: Option<Diverged>,
    /// A row of the register's journal breaks the ledger's rules: HQ keeps
    /// its rows but counts none of its figures.
    #[serde(default)]
    pub broken: Option<Diverged>,
}

/// The store HQ enrolled the register at (`/me`'s `store`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeStore {
    #[serde(default)]
    pub name: String,
    /// Always sent by HQ; read as optional so a register compares it only
    /// when it is there.
    #[serde(default)]
    pub location_id: Option<String>,
}

/// A row of a register's journal HQ holds against it, with the reason in
/// words: the first where HQ's copy and the register's differ
/// (`diverged`), or one that breaks the ledger's rules (`broken`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diverged {
    pub seq: i64,
    pub reason: String,
}

/// `POST /api/register/journal`'s body: journal rows in `seq` order, at
/// most [`BATCH_MAX_ROWS`] of them and [`BATCH_MAX_BYTES`] of JSON.
///
/// `R` is how the rows are held: owned where a batch is read (HQ), a
/// borrowed slice where one is sent (the register ships rows it keeps).
/// Both write the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch<R = Vec<JournalRow>> {
    /// The register's newest `seq`.
    pub head: i64,
    /// What HQ had acknowledged when the register built the batch (from
    /// `/me` or HQ's last answer); 0 when it did not know. A `head` below
    /// it tells HQ the register lost rows HQ holds.
    #[serde(default)]
    pub acked_seen: i64,
    pub rows: R,
}

/// `POST /api/register/journal`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipAnswer {
    /// The highest `seq` HQ holds with no gap below it: ship from the next.
    pub acked: i64,
    /// Set when HQ found the register's journal diverged (nothing more of
    /// it is stored).
    pub diverged: Option<Diverged>,
}

/// `POST /api/register/events/ack`'s body: the register stored every event
/// up to `cursor` (an SSE event id) in its own inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventAck {
    pub cursor: i64,
}

/// The event stream (`GET /api/register/events`): each elepay webhook is
/// one event of this name, its id the inbox `seq` in decimal, its data
/// the body exactly as elepay signed it.
pub const EVENT_WEBHOOK: &str = "webhook";
/// The header a register resumes its stream with (the last event id it
/// took)...
pub const HEADER_LAST_EVENT_ID: &str = "Last-Event-ID";
/// ... or this query parameter, `?after=<cursor>`.
pub const QUERY_AFTER: &str = "after";

/// An event's id for the inbox row `seq`.
pub fn event_id(seq: i64) -> String {
    seq.to_string()
}

/// The inbox `seq` an event id (or `Last-Event-ID`) names; `None` when it
/// is not a whole number.
pub fn parse_event_id(id: &str) -> Option<i64> {
    id.trim().parse().ok()
}

/// The names of the limit an [`ErrorBody`] may carry.
pub const LIMIT_ROWS: &str = "limitRows";
pub const LIMIT_BYTES: &str = "limitBytes";
pub const LIMIT_MS: &str = "limitMs";

/// A refusal's JSON body: `error` in words for a person, and for a client
/// to act on, a `code` (`batch_too_large`, `backlog_full`, …) and the limit
/// that was reached. Parts not set are left out.
///
/// Fields are in alphabetical order: the order HQ has always written them in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default)]
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_rows: Option<u64>,
}

impl ErrorBody {
    /// `{"error": error}`.
    pub fn new(error: impl Into<String>) -> Self {
        ErrorBody {
            error: error.into(),
            ..ErrorBody::default()
        }
    }

    /// With a code a client can act on.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// With the limit `name` ([`LIMIT_ROWS`], [`LIMIT_BYTES`] or
    /// [`LIMIT_MS`]) set to `value`. Another name is no limit of the
    /// protocol's, and leaves the body as it was.
    pub fn limit(mut self, name: &str, value: u64) -> Self {
        let field = match name {
            LIMIT_ROWS => &mut self.limit_rows,
            LIMIT_BYTES => &mut self.limit_bytes,
            LIMIT_MS => &mut self.limit_ms,
            _ => return self,
        };
        *field = Some(value);
        self
    }
}
