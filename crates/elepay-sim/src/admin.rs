//! `/_sim/` test and demo controls: JSON in/out, no auth. Each handler is a
//! thin wrapper over [`SimControl`] / [`Core`], the same functions the
//! in-process API uses.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::control::{Core, SimControl, DEFAULT_ROTATION_OVERLAP_MS};
use crate::errors::{json_response, ApiError, ErrorCode, SimError};
use crate::faults::FaultSpec;
use crate::validate::json_object;

type Res = Result<Response, ApiError>;
type St = State<Arc<Core>>;

/// Human-readable list of the admin endpoints (also shown by `--help`).
pub const ADMIN_HELP: &str = "\
Admin endpoints (JSON in/out, no auth; never under elepay's own paths):
  POST   /_sim/codes/{codeId}/pay        {\"paymentMethod\":\"paypay\"}  -> 200 ChargeDto (404/409 if not payable)
  POST   /_sim/codes/{codeId}/fail       {}  -> 200 {\"status\":\"pending\"} (nothing is sent)
  GET    /_sim/codes                     -> {\"total\":N,\"codes\":[CodeDto...]}
  GET    /_sim/clock                     -> {\"now\":ms,\"scale\":F}
  GET    /_sim/requests                  -> {\"requests\":{\"retrieveCode\":N,...},\"total\":N}
  POST   /_sim/clock/advance             {\"ms\":60000}
  POST   /_sim/clock/scale               {\"scale\":60.0}   (0 freezes the clock)
  POST   /_sim/keys                      {\"secretKey\":\"sk_test_...\"}
  POST   /_sim/keys/rotate               {\"secretKey\":\"sk_test_new\",\"overlapMs\":259200000}
  GET    /_sim/faults                    -> {\"faults\":[...]}
  POST   /_sim/faults                    {\"endpoint\":\"createCode\"|\"*\",\"kind\":\"latency|http5xx|throttle|dropAfterCommit|reset|commitLater|omitCharge\",
                                          \"count\":1,\"latencyMs\":1500,\"delayMs\":600000,\"status\":503}
  DELETE /_sim/faults
  GET    /_sim/config                    -> {\"authErrorStatus\":400}
  POST   /_sim/config                    {\"authErrorStatus\":401}   (400|401)
  GET    /_sim/webhooks/endpoints        -> {\"endpoints\":[{\"id\",\"url\"}]}
  POST   /_sim/webhooks/endpoints        {\"url\":\"http://...\",\"secret\":\"whsec\"} -> {\"id\":\"we_...\"}
  DELETE /_sim/webhooks/endpoints/{id}
  POST   /_sim/webhooks/behaviour        {\"duplicates\":N,\"hold\":bool}
  POST   /_sim/webhooks/release          {\"order\":\"original\"|\"reverse\"} -> {\"released\":N}
  GET    /_sim/webhooks/deliveries       -> {\"deliveries\":[{eventId,eventType,endpointId,url,attempt,copy,simTimeMs,outcome}]}
  POST   /_sim/charges/{chargeId}/refund {\"amount\":N}  -> 201 RefundDto (a dashboard refund)
Customer pay page (what codeUrl opens): GET/POST /pay/code/{codeId}";

pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
        .route("/_sim/codes", get(list_codes))
        .route("/_sim/codes/{codeId}/pay", post(pay))
        .route("/_sim/codes/{codeId}/fail", post(fail))
        .route("/_sim/clock", get(clock))
        .route("/_sim/requests", get(requests))
        .route("/_sim/clock/advance", post(advance))
        .route("/_sim/clock/scale", post(scale))
        .route("/_sim/keys", post(add_key))
        .route("/_sim/keys/rotate", post(rotate_key))
        .route(
            "/_sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sim/config", get(get_config).post(set_config))
        .route(
            "/_sim/webhooks/endpoints",
            get(list_endpoints).post(add_endpoint),
        )
        .route("/_sim/webhooks/endpoints/{id}", delete(remove_endpoint))
        .route("/_sim/webhooks/behaviour", post(behaviour))
        .route("/_sim/webhooks/release", post(release))
        .route("/_sim/webhooks/deliveries", get(deliveries))
        .route("/_sim/charges/{chargeId}/refund", post(refund))
}

fn control(core: Arc<Core>) -> SimControl {
    SimControl { core }
}

fn ok(v: &Value) -> Res {
    Ok(json_response(StatusCode::OK, v))
}

/// Admin bodies may be empty (treated as `{}`).
fn body_obj(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    json_object(body)
}

fn sim_err(param: &str) -> impl Fn(SimError) -> ApiError + '_ {
    move |e| match e {
        SimError::Rejected { .. } | SimError::Config(_) | SimError::Bind { .. } => {
            tracing::info!("admin request rejected: {e}");
            ApiError::invalid(param)
        }
    }
}

/// Not-payable codes answer 409 and unknown ones 404 on the admin side.
fn pay_status(e: ApiError) -> ApiError {
    let status = match e.code {
        ErrorCode::M002003 => StatusCode::NOT_FOUND,
        ErrorCode::M006003 | ErrorCode::M006004 => StatusCode::CONFLICT,
        _ => e.status,
    };
    e.status(status)
}

async fn list_codes(State(core): St) -> Res {
    ok(&core.all_codes())
}

async fn pay(State(core): St, Path(code_id): Path<String>, body: Bytes) -> Res {
    let m = body_obj(&body)?;
    let method = m
        .get("paymentMethod")
        .and_then(Value::as_str)
        .unwrap_or("paypay");
    ok(&core.pay(&code_id, method).map_err(pay_status)?)
}

async fn fail(State(core): St, Path(code_id): Path<String>) -> Res {
    core.fail(&code_id).map_err(pay_status)?;
    ok(&json!({"status": "pending"}))
}

fn clock_json(core: &Core) -> Value {
    json!({"now": core.now(), "scale": core.clock.scale()})
}

async fn requests(State(core): St) -> Res {
    ok(&core.request_counts())
}

async fn clock(State(core): St) -> Res {
    ok(&clock_json(&core))
}

async fn advance(State(core): St, body: Bytes) -> Res {
    let ms = body_obj(&body)?
        .get("ms")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::invalid("ms"))?;
    control(core.clone())
        .advance_clock(ms)
        .map_err(sim_err("ms"))?;
    ok(&clock_json(&core))
}

async fn scale(State(core): St, body: Bytes) -> Res {
    let s = body_obj(&body)?
        .get("scale")
        .and_then(Value::as_f64)
        .ok_or_else(|| ApiError::invalid("scale"))?;
    control(core.clone())
        .set_clock_scale(s)
        .map_err(sim_err("scale"))?;
    ok(&clock_json(&core))
}

fn secret_key(m: &Map<String, Value>) -> Result<String, ApiError> {
    m.get("secretKey")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::missing("secretKey"))
}

async fn add_key(State(core): St, body: Bytes) -> Res {
    let key = secret_key(&body_obj(&body)?)?;
    control(core).add_key(&key).map_err(sim_err("secretKey"))?;
    ok(&json!({"ok": true}))
}

async fn rotate_key(State(core): St, body: Bytes) -> Res {
    let m = body_obj(&body)?;
    let key = secret_key(&m)?;
    let overlap = match m.get("overlapMs") {
        None | Some(Value::Null) => DEFAULT_ROTATION_OVERLAP_MS,
        Some(v) => v
            .as_i64()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid("overlapMs"))?,
    };
    let now = core.now();
    control(core)
        .rotate_key(&key, overlap)
        .map_err(sim_err("secretKey"))?;
    ok(&json!({"ok": true, "oldKeysValidUntil": now.saturating_add(overlap)}))
}

async fn list_faults(State(core): St) -> Res {
    ok(&json!({"faults": control(core).faults()}))
}

async fn add_fault(State(core): St, body: Bytes) -> Res {
    let spec: FaultSpec = serde_json::from_slice(&body).map_err(|_| ApiError::invalid("kind"))?;
    control(core).add_fault(spec).map_err(sim_err("endpoint"))?;
    ok(&json!({"ok": true}))
}

async fn clear_faults(State(core): St) -> Res {
    control(core).clear_faults();
    ok(&json!({"ok": true}))
}

async fn get_config(State(core): St) -> Res {
    ok(&json!({"authErrorStatus": core.auth_error_status()}))
}

async fn set_config(State(core): St, body: Bytes) -> Res {
    let m = body_obj(&body)?;
    if let Some(v) = m.get("authErrorStatus") {
        let status = v
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| ApiError::invalid("authErrorStatus"))?;
        core.set_auth_error_status(status)
            .map_err(|_| ApiError::invalid("authErrorStatus"))?;
    }
    ok(&json!({"authErrorStatus": core.auth_error_status()}))
}

async fn list_endpoints(State(core): St) -> Res {
    let list: Vec<Value> = core
        .webhooks
        .endpoints()
        .into_iter()
        .map(|(id, url)| json!({"id": id, "url": url.as_str()}))
        .collect();
    ok(&json!({"endpoints": list}))
}

async fn add_endpoint(State(core): St, body: Bytes) -> Res {
    let m = body_obj(&body)?;
    let url = m
        .get("url")
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| ApiError::invalid("url"))?;
    let secret = m
        .get("secret")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("secret"))?;
    let id = control(core).add_webhook_endpoint(url, secret);
    Ok(json_response(StatusCode::CREATED, &json!({ "id": id })))
}

async fn remove_endpoint(State(core): St, Path(id): Path<String>) -> Res {
    if control(core).remove_webhook_endpoint(&id) {
        Ok(json_response(StatusCode::OK, &json!({"ok": true})))
    } else {
        Err(ApiError::not_found().status(StatusCode::NOT_FOUND))
    }
}

async fn behaviour(State(core): St, body: Bytes) -> Res {
    let mut b = core.webhooks.behaviour();
    let m = body_obj(&body)?;
    if let Some(v) = m.get("duplicates") {
        b.duplicates = v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= 100)
            .ok_or_else(|| ApiError::invalid("duplicates"))?;
    }
    if let Some(v) = m.get("hold") {
        b.hold = v.as_bool().ok_or_else(|| ApiError::invalid("hold"))?;
    }
    control(core).set_webhook_behaviour(b);
    ok(&serde_json::to_value(b).unwrap_or_default())
}

async fn release(State(core): St, body: Bytes) -> Res {
    let reverse = match body_obj(&body)?.get("order").and_then(Value::as_str) {
        None | Some("original") => false,
        Some("reverse") => true,
        Some(_) => return Err(ApiError::invalid("order")),
    };
    let n = control(core).release_held_webhooks(reverse);
    ok(&json!({ "released": n }))
}

async fn deliveries(State(core): St) -> Res {
    ok(&json!({"deliveries": control(core).deliveries()}))
}

async fn refund(State(core): St, Path(charge_id): Path<String>, body: Bytes) -> Res {
    let refund = core
        .create_refund(None, &charge_id, &body, None)
        .map_err(|e| match e.code {
            ErrorCode::M002003 => e.status(StatusCode::NOT_FOUND),
            _ => e,
        })?;
    Ok(json_response(StatusCode::CREATED, &refund))
}
