//! `GET /api/register/me`: who a token belongs to and where to resume.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::auth::RegisterAuth;
use crate::error::HqError;
use crate::ship::Divergence;
use crate::AppState;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreRef {
    pub name: String,
    pub location_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub register_id: String,
    pub store: StoreRef,
    pub journal_acked: i64,
    pub event_cursor: i64,
    pub diverged: Option<Divergence>,
    /// A row of its journal that breaks the ledger's rules: its figures
    /// do not count at HQ (its rows are kept).
    pub broken: Option<Divergence>,
}

pub async fn me(State(s): State<AppState>, auth: RegisterAuth) -> Result<Json<Me>, HqError> {
    let r = s
        .db
        .get()
        .await?
        .query_one(
            "SELECT acked_seq, event_cursor, diverged_seq, diverged_reason, broken_seq, broken_reason
             FROM registers WHERE id = $1",
            &[&auth.id],
        )
        .await?;
    Ok(Json(Me {
        register_id: auth.register_id,
        store: StoreRef {
            name: auth.store_name,
            location_id: auth.location_id,
        },
        journal_acked: r.get(0),
        event_cursor: r.get(1),
        diverged: r.get::<_, Option<i64>>(2).map(|seq| Divergence {
            seq,
            reason: r.get(3),
        }),
        broken: r.get::<_, Option<i64>>(4).map(|seq| Divergence {
            seq,
            reason: r.get(5),
        }),
    }))
}
