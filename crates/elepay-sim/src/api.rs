//! elepay's own paths (`/codes`, `/charges`, ...): routing, auth, fault
//! injection and the handlers. Handlers are one-liners over [`Core`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::control::Core;
use crate::dto;
use crate::errors::{json_response, ApiError, ErrorCode, Lang};
use crate::faults::{operation_id, FaultKind};
use crate::keys::Caller;
use crate::lock;
use crate::server::{ConnKill, KillMode};

type Res = Result<Response, ApiError>;
type St = State<Arc<Core>>;

/// The app a request is for: another app's key selects that app's core
/// (set by [`guard`]); otherwise the simulator's own.
#[derive(Clone)]
struct App(Arc<Core>);

impl axum::extract::FromRequestParts<Arc<Core>> for App {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<Core>,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<App>()
            .cloned()
            .unwrap_or_else(|| App(state.clone())))
    }
}

pub(crate) fn routes(core: Arc<Core>) -> Router<Arc<Core>> {
    Router::new()
        .route("/codes", post(create_code))
        .route("/codes/{codeId}", get(retrieve_code).delete(close_code))
        .route("/code-setting/payment-methods", get(payment_methods))
        .route("/charges", get(list_charges))
        .route("/charges/{id}", get(retrieve_charge))
        .route("/charges/{id}/status", get(charge_status))
        .route(
            "/charges/{id}/refunds",
            get(list_refunds).post(create_refund),
        )
        .route("/charges/{id}/refunds/{refundId}", get(retrieve_refund))
        .route_layer(middleware::from_fn_with_state(core, guard))
}

/// Per-request gate for elepay operations: injected faults, then auth, then
/// the handler, then faults that act on the finished response.
async fn guard(State(own): St, mut req: Request, next: Next) -> Response {
    let core = own
        .app_of(
            req.headers()
                .get(header::AUTHORIZATION)
                .map(|v| v.as_bytes()),
        )
        .unwrap_or(own);
    req.extensions_mut().insert(App(core.clone()));
    let op = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| operation_id(req.method(), p.as_str()));
    let Some(op) = op else {
        // Wrong method on a known path: let the M003000 fallback answer.
        return next.run(req).await;
    };
    core.count_request(op);
    let kill = req.extensions().get::<ConnKill>().cloned();
    let fault = lock(&core.faults).take(op);
    if let Some(f) = &fault {
        tracing::info!(operation = op, kind = ?f.kind, "injecting fault");
        let status = f.status.and_then(|s| StatusCode::from_u16(s).ok());
        match f.kind {
            FaultKind::Reset => return kill_connection(kill, KillMode::Reset).await,
            FaultKind::Http5xx => {
                return ApiError::new(ErrorCode::S001000)
                    .status(status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
                    .into_response()
            }
            FaultKind::Throttle => {
                return ApiError::new(ErrorCode::M005000)
                    .status(status.unwrap_or(StatusCode::BAD_REQUEST))
                    .into_response()
            }
            FaultKind::CommitLater => {
                req.extensions_mut().insert(CommitLater(f.delay_ms));
            }
            FaultKind::Latency | FaultKind::DropAfterCommit | FaultKind::OmitCharge => {}
        }
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    match core.authenticate(auth) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
        }
        Err(e) => return e.into_response(),
    }
    let resp = next.run(req).await;
    match fault {
        Some(f) if f.kind == FaultKind::Latency => {
            tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
            resp
        }
        Some(f) if f.kind == FaultKind::DropAfterCommit || f.kind == FaultKind::CommitLater => {
            kill_connection(kill, KillMode::Drop).await
        }
        Some(f) if f.kind == FaultKind::OmitCharge => without_charge(resp).await,
        _ => resp,
    }
}

/// Marks a createRefund the `commitLater` fault defers (its delay, sim ms).
#[derive(Debug, Clone, Copy)]
struct CommitLater(i64);

/// The same answer with the code's `charge` object left out.
async fn without_charge(resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return ApiError::new(ErrorCode::S001000).into_response();
    };
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.remove("charge");
    }
    json_response(parts.status, &v)
}

/// Asks the connection task to drop the connection, then never answers.
async fn kill_connection(kill: Option<ConnKill>, mode: KillMode) -> Response {
    match kill {
        Some(k) => {
            k.fire(mode);
            std::future::pending::<Response>().await
        }
        // Not served by our accept loop (no kill switch): fail loudly instead.
        None => ApiError::new(ErrorCode::S001000).into_response(),
    }
}

/// Renders an [`ApiError`] left in a response in the caller's language with
/// a fresh `requestId`. Applied to the whole router.
pub(crate) async fn finish_errors(req: Request, next: Next) -> Response {
    let lang = Lang::from_headers(req.headers());
    let resp = next.run(req).await;
    match resp.extensions().get::<ApiError>() {
        Some(e) => e.render(lang),
        None => resp,
    }
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found().status(StatusCode::NOT_FOUND)
}

pub(crate) async fn wrong_method() -> ApiError {
    ApiError::new(ErrorCode::M003000)
}

fn ok(v: &serde_json::Value) -> Res {
    Ok(json_response(StatusCode::OK, v))
}

async fn create_code(App(core): App, Extension(caller): Extension<Caller>, body: Bytes) -> Res {
    Ok(json_response(
        StatusCode::CREATED,
        &core.create_code(caller, &body)?,
    ))
}

async fn retrieve_code(
    App(core): App,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    ok(&core.retrieve_code(caller, &id)?)
}

async fn close_code(
    App(core): App,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    core.close_code(caller, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn payment_methods() -> Res {
    ok(&dto::payment_methods_json())
}

async fn list_charges(
    App(core): App,
    Extension(caller): Extension<Caller>,
    RawQuery(q): RawQuery,
) -> Res {
    ok(&core.list_charges(caller, q.as_deref())?)
}

async fn retrieve_charge(
    App(core): App,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    ok(&core.retrieve_charge(Some(caller.live_mode), &id)?)
}

async fn charge_status(
    App(core): App,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    ok(&core.charge_status(caller, &id)?)
}

async fn list_refunds(
    App(core): App,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Res {
    ok(&core.list_refunds(caller, &id, q.as_deref())?)
}

async fn create_refund(
    App(core): App,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    later: Option<Extension<CommitLater>>,
    body: Bytes,
) -> Res {
    let later = later.map(|Extension(CommitLater(ms))| ms);
    let refund = core.create_refund(Some(caller.live_mode), &id, &body, later)?;
    Ok(json_response(StatusCode::CREATED, &refund))
}

async fn retrieve_refund(
    App(core): App,
    Extension(caller): Extension<Caller>,
    Path((id, refund_id)): Path<(String, String)>,
) -> Res {
    ok(&core.retrieve_refund(caller, &id, &refund_id)?)
}
