//! The CLI's tax and receipt use cases as a script runs them: settings by
//! key, a charge by item lines with their rates, receipts to stdout and to
//! the virtual printer (再発行 the second time), a refund by item, the
//! report printed by rate. Real binary, simulator, ledger and printer.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};

use easyqr_test_harness::printer::VirtualPrinter;
use serde_json::Value;

const KEY: &str = "sk_test_clireceipts00042";
const BIN: &str = env!("CARGO_BIN_EXE_easyqr-cli");

struct Env {
    sim: elepay_sim::RunningSim,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        let e = Env {
            sim: elepay_sim::start_frozen(KEY).await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
        };
        let o = e.run(&["shift-open", "--cashier", "佐藤"]).await;
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        e
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env("ELEPAY_SECRET_KEY", KEY)
            .env_remove("EASYQR_DATA_DIR")
            .args(["--data-dir", self.dir.path().to_str().unwrap()])
            .args(["--api-base", self.sim.base_url().as_str()])
            .args(["--poll-ms", "20", "--prefix", "T1"]);
        c
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut c = self.cmd();
        c.args(args);
        tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap()
    }

    /// `charge …`, paid with PayPay as soon as its code is shown; its lines.
    async fn charge_paid(&self, args: &[&str]) -> Vec<Value> {
        let mut child = self
            .cmd()
            .arg("charge")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let control = self.sim.control();
        let stdout = child.stdout.take().unwrap();
        tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut seen = Vec::new();
            for line in std::io::BufReader::new(stdout).lines() {
                let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
                if v["state"] == "pending" {
                    control
                        .pay(v["codeId"].as_str().unwrap(), "paypay")
                        .unwrap();
                }
                seen.push(v);
            }
            assert_eq!(child.wait().unwrap().code(), Some(0));
            seen
        })
        .await
        .unwrap()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn settings_are_set_by_key_and_checked_by_the_apps_rules() {
    let e = Env::new().await;
    let o = e
        .run(&["settings", "set", "invoice.registrationNumber", "T123"])
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invoice.registrationNumber") && stderr(&o).contains("13 digits"),
        "{}",
        stderr(&o)
    );
    let o = e
        .run(&[
            "settings",
            "set",
            "invoice.registrationNumber",
            "t7000-0120-50002",
        ])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = e
        .run(&["settings", "get", "invoice.registrationNumber"])
        .await;
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["invoice.registrationNumber"], "T7000012050002");
    // A check digit that is not a 法人番号's: kept, with a warning.
    let o = e
        .run(&[
            "settings",
            "set",
            "invoice.registrationNumber",
            "T1000012050002",
        ])
        .await;
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("warning") && stderr(&o).contains("check digit"),
        "{}",
        stderr(&o)
    );
    for (key, value) in [
        ("tax.rounding", "up"),
        ("printer.width", "72"),
        ("receipt.autoPrint", "yes"),
    ] {
        let o = e.run(&["settings", "set", key, value]).await;
        assert_eq!(o.status.code(), Some(2), "{key}");
        assert!(stderr(&o).contains(key), "{}", stderr(&o));
    }
    let o = e.run(&["settings", "get"]).await;
    let all: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(all["tax"]["rounding"], "floor");
    assert_eq!(all["printer"]["width"], 80);
}

#[tokio::test]
async fn a_mixed_rate_sale_is_charged_printed_refunded_by_item_and_reported_by_rate() {
    let e = Env::new().await;
    for (k, v) in [
        ("invoice.issuerName", "喫茶ひだまり"),
        ("invoice.registrationNumber", "T7000012050002"),
    ] {
        let o = e.run(&["settings", "set", k, v]).await;
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    // Refused before elepay is asked: an amount that is not the items' total,
    // a rate that is not one of the three.
    let o = e
        .run(&["charge", "--item", "コーヒー豆:2:480", "--amount", "1000"])
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--amount") && stderr(&o).contains("¥960"),
        "{}",
        stderr(&o)
    );
    let o = e.run(&["charge", "--item", "パン:1:200:eight"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard (10%)"), "{}", stderr(&o));
    assert!(e.sim.control().codes().is_empty(), "nothing reached elepay");

    let seen = e
        .charge_paid(&[
            "--item",
            "コーヒー豆:2:480",
            "--item",
            "サンドイッチ:1:398:reduced",
        ])
        .await;
    let order = seen[0]["orderNo"].as_str().unwrap().to_owned();
    assert_eq!(seen[0]["amount"], 1358);

    // No printer: the receipt's lines on stdout; the second says 再発行.
    let o = e.run(&["receipt", "--order-no", &order]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "適格簡易請求書",
        "登録番号 T7000012050002",
        "サンドイッチ※",
        "10%対象 ¥960",
        "内消費税 ¥87",
        "8%対象 ¥398",
        "内消費税 ¥29",
        "¥1,358",
        "PayPay",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    assert!(!text.contains("再発行"));
    let vp = VirtualPrinter::start().await;
    let o = e
        .run(&["receipt", "--order-no", &order, "--printer", &vp.url()])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let job = &vp.wait_jobs(1).await[0];
    assert!(
        job.text().iter().any(|l| l.contains("再発行")),
        "{:#?}",
        job.text()
    );
    // A 領収書 with 宛名 and 但し書き.
    let o = e
        .run(&[
            "receipt",
            "--order-no",
            &order,
            "--kind",
            "ryoshusho",
            "--to",
            "山田商事",
            "--for",
            "会議費として",
        ])
        .await;
    assert!(
        stdout(&o).contains("山田商事 様")
            && stdout(&o).contains("但し 会議費として")
            && !stdout(&o).contains("としてとして"),
        "{}",
        stdout(&o)
    );

    // By amount is refused for a mixed sale; by item it is taxed alone.
    let o = e
        .run(&["refund", "--order-no", &order, "--amount", "100"])
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("several tax rates"), "{}", stderr(&o));
    let o = e
        .run(&["refund", "--order-no", &order, "--item", "コーヒー豆:3"])
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--item"), "{}", stderr(&o));
    let o = e
        .run(&[
            "refund",
            "--order-no",
            &order,
            "--item",
            "コーヒー豆:1",
            "--no-wait",
        ])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = e
        .run(&["receipt", "--order-no", &order, "--kind", "refund"])
        .await;
    assert!(
        stdout(&o).contains("返金明細") && stdout(&o).contains("内消費税 ¥43"),
        "{}",
        stdout(&o)
    );

    // The X report by rate: JSON, and printed.
    let o = e.run(&["report"]).await;
    let v: Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    let by_rate = &v["report"]["byRate"];
    assert_eq!(
        by_rate["sales"]["standard"],
        serde_json::json!({"gross": 960, "tax": 87})
    );
    assert_eq!(
        by_rate["sales"]["reduced"],
        serde_json::json!({"gross": 398, "tax": 29})
    );
    assert_eq!(
        by_rate["refunds"]["standard"],
        serde_json::json!({"gross": 480, "tax": 43})
    );
    assert_eq!(
        (by_rate["netSales"].clone(), by_rate["customers"].clone()),
        (878.into(), 1.into())
    );
    let o = e.run(&["report", "--print", "--printer", &vp.url()]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let job = &vp.wait_jobs(2).await[1];
    let lines = job.text().join("\n");
    assert!(
        lines.contains("Xレポート") && lines.contains("10%対象 ¥960") && lines.contains("純売上"),
        "{lines}"
    );
    assert!(vp.errors().is_empty(), "{:?}", vp.errors());
}
