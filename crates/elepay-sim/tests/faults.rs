//! Injected faults and the standalone binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use easyqr_test_harness::api;
use easyqr_test_harness::api::{assert_error, start, Api};
use elepay_sim::{FaultKind, FaultSpec};
use serde_json::json;

fn io_kind(e: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        src = s.source();
    }
    None
}

async fn raw_create(api: &Api, order_no: &str) -> Result<reqwest::Response, reqwest::Error> {
    api.client
        .post(api.url("/codes"))
        .header("authorization", api::basic(api::KEY))
        .json(&json!({"amount": 100, "orderNo": order_no}))
        .send()
        .await
}

async fn codes_total(api: &Api) -> u64 {
    api.get("/_sim/codes").await.json["total"]
        .as_u64()
        .expect("total")
}

#[tokio::test]
async fn drop_after_commit_loses_the_response_but_keeps_the_code() {
    let (_sim, api) = start().await;
    let r = api
        .post(
            "/_sim/faults",
            &json!({"endpoint": "createCode", "kind": "dropAfterCommit"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let err = raw_create(&api, "LOST-1").await.expect_err("no response");
    assert_ne!(
        io_kind(&err),
        Some(std::io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    let codes = api.get("/_sim/codes").await.json;
    assert_eq!(codes["total"], 1);
    assert_eq!(codes["codes"][0]["orderNo"], "LOST-1");
    // A blind retry with the same orderNo now collides, as on elepay.
    let r = api
        .post("/codes", &json!({"amount": 100, "orderNo": "LOST-1"}))
        .await;
    assert_error(&r, 400, "M002007", None);
}

#[tokio::test]
async fn reset_kills_the_connection_before_processing() {
    let (sim, api) = start().await;
    sim.control()
        .add_fault(FaultSpec::new("createCode", FaultKind::Reset))
        .expect("fault");
    let err = raw_create(&api, "RST-1").await.expect_err("reset");
    assert_eq!(
        io_kind(&err),
        Some(std::io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    assert_eq!(codes_total(&api).await, 0, "not processed");
    // Count 1: the next request is fine.
    assert_eq!(raw_create(&api, "RST-1").await.expect("ok").status(), 201);
}

#[tokio::test]
async fn latency_holds_a_committed_response() {
    let (_sim, api) = start().await;
    api.post(
        "/_sim/faults",
        &json!({"endpoint": "createCode", "kind": "latency", "latencyMs": 400}),
    )
    .await;
    let impatient = Api {
        client: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(100))
            .build()
            .expect("client"),
        ..api.clone()
    };
    let err = raw_create(&impatient, "SLOW-1").await.expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(codes_total(&api).await, 1, "the code was committed");
}

#[tokio::test]
async fn http5xx_and_throttle_answer_without_processing() {
    let (sim, api) = start().await;
    let ctl = sim.control();
    ctl.add_fault(FaultSpec {
        status: Some(503),
        ..FaultSpec::new("createCode", FaultKind::Http5xx)
    })
    .expect("fault");
    let r = api
        .post("/codes", &json!({"amount": 1, "orderNo": "A"}))
        .await;
    assert_error(&r, 503, "S001000", None);
    assert_eq!(r.json["code"], "9_000_000_50000");
    ctl.add_fault(FaultSpec::new("*", FaultKind::Http5xx))
        .expect("fault");
    assert_error(&api.get("/charges").await, 500, "S001000", None);

    ctl.add_fault(FaultSpec {
        count: 2,
        ..FaultSpec::new("createCode", FaultKind::Throttle)
    })
    .expect("fault");
    let r = api
        .post("/codes", &json!({"amount": 1, "orderNo": "A"}))
        .await;
    assert_error(&r, 400, "M005000", None);
    assert_eq!(r.json["message"], "短時間に多くの要求がありました。");
    assert_eq!(api.get("/_sim/faults").await.json["faults"][0]["count"], 1);
    // Other endpoints are untouched by a createCode rule.
    assert_eq!(api.get("/charges").await.status, 200);
    assert_error(
        &api.post("/codes", &json!({"amount": 1, "orderNo": "A"}))
            .await,
        400,
        "M005000",
        None,
    );
    api.post(
        "/_sim/faults",
        &json!({"endpoint": "*", "kind": "throttle", "status": 429}),
    )
    .await;
    assert_error(&api.get("/charges").await, 429, "M005000", None);
    assert_eq!(codes_total(&api).await, 0);

    // Clearing removes pending rules.
    api.post(
        "/_sim/faults",
        &json!({"endpoint": "retrieveCode", "kind": "http5xx", "count": 5}),
    )
    .await;
    assert_eq!(api.delete("/_sim/faults").await.status, 200);
    assert_error(&api.get("/codes/x").await, 400, "M002003", None);
    // Bad rules are refused.
    let r = api
        .post(
            "/_sim/faults",
            &json!({"endpoint": "createKode", "kind": "reset"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .post("/_sim/faults", &json!({"endpoint": "*", "kind": "explode"}))
        .await;
    assert_eq!(r.status, 400);
}

/// Kills the child even if an assertion fails.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_listening_line_and_serves() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_elepay-sim"))
            .args(["--addr", "127.0.0.1:0", "--secret-key", "sk_test_bin"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("join")
    .expect("read line");
    let line = line.trim_end();
    let base = line
        .strip_prefix("listening on http://127.0.0.1:")
        .expect(line);
    assert!(base.parse::<u16>().is_ok_and(|p| p > 0), "{line}");
    let mut api = Api::new(&format!("http://127.0.0.1:{base}"));
    api.auth = Some("Bearer sk_test_bin".into());
    let r = api
        .post("/codes", &json!({"amount": 300, "orderNo": "BIN-1"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.json["codeUrl"]
        .as_str()
        .expect("url")
        .starts_with(&format!("http://127.0.0.1:{base}/pay/code/cod_")));
}

#[test]
fn binary_refuses_missing_or_publishable_keys() {
    let bin = env!("CARGO_BIN_EXE_elepay-sim");
    let out = Command::new(bin)
        .args(["--addr", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--secret-key"));
    let out = Command::new(bin)
        .args(["--addr", "127.0.0.1:0", "--secret-key", "pk_test_abc"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("publishable"));
    let out = Command::new(bin).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--secret-key",
        "--public-base",
        "--webhook",
        "--clock-scale",
        "--refund-delay-ms",
        "/_sim/codes/{codeId}/pay",
        "/_sim/faults",
        "/_sim/webhooks/release",
        "/_sim/keys/rotate",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}
