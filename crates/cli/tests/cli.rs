//! `easyqr-cli` as a user runs it: real binary, real simulator, real ledger.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};

use elepay_sim::{FaultKind, FaultSpec};
use serde_json::Value;

const KEY: &str = "sk_test_clitests000042";
const BIN: &str = env!("CARGO_BIN_EXE_easyqr-cli");

struct Env {
    sim: elepay_sim::RunningSim,
    dir: tempfile::TempDir,
}

/// A data folder whose register has a shift open (no sale outside one).
async fn env() -> Env {
    let e = env_without_shift().await;
    let o = e.run(None, &["shift-open", "--cashier", "テスト"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    e
}

async fn env_without_shift() -> Env {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    Env {
        sim,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Env {
    fn cmd(&self, key: Option<&str>) -> Command {
        let mut c = Command::new(BIN);
        c.env_remove("ELEPAY_SECRET_KEY")
            .env_remove("EASYQR_DATA_DIR")
            .env_remove("EASYQR_API_BASE")
            .args(["--data-dir", self.dir.path().to_str().unwrap()])
            .args(["--api-base", self.sim.base_url().as_str()])
            .args(["--poll-ms", "20", "--prefix", "T1"]);
        if key.is_none() {
            // Without a key, the test ledger is named (each mode has its own).
            c.args(["--mode", "test"]);
        }
        if let Some(k) = key {
            c.env("ELEPAY_SECRET_KEY", k);
        }
        c
    }

    /// Runs to completion off the async runtime.
    async fn run(&self, key: Option<&str>, args: &[&str]) -> Output {
        let mut c = self.cmd(key);
        c.args(args);
        tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap()
    }
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_documents_exit_codes_and_the_key_variable() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for want in [
        "ELEPAY_SECRET_KEY",
        "Exit codes",
        "outcome unknown",
        "--data-dir",
        "--api-base",
        "charge",
        "verify-journal",
    ] {
        assert!(help.contains(want), "help lacks {want}");
    }
    assert!(!help.contains("--secret-key"), "the key is never a flag");
}

#[tokio::test]
async fn bad_keys_and_amounts_get_clear_errors() {
    let e = env().await;
    let o = e.run(None, &["charge", "--amount", "100"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ELEPAY_SECRET_KEY"));
    let o = e
        .run(Some("pk_test_abcdef"), &["charge", "--amount", "100"])
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("publishable"), "{}", stderr(&o));
    let o = e.run(Some(KEY), &["charge", "--amount", "0"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("amount"));
    let data = e.dir.path().to_str().unwrap().to_owned();
    let o = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .env("ELEPAY_SECRET_KEY", KEY)
            .args([
                "--data-dir",
                &data,
                "--prefix",
                "bad prefix",
                "charge",
                "--amount",
                "5",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("orderPrefix"));
}

#[tokio::test]
async fn charge_prints_each_state_and_exits_0_when_paid() {
    let e = env().await;
    let control = e.sim.control();
    let mut child = e
        .cmd(Some(KEY))
        .args(["charge", "--amount", "1280"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Pay as soon as the code is shown.
    let stdout = child.stdout.take().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut seen = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
            if v["state"] == "pending" {
                control
                    .pay(v["codeId"].as_str().unwrap(), "linepay")
                    .unwrap();
            }
            seen.push(v);
        }
        let status = child.wait().unwrap();
        let mut err = String::new();
        use std::io::Read;
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (seen, status, err)
    })
    .await
    .unwrap();
    let (seen, status, err) = out;
    assert_eq!(status.code(), Some(0), "{err}");
    let states: Vec<&str> = seen.iter().map(|v| v["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["reserved", "creating", "pending", "captured"]);
    for v in &seen {
        for k in ["orderNo", "codeId", "codeUrl", "state", "paymentMethod"] {
            assert!(v.get(k).is_some(), "line lacks {k}: {v}");
        }
    }
    assert_eq!(seen[3]["paymentMethod"], "linepay");
    assert!(seen[2]["codeUrl"].as_str().unwrap().contains("/pay/code/"));
    let all = format!("{seen:?}{err}");
    assert!(
        !all.contains("clitests000042"),
        "the key never appears in output"
    );
}

#[tokio::test]
async fn status_cancel_list_and_verify() {
    let e = env().await;
    let o = e
        .run(Some(KEY), &["charge", "--amount", "500", "--no-wait"])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let order = lines(&o).last().unwrap()["orderNo"]
        .as_str()
        .unwrap()
        .to_owned();

    let o = e.run(None, &["status", "--order-no", &order]).await;
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(lines(&o)[0]["state"], "pending");

    let o = e.run(Some(KEY), &["cancel", "--order-no", &order]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["state"], "closed");
    let o = e.run(Some(KEY), &["cancel", "--order-no", &order]).await;
    assert_eq!(o.status.code(), Some(9), "nothing pending to cancel");

    let o = e.run(None, &["status", "--order-no", "NOPE-1"]).await;
    assert_eq!(o.status.code(), Some(9));

    let o = e.run(None, &["list", "--limit", "10"]).await;
    assert_eq!(lines(&o).len(), 1);

    let o = e.run(None, &["verify-journal"]).await;
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(lines(&o)[0]["journal"]["firstBad"], Value::Null);

    // Tamper with the file behind the app's back.
    let ledger = easyqr_ledger::Ledger::open(&e.dir.path().join("test/ledger.sqlite3")).unwrap();
    ledger.with_connection(|c| {
        c.execute_batch("DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = 2;")
            .unwrap()
    });
    let o = e.run(None, &["verify-journal"]).await;
    assert_eq!(o.status.code(), Some(7));
    assert_eq!(lines(&o)[0]["journal"]["firstBad"]["seq"], 2);
}

#[tokio::test]
async fn exit_codes_for_expiry_and_unknown_outcome() {
    let e = env().await;
    let control = e.sim.control();
    control
        .add_fault(FaultSpec::new("createCode", FaultKind::DropAfterCommit))
        .unwrap();
    let o = e.run(Some(KEY), &["charge", "--amount", "300"]).await;
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert_eq!(lines(&o).last().unwrap()["state"], "burned");

    // Expiry while waiting: advance elepay's clock once the code is shown.
    let mut child = e
        .cmd(Some(KEY))
        .args(["--expiry-minutes", "3", "charge", "--amount", "400"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let code = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
            if v["state"] == "pending" {
                control.advance_clock(3 * 60_000).unwrap();
            }
        }
        child.wait().unwrap().code()
    })
    .await
    .unwrap();
    assert_eq!(code, Some(4));
}

#[tokio::test]
async fn only_one_process_changes_payments_at_a_time() {
    use std::io::{BufRead, BufReader};
    let e = env().await;
    let mut first = e.cmd(Some(KEY));
    first
        .args(["charge", "--amount", "300"])
        .stdout(std::process::Stdio::piped());
    let mut child = first.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read until the first charge is showing its code.
    let (code_id, reader) = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut line = String::new();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "charge ended early"
            );
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["state"] == "pending" {
                return (v["codeId"].as_str().unwrap().to_owned(), reader);
            }
        }
    })
    .await
    .unwrap();
    // A second writer (another charge, or a recover that would burn the
    // first one's work) is turned away with its own exit code.
    for args in [&["charge", "--amount", "5"][..], &["recover"][..]] {
        let o = e.run(Some(KEY), args).await;
        assert_eq!(o.status.code(), Some(11), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("another EasyQR POS"), "{}", stderr(&o));
    }
    // Reading is always allowed.
    let o = e.run(None, &["list"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o).len(), 1);
    e.sim.control().pay(&code_id, "paypay").unwrap();
    let (status, rest) = tokio::task::spawn_blocking(move || {
        let rest: Vec<String> = reader.lines().map(|l| l.unwrap()).collect();
        (child.wait().unwrap(), rest)
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(rest.last().unwrap().contains("captured"), "{rest:?}");
    // The lock went with the process.
    let o = e.run(Some(KEY), &["recover"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[tokio::test]
async fn out_of_range_settings_are_refused_by_name() {
    let e = env().await;
    for (flag, value) in [
        ("--timeout-ms", "0"),
        ("--expiry-minutes", "2"),
        ("--poll-ms", "0"),
    ] {
        let o = e
            .run(Some(KEY), &[flag, value, "charge", "--amount", "5"])
            .await;
        assert_eq!(o.status.code(), Some(2), "{flag}");
        assert!(stderr(&o).contains(flag), "{flag}: {}", stderr(&o));
    }
    assert!(e.sim.control().codes().is_empty());
}

#[tokio::test]
async fn a_shift_from_open_to_z_report_with_log_and_csv() {
    let e = env_without_shift().await;
    let ok = |o: &Output| assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    let o = e.run(None, &["shift-open", "--cashier", "佐藤"]).await;
    ok(&o);
    assert_eq!(lines(&o)[0]["shift"]["cashier"], "佐藤");
    let o = e.run(None, &["shift-open", "--cashier", "鈴木"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("shift: one open shift per register"),
        "{}",
        stderr(&o)
    );

    // One paid sale in the shift.
    let o = e
        .run(Some(KEY), &["charge", "--amount", "1280", "--no-wait"])
        .await;
    ok(&o);
    let shown = lines(&o).pop().unwrap();
    e.sim
        .control()
        .pay(shown["codeId"].as_str().unwrap(), "paypay")
        .unwrap();
    ok(&e.run(Some(KEY), &["recover", "--wait"]).await);

    let o = e.run(None, &["report"]).await;
    ok(&o);
    let x = &lines(&o)[0];
    assert_eq!(x["kind"], "X");
    assert_eq!(
        x["report"]["paid"],
        serde_json::json!({"count": 1, "amount": 1280})
    );
    assert_eq!(x["report"]["paidByWallet"][0][0], "paypay");
    assert_eq!(x["report"]["firstOrderNo"], shown["orderNo"]);

    let o = e.run(Some(KEY), &["reconcile"]).await;
    ok(&o);
    assert_eq!(lines(&o)[0]["reconciliation"]["elepayCharges"], 1);
    // Refunded in the elepay dashboard: reconciliation says so, exit 13.
    let charge = lines(
        &e.run(
            None,
            &["status", "--order-no", shown["orderNo"].as_str().unwrap()],
        )
        .await,
    )[0]["chargeId"]
        .as_str()
        .unwrap()
        .to_owned();
    e.sim.control().admin_refund(&charge, 100).unwrap();
    let o = e.run(Some(KEY), &["reconcile"]).await;
    assert_eq!(o.status.code(), Some(13), "{}", stderr(&o));
    let d = &lines(&o)[0]["difference"];
    assert_eq!(
        (d["kind"].as_str(), d["elepayRefunded"].as_i64()),
        (Some("refundMismatch"), Some(100))
    );

    let o = e
        .run(None, &["log", "--status", "captured", "--wallet", "paypay"])
        .await;
    ok(&o);
    let rows = lines(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["row"]["orderNo"], shown["orderNo"]);

    let csv = e.dir.path().join("log.csv");
    let o = e
        .run(None, &["export-log", "--out", csv.to_str().unwrap()])
        .await;
    ok(&o);
    assert_eq!(lines(&o)[0]["rows"], 1);
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with("\u{feff}attempt_id,".as_bytes()));
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.matches("\r\n").count(), 2);
    assert!(text.contains(",captured,1280,paypay,"), "{text}");

    let o = e.run(None, &["shift-close"]).await;
    ok(&o);
    let z = &lines(&o)[0]["report"];
    assert_eq!(z["shift"]["zNumber"], 1);
    // The Z carries the journal head at its close; verify checks against it.
    let head = z["shift"]["journalHead"]["printed"]
        .as_str()
        .unwrap()
        .to_owned();
    let o = e.run(None, &["verify-journal", "--head", &head]).await;
    ok(&o);
    let (rows, _) = head.split_once('-').unwrap();
    let forged = format!("{rows}-0123456789abcdef");
    let o = e.run(None, &["verify-journal", "--head", &forged]).await;
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(lines(&o)[0]["journal"]["firstBad"]["reason"]
        .as_str()
        .unwrap()
        .contains("history was rewritten"));
    let o = e.run(None, &["verify-journal", "--head", "nonsense"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--head"), "{}", stderr(&o));
    assert_eq!(
        z["netSales"], 1280,
        "a dashboard refund is listed, not booked"
    );
    let o = e.run(None, &["report", "--shift", "1", "--csv", "-"]).await;
    ok(&o);
    let zcsv = String::from_utf8(o.stdout).unwrap();
    assert!(zcsv.starts_with('\u{feff}'), "{zcsv}");
    assert!(
        zcsv.contains("report,Z,\r\n") && zcsv.contains("z_number,1,\r\n"),
        "{zcsv}"
    );

    // Mistakes: each names what to fix.
    let o = e.run(None, &["report"]).await;
    assert_eq!(o.status.code(), Some(9));
    assert!(
        stderr(&o).contains("no open shift on register R1"),
        "{}",
        stderr(&o)
    );
    for (args, want) in [
        (&["log", "--from", "2026-02-30"][..], "from: a local date"),
        (&["log", "--status", "paid"][..], "--status: one of"),
        (
            &["log", "--min-amount", "9", "--max-amount", "1"][..],
            "maxAmount",
        ),
        (
            &["report", "--shift", "99"][..],
            "--shift: shift 99 does not exist",
        ),
    ] {
        let o = e.run(None, args).await;
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    let o = e.run(None, &["verify-journal"]).await;
    ok(&o);
}

#[tokio::test]
async fn refund_waits_for_elepay_and_refuses_more_than_is_left() {
    let e = env().await;
    let o = e
        .run(Some(KEY), &["charge", "--amount", "1280", "--no-wait"])
        .await;
    let order = lines(&o).pop().unwrap();
    e.sim
        .control()
        .pay(order["codeId"].as_str().unwrap(), "paypay")
        .unwrap();
    assert_eq!(
        e.run(Some(KEY), &["recover", "--wait"]).await.status.code(),
        Some(0)
    );
    let order_no = order["orderNo"].as_str().unwrap().to_owned();

    // A refund counts in the shift it is made in: none without one.
    assert_eq!(e.run(None, &["shift-close"]).await.status.code(), Some(0));
    let o = e
        .run(
            Some(KEY),
            &["refund", "--order-no", &order_no, "--amount", "1"],
        )
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("shift-open --cashier"),
        "{}",
        stderr(&o)
    );
    let o = e.run(None, &["shift-open", "--cashier", "佐藤"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let mut child = e
        .cmd(Some(KEY))
        .args([
            "refund",
            "--order-no",
            &order_no,
            "--amount",
            "1000",
            "--reason",
            "返品",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let control = e.sim.control();
    let stdout = child.stdout.take().unwrap();
    let (seen, status) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut seen = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
            if v["refund"]["status"] == "pending" {
                // elepay completes it a little later.
                control.advance_clock(3_000).unwrap();
            }
            seen.push(v["refund"]["status"].as_str().unwrap().to_owned());
        }
        (seen, child.wait().unwrap())
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(seen, ["pending", "refunded"]);

    let o = e
        .run(
            Some(KEY),
            &["refund", "--order-no", &order_no, "--amount", "281"],
        )
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("amount: at most the refundable remainder ¥280"),
        "{}",
        stderr(&o)
    );
    let o = e.run(None, &["log", "--order-no", &order_no]).await;
    assert_eq!(lines(&o)[0]["row"]["refunded"], 1000);
}

/// Issue 12 item 2: no charge outside a shift; the refusal names the shift
/// and how to open one, and nothing reaches elepay.
#[tokio::test]
async fn a_charge_without_an_open_shift_is_refused_naming_the_shift() {
    let e = env_without_shift().await;
    let o = e
        .run(Some(KEY), &["charge", "--amount", "500", "--no-wait"])
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("no shift is open on register R1"), "{err}");
    assert!(err.contains("shift-open --cashier"), "{err}");
    assert!(e.sim.control().codes().is_empty(), "nothing sent");
    let log = e.run(None, &["log"]).await;
    assert!(lines(&log).is_empty());
    // Sales an older ledger kept outside any shift have a report of their own.
    let o = e.run(None, &["report", "--outside-shifts"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["outsideShifts"]["paid"]["count"], 0);
}

/// Issue 12 item 1: test and live keep apart. A live key works on the live
/// ledger and never sees (or resumes) a test code; a key of another elepay
/// app is refused before it can strand this ledger's codes.
#[tokio::test]
async fn a_live_key_never_touches_test_codes_and_another_apps_key_is_refused() {
    let e = env().await;
    let o = e
        .run(Some(KEY), &["charge", "--amount", "700", "--no-wait"])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let code = lines(&o).pop().unwrap()["codeId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(e.dir.path().join("test/ledger.sqlite3").exists());

    // The reproduction: a live key's recover used to resume it.
    let live = "sk_live_cli0000000000000001";
    e.sim.control().add_key(live).unwrap();
    let o = e.run(Some(live), &["recover"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(!out.contains(&code), "{out}");
    let o = e.run(Some(live), &["log"]).await;
    assert!(lines(&o).is_empty(), "the live ledger holds no test sale");
    let o = e
        .run(Some(KEY), &["--mode", "live", "charge", "--amount", "1"])
        .await;
    assert_eq!(o.status.code(), Some(2), "--mode must agree with the key");
    assert!(
        stderr(&o).contains("--mode: the key is a test key"),
        "{}",
        stderr(&o)
    );

    // Another elepay app's test key on this register's test ledger.
    let other = "sk_test_otherapp0000000001";
    e.sim.control().add_app(other).unwrap();
    let o = e.run(Some(other), &["recover"]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("another elepay app"), "{}", stderr(&o));
    // The code is still this app's, pending, and watched by the right key.
    let status = e.sim.control().codes()[0]["status"].clone();
    assert_eq!(status, "pending");
}

/// Issue 22 point 3: the CLI's charge goes through the same check as the
/// app's: an over-long description is refused by field before anything is
/// journaled (or sent to elepay).
#[tokio::test]
async fn an_over_long_description_is_refused_before_the_journal() {
    let e = env().await;
    let journal_head = |dir: &std::path::Path| {
        easyqr_ledger::Ledger::open(&dir.join("test").join("ledger.sqlite3"))
            .unwrap()
            .journal_head_seq()
            .unwrap()
    };
    let head = journal_head(e.dir.path());
    let long = "x".repeat(elepay::DESCRIPTION_MAX + 1);
    let o = e
        .run(
            Some(KEY),
            &[
                "charge",
                "--amount",
                "500",
                "--description",
                &long,
                "--no-wait",
            ],
        )
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("description: at most 255 characters"),
        "{}",
        stderr(&o)
    );
    assert_eq!(journal_head(e.dir.path()), head, "nothing journaled");
    assert!(e.sim.control().codes().is_empty(), "nothing sent");
}
