//! The view's audit trail: every login, failed login, logout and CSV
//! export, with the client's address; shown to brand users at `/audit`.
//! A write that fails is logged and does not block the viewer.

use axum::extract::State;
use maud::html;

use super::client::Client;
use super::html::time;
use super::pages::Page;
use super::session::Viewer;
use crate::error::HqError;
use crate::repo::view_audit;
use crate::{AppState, Db};

/// One row of the trail.
pub use crate::repo::view_audit::Entry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    LoginFailed,
    Logout,
    CsvExport,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::LoginFailed => "login_failed",
            Kind::Logout => "logout",
            Kind::CsvExport => "csv_export",
        }
    }
}

pub async fn record(
    db: &Db,
    now: i64,
    kind: Kind,
    user_name: &str,
    client: Client,
    detail: &str,
) -> Result<(), HqError> {
    // What a stranger typed as a name is kept, but not at any length.
    let entry = Entry {
        at_ms: now,
        kind: kind.as_str().to_owned(),
        user_name: user_name.chars().take(64).collect(),
        client: client.show(),
        detail: detail.to_owned(),
    };
    view_audit::insert(db, &entry).await
}

/// [`record`], logging instead of failing.
pub async fn note(s: &AppState, kind: Kind, user_name: &str, client: Client, detail: &str) {
    if let Err(e) = record(&s.db, (s.clock)(), kind, user_name, client, detail).await {
        tracing::error!(error = %e, kind = kind.as_str(), "audit row not written");
    }
}

/// The newest `limit` rows, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Entry>, HqError> {
    view_audit::recent(db, limit).await
}

pub async fn page(State(s): State<AppState>, v: Viewer) -> Page {
    v.brand_only()?;
    let l = v.lang;
    let rows = recent(&s.db, 500).await?;
    let body = html! {
        h1 { (l.t("audit")) }
        p.muted { (l.t("audit_hint")) }
        table.audit {
            tr {
                th { (l.t("when")) }
                th { (l.t("what")) }
                th { (l.t("user")) }
                th { (l.t("client")) }
                th { (l.t("detail")) }
            }
            @for e in &rows {
                tr data-kind=(e.kind) {
                    td { (time(e.at_ms)) }
                    td { (l.audit_kind(&e.kind)) }
                    td { (e.user_name) }
                    td { (e.client) }
                    td {
                        @match (e.kind.as_str(), e.detail.as_str()) {
                            ("login", "brand") => (l.t("role_brand")),
                            ("login", "store") => (l.t("role_store")),
                            (_, d) => (d),
                        }
                    }
                }
            }
            @if rows.is_empty() {
                tr { td colspan="5" class="muted" { (l.t("none")) } }
            }
        }
    };
    Ok(v.page(l.t("audit"), body))
}
