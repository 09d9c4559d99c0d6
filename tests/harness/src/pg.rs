//! A throw-away PostgreSQL database for the head office's tests, on the
//! cluster scripts/test runs them under (`pg_virtualenv` sets `PGHOST` and
//! friends).

use std::sync::atomic::{AtomicU32, Ordering};

/// The libpq connection string of database `name`, or `None` when no
/// PostgreSQL was provided (a plain `cargo test` outside scripts/test).
pub fn conninfo(name: &str) -> Option<String> {
    let host = std::env::var("PGHOST").ok()?;
    let mut s = format!("host={host} dbname={name}");
    for (var, key) in [
        ("PGPORT", "port"),
        ("PGUSER", "user"),
        ("PGPASSWORD", "password"),
    ] {
        if let Ok(v) = std::env::var(var) {
            s.push_str(&format!(" {key}={v}"));
        }
    }
    Some(s)
}

/// A new, empty database; `None` (test skipped) without PostgreSQL,
/// unless scripts/test asked for it (`EASYQR_REQUIRE_PG`), then a failure.
pub async fn fresh_db() -> Option<String> {
    let Some(admin) = conninfo("postgres") else {
        assert!(
            std::env::var_os("EASYQR_REQUIRE_PG").is_none(),
            "EASYQR_REQUIRE_PG is set but PGHOST is not: run under pg_virtualenv"
        );
        eprintln!("head-office test skipped: no PostgreSQL (run it through ./scripts/test)");
        return None;
    };
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "hq_test_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .expect("connect to the test cluster");
    tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    conninfo(&name)
}
