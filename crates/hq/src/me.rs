//! `GET /api/register/me`: who a token belongs to and where to resume
//! (the answer's body is `easyqr_ledger::wire::Me`).

use axum::extract::State;
use axum::Json;
use easyqr_ledger::wire::{Me, MeStore};

use crate::auth::RegisterAuth;
use crate::error::HqError;
use crate::repo::registers::progress;
use crate::AppState;

pub async fn me(State(s): State<AppState>, auth: RegisterAuth) -> Result<Json<Me>, HqError> {
    let r = progress::standing(&s.db, auth.id).await?;
    Ok(Json(Me {
        register_id: auth.register_id,
        store: MeStore {
            name: auth.store_name,
            location_id: Some(auth.location_id),
        },
        journal_acked: r.acked_seq,
        event_cursor: r.event_cursor,
        diverged: r.diverged,
        broken: r.broken,
    }))
}
