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
use crate::{AppState, Db};

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

/// One row of the trail.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at_ms: i64,
    pub kind: String,
    pub user_name: String,
    pub client: String,
    pub detail: String,
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
    let user: String = user_name.chars().take(64).collect();
    db.get()
        .await?
        .execute(
            "INSERT INTO view_audit (at_ms, kind, user_name, client, detail) VALUES ($1, $2, $3, $4, $5)",
            &[&now, &kind.as_str(), &user, &client.show(), &detail],
        )
        .await?;
    Ok(())
}

/// [`record`], logging instead of failing.
pub async fn note(s: &AppState, kind: Kind, user_name: &str, client: Client, detail: &str) {
    if let Err(e) = record(&s.db, (s.clock)(), kind, user_name, client, detail).await {
        tracing::error!(error = %e, kind = kind.as_str(), "audit row not written");
    }
}

/// The newest `limit` rows, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Entry>, HqError> {
    let rows = db
        .get()
        .await?
        .query(
            "SELECT at_ms, kind, user_name, client, detail FROM view_audit ORDER BY id DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Entry {
            at_ms: r.get(0),
            kind: r.get(1),
            user_name: r.get(2),
            client: r.get(3),
            detail: r.get(4),
        })
        .collect())
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
