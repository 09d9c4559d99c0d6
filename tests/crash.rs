//! Crash harness (PRODUCT.md §3 invariant 9): run `easyqr-cli charge`
//! against the simulator, kill it with SIGKILL at a random instant, restart
//! with `recover`, and repeat; meanwhile a "customer" pays some of the codes
//! that were actually shown. At the end the ledger and elepay's own records
//! must agree and invariants 1–8 must hold.
//!
//! `EASYQR_CRASH_TRIALS` sets the number of trials (default 200);
//! `EASYQR_CRASH_SEED` replays a run (the seed is printed).
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use easyqr_ledger::{AttemptState, Ledger};
use elepay_sim::{FaultKind, FaultSpec};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const KEY: &str = "sk_test_crashharness01";
const BIN: &str = env!("CARGO_BIN_EXE_easyqr-cli");

fn cli(data: &std::path::Path, base: &url::Url) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(BIN);
    c.env("ELEPAY_SECRET_KEY", KEY)
        .env_remove("EASYQR_DATA_DIR")
        .env_remove("EASYQR_API_BASE")
        .args(["--data-dir", data.to_str().unwrap()])
        .args(["--api-base", base.as_str()])
        .args([
            "--prefix",
            "CR1",
            "--poll-ms",
            "20",
            "--timeout-ms",
            "400",
            "--expiry-minutes",
            "3",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    c
}

async fn recover(data: &std::path::Path, base: &url::Url, wait: bool) {
    let mut c = cli(data, base);
    c.arg("recover").stdout(Stdio::null());
    if wait {
        c.arg("--wait");
    }
    let status = tokio::time::timeout(Duration::from_secs(60), c.status())
        .await
        .expect("recover finishes")
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "recover reports a broken journal or fails"
    );
}

#[derive(Default)]
struct Seen {
    /// Codes the CLI announced as shown (state pending).
    shown: HashSet<String>,
    /// Codes the customer paid.
    paid: HashSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_instants_loses_nothing() {
    let trials: usize = std::env::var("EASYQR_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("EASYQR_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    println!("crash harness: {trials} trials, seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let control = sim.control();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut kills = 0;
    // Every sale is rung up in a shift.
    let opened = cli(&data, &base)
        .args(["shift-open", "--cashier", "crash"])
        .stdout(Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(opened.success());

    for t in 0..trials {
        // Network trouble on the create for about a third of the trials.
        let fault = match rng.random_range(0..10) {
            0 => Some(FaultKind::DropAfterCommit),
            1 => Some(FaultKind::Reset),
            2 => Some(FaultKind::Http5xx),
            3 => Some(FaultKind::Latency),
            _ => None,
        };
        if let Some(kind) = fault {
            let mut f = FaultSpec::new("createCode", kind);
            f.latency_ms = 600;
            control.add_fault(f).unwrap();
        }
        let mut child = cli(&data, &base)
            .args(["charge", "--amount", &(100 + t).to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let pay_chance: f64 = rng.random_range(0.0..1.0);
        let (seen2, control2) = (seen.clone(), control.clone());
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let v: Value = serde_json::from_str(&line).unwrap();
                if v["state"] == "pending" {
                    let code = v["codeId"].as_str().unwrap().to_owned();
                    seen2.lock().unwrap().shown.insert(code.clone());
                    // The customer scans what is on the screen, maybe.
                    if pay_chance < 0.5 && control2.pay(&code, "paypay").is_ok() {
                        seen2.lock().unwrap().paid.insert(code);
                    }
                }
            }
        });
        let delay = rng.random_range(0..250);
        let done = tokio::time::timeout(Duration::from_millis(delay), child.wait()).await;
        if done.is_err() {
            child.start_kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().await.unwrap();
        reader.await.unwrap();
        control.clear_faults();
        // The restart.
        recover(&data, &base, false).await;
        if t % 25 == 24 {
            // Let unpaid codes expire on elepay's side and resolve them.
            control.advance_clock(4 * 60_000).unwrap();
            recover(&data, &base, true).await;
        }
    }
    control.advance_clock(4 * 60_000).unwrap();
    recover(&data, &base, true).await;

    // ----- the invariants, checked against elepay's records -----
    let ledger = Ledger::open(&data.join("test/ledger.sqlite3")).unwrap();
    let seen = seen.lock().unwrap();
    let report = ledger.verify().unwrap();
    assert!(report.is_intact(), "journal broken: {:?}", report.first_bad);
    assert!(
        ledger.unresolved_attempts().unwrap().is_empty(),
        "everything resolved"
    );

    let codes = control.codes();
    let mut server_captured = 0;
    let mut orphans = 0;
    for code in &codes {
        let id = code["id"].as_str().unwrap();
        let status = code["status"].as_str().unwrap();
        match ledger.attempt_by_code_id(id).unwrap() {
            Some(a) => {
                let expected = match (status, code["expired"].as_bool().unwrap()) {
                    ("captured", _) => AttemptState::Captured,
                    ("closed", true) => AttemptState::Expired,
                    ("closed", false) => AttemptState::Closed,
                    other => panic!("unexpected server state {other:?}"),
                };
                assert_eq!(a.state, expected, "ledger and elepay disagree on {id}");
                if status == "captured" {
                    server_captured += 1;
                    assert_eq!(a.charge_id.as_deref(), code["charge"]["id"].as_str());
                }
            }
            None => {
                // Invariants 2 and 3: a code the ledger does not know was
                // never shown, so nobody could pay it, and its orderNo was burned.
                orphans += 1;
                assert!(
                    !seen.shown.contains(id),
                    "an unrecorded code was shown: {id}"
                );
                assert_ne!(status, "captured");
                let order = code["orderNo"].as_str().unwrap();
                let attempts = ledger.attempts_by_order_no(order).unwrap();
                assert!(
                    attempts.iter().any(|a| a.state == AttemptState::Burned),
                    "orphan {id} of {order} without a burned attempt"
                );
            }
        }
    }
    // Invariant 2: every shown code is durable.
    for id in &seen.shown {
        assert!(
            ledger.attempt_by_code_id(id).unwrap().is_some(),
            "shown but not recorded: {id}"
        );
    }
    // Invariant 5: each payment recorded exactly once.
    let ledger_captured = ledger.with_connection(|c| {
        c.query_row(
            "SELECT count(*) FROM attempts WHERE state = 'captured'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    });
    assert_eq!(ledger_captured, server_captured);
    assert_eq!(
        ledger_captured as usize,
        seen.paid.len(),
        "every customer payment recorded"
    );
    let doubles: i64 = ledger.with_connection(|c| {
        c.query_row(
            "SELECT count(*) FROM (SELECT attempt_id FROM journal WHERE json_extract(payload, '$.to') = 'captured'
             GROUP BY attempt_id HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(doubles, 0);
    // Invariant 1: no create was ever refused because its orderNo was payable.
    let m002007: i64 = ledger.with_connection(|c| {
        c.query_row(
            "SELECT count(*) FROM journal WHERE payload LIKE '%M002007%'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(m002007, 0, "an orderNo was sent while payable");

    let burned = ledger.with_connection(|c| {
        c.query_row(
            "SELECT count(*) FROM attempts WHERE state = 'burned'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    });
    println!(
        "crash harness: {trials} trials, {kills} SIGKILLs, {} codes at elepay, {} shown, {server_captured} paid, {orphans} orphans never shown, {burned} burned attempts",
        codes.len(),
        seen.shown.len()
    );
    assert!(kills > trials / 4, "the harness must actually kill");
}
