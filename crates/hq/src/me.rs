//! `GET /api/register/me`: who a token belongs to and where to resume
//! (the answer's body is `easyqr_ledger::wire::Me`).

use axum::extract::State;
use axum::Json;
use easyqr_ledger::wire::{Diverged, Me, MeStore};

use crate::auth::RegisterAuth;
use crate::error::HqError;
use crate::AppState;

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
        store: MeStore {
            name: auth.store_name,
            location_id: Some(auth.location_id),
        },
        journal_acked: r.get(0),
        event_cursor: r.get(1),
        diverged: r.get::<_, Option<i64>>(2).map(|seq| Diverged {
            seq,
            reason: r.get(3),
        }),
        broken: r.get::<_, Option<i64>>(4).map(|seq| Diverged {
            seq,
            reason: r.get(5),
        }),
    }))
}
