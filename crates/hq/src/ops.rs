//! For the operator and the load balancer: `/healthz` (the process
//! answers), `/readyz` (the database and the listener are reachable and
//! the process is not draining) and `/metrics` (Prometheus text format,
//! names prefixed `easyqr_`). The proxy in front keeps them off the
//! internet (see the nginx site in the README).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::AppState;

/// A readiness or metrics probe waits this long for the database at most.
const PROBE_WAIT: Duration = Duration::from_secs(2);

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(s): State<AppState>) -> Response {
    let draining = *s.draining.borrow();
    let listener = s.relay.listening.load(Ordering::Relaxed);
    let database = database_answers(&s).await;
    let ready = !draining && listener && database;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({
            "ready": ready, "draining": draining, "database": database, "listener": listener,
        })),
    )
        .into_response()
}

async fn database_answers(s: &AppState) -> bool {
    let probe = async {
        let c = s.db.get().await.ok()?;
        c.simple_query("SELECT 1").await.ok()
    };
    matches!(tokio::time::timeout(PROBE_WAIT, probe).await, Ok(Some(_)))
}

/// Rows the registers shipped that are not yet in the figures.
async fn projection_lag(s: &AppState) -> Option<i64> {
    let probe = async {
        let c = s.db.get().await.ok()?;
        let row = c
            .query_one(
                "SELECT coalesce(sum(greatest(acked_seq - projected_seq, 0)), 0)::bigint
                 FROM registers WHERE revoked_at IS NULL",
                &[],
            )
            .await
            .ok()?;
        Some(row.get::<_, i64>(0))
    };
    tokio::time::timeout(PROBE_WAIT, probe).await.ok().flatten()
}

pub async fn metrics(State(s): State<AppState>) -> Response {
    let m = &s.metrics;
    let mut out = String::new();
    let mut line = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(
            out,
            "# HELP easyqr_{name} {help}\n# TYPE easyqr_{name} {kind}"
        );
        for (labels, v) in samples {
            let _ = writeln!(out, "easyqr_{name}{labels} {v}");
        }
    };
    let c = |v: u64| v as f64;
    line(
        "webhooks_received_total",
        "counter",
        "Webhook deliveries received.",
        &[("", c(m.webhooks_received.get()))],
    );
    line(
        "webhooks_stored_total",
        "counter",
        "Webhook deliveries stored as a new event.",
        &[("", c(m.webhooks_stored.get()))],
    );
    line(
        "webhooks_duplicate_total",
        "counter",
        "Deliveries of an event already stored (elepay's retries).",
        &[("", c(m.webhooks_duplicate.get()))],
    );
    let refused: Vec<(String, f64)> = m
        .refused()
        .into_iter()
        .map(|(reason, n)| (format!("{{reason=\"{reason}\"}}"), c(n)))
        .collect();
    let refused: Vec<(&str, f64)> = refused.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    line(
        "webhooks_refused_total",
        "counter",
        "Webhook deliveries answered non-2xx, by reason.",
        &refused,
    );
    line(
        "events_fanned_out_total",
        "counter",
        "Events handed to a register's stream.",
        &[("", c(m.events_fanned_out.get()))],
    );
    line(
        "streams_fell_behind_total",
        "counter",
        "Streams ended because their buffer was full.",
        &[("", c(m.streams_fell_behind.get()))],
    );
    line(
        "fanout_lag_seconds",
        "gauge",
        "From the newest event's commit to its hand-out.",
        &[("", s.relay.lag_micros.load(Ordering::Relaxed) as f64 / 1e6)],
    );
    line(
        "streams_open",
        "gauge",
        "Register event streams open in this process.",
        &[("", s.streams.len() as f64)],
    );
    line(
        "listener_up",
        "gauge",
        "1 while the database listener is connected.",
        &[(
            "",
            f64::from(u8::from(s.relay.listening.load(Ordering::Relaxed))),
        )],
    );
    line(
        "draining",
        "gauge",
        "1 while the process drains for shutdown.",
        &[("", f64::from(u8::from(*s.draining.borrow())))],
    );
    line(
        "ingest_rows_total",
        "counter",
        "Journal rows taken from registers.",
        &[("", c(m.ingest_rows.get()))],
    );
    if let Some(lag) = projection_lag(&s).await {
        line(
            "projection_lag_rows",
            "gauge",
            "Journal rows stored but not yet in the figures.",
            &[("", lag as f64)],
        );
    }
    let (main, hook) = (s.db.status(), s.inbox_db.status());
    line(
        "pool_waiting",
        "gauge",
        "Requests waiting for a database connection.",
        &[
            ("{pool=\"main\"}", main.waiting as f64),
            ("{pool=\"webhook\"}", hook.waiting as f64),
        ],
    );
    line(
        "pool_connections",
        "gauge",
        "Database connections open.",
        &[
            ("{pool=\"main\"}", main.size as f64),
            ("{pool=\"webhook\"}", hook.size as f64),
        ],
    );
    line(
        "login_failures_total",
        "counter",
        "Failed logins to the view.",
        &[("", c(m.login_failures.get()))],
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
