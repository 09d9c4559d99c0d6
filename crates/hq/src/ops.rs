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
    let relay = &s.relay;
    let mut x = Exposition::default();
    x.counter(
        "webhooks_received_total",
        "Webhook deliveries received.",
        m.webhooks_received.get(),
    );
    x.counter(
        "webhooks_stored_total",
        "Webhook deliveries stored as a new event.",
        m.webhooks_stored.get(),
    );
    x.counter(
        "webhooks_duplicate_total",
        "Deliveries of an event already stored (elepay's retries).",
        m.webhooks_duplicate.get(),
    );
    let refused: Vec<(String, f64)> = m
        .refused()
        .into_iter()
        .map(|(reason, n)| (format!("reason=\"{reason}\""), n as f64))
        .collect();
    x.family(
        "webhooks_refused_total",
        "counter",
        "Webhook deliveries answered non-2xx, by reason.",
        &refused,
    );
    x.counter(
        "events_fanned_out_total",
        "Events handed to a register's stream.",
        m.events_fanned_out.get(),
    );
    x.counter(
        "streams_fell_behind_total",
        "Streams ended because their buffer was full.",
        m.streams_fell_behind.get(),
    );
    x.gauge(
        "fanout_lag_seconds",
        "From the newest event's commit to its hand-out.",
        relay.lag_micros.load(Ordering::Relaxed) as f64 / 1e6,
    );
    x.gauge(
        "streams_open",
        "Register event streams open in this process.",
        s.streams.len() as f64,
    );
    x.gauge(
        "listener_up",
        "1 while the database listener is connected.",
        flag(relay.listening.load(Ordering::Relaxed)),
    );
    x.gauge(
        "draining",
        "1 while the process drains for shutdown.",
        flag(*s.draining.borrow()),
    );
    x.counter(
        "ingest_rows_total",
        "Journal rows taken from registers.",
        m.ingest_rows.get(),
    );
    if let Some(lag) = projection_lag(&s).await {
        x.gauge(
            "projection_lag_rows",
            "Journal rows stored but not yet in the figures.",
            lag as f64,
        );
    }
    let pools = [("main", s.db.status()), ("webhook", s.inbox_db.status())];
    let by_pool = |f: fn(&deadpool_postgres::Status) -> usize| -> Vec<(String, f64)> {
        pools
            .iter()
            .map(|(p, st)| (format!("pool=\"{p}\""), f(st) as f64))
            .collect()
    };
    x.family(
        "pool_waiting",
        "gauge",
        "Requests waiting for a database connection.",
        &by_pool(|st| st.waiting),
    );
    x.family(
        "pool_connections",
        "gauge",
        "Database connections open.",
        &by_pool(|st| st.size),
    );
    x.counter(
        "login_failures_total",
        "Failed logins to the view.",
        m.login_failures.get(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        x.text,
    )
        .into_response()
}

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// Prometheus's text format, every name prefixed `easyqr_`.
#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
        let _ = writeln!(
            self.text,
            "# HELP easyqr_{name} {help}\n# TYPE easyqr_{name} {kind}"
        );
        for (labels, v) in samples {
            let labels = if labels.is_empty() {
                String::new()
            } else {
                format!("{{{labels}}}")
            };
            let _ = writeln!(self.text, "easyqr_{name}{labels} {v}");
        }
    }

    fn counter(&mut self, name: &str, help: &str, v: u64) {
        self.family(name, "counter", help, &[(String::new(), v as f64)]);
    }

    fn gauge(&mut self, name: &str, help: &str, v: f64) {
        self.family(name, "gauge", help, &[(String::new(), v)]);
    }
}
