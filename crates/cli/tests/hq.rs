//! `easyqr-cli hq …` as support runs it: the real binary on a real data
//! folder, and an HQ address where nothing listens (the link against the
//! real HQ is tested in crates/hq/tests).
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_easyqr-cli");
const TOKEN: &str = "hqt_S01R1_0123456789abcdef0123";

fn run(dir: &std::path::Path, args: &[&str], token_env: Option<&str>, stdin: &str) -> Output {
    let mut c = Command::new(BIN);
    c.env_remove("ELEPAY_SECRET_KEY")
        .env_remove("EASYQR_HQ_TOKEN")
        .args(["--data-dir", dir.to_str().unwrap(), "--mode", "test"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = token_env {
        c.env("EASYQR_HQ_TOKEN", t);
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json(o: &Output) -> Value {
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(out.lines().last().unwrap_or("null")).unwrap()
}

fn nobody_home() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn without_enrolment_status_is_off_and_ship_says_how_to_enrol() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["hq", "status"], None, "");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["hq"]["state"], "off");
    let o = run(dir.path(), &["hq", "ship"], None, "");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("hq enrol --url"), "{err}");
}

#[test]
fn enrolment_failures_exit_by_code_and_never_echo_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = nobody_home();
    // From the environment: nothing listens, so hq_unreachable (1).
    let o = run(dir.path(), &["hq", "enrol", "--url", &url], Some(TOKEN), "");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // From stdin: a malformed token is hq_token_invalid (2).
    let o = run(
        dir.path(),
        &["hq", "enrol", "--url", &url],
        None,
        "short token\n",
    );
    assert_eq!(o.status.code(), Some(2));
    // An address carrying a secret is refused before anything is sent.
    let o = run(
        dir.path(),
        &["hq", "enrol", "--url", "https://hq.example.jp/?token=x"],
        Some(TOKEN),
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("hq.url"));
    for args in [["hq", "status"], ["hq", "unenrol"]] {
        let o = run(dir.path(), &args, None, "");
        assert_eq!(o.status.code(), Some(0));
    }
    let settings: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings["hq"]["url"], Value::Null, "nothing was enrolled");
    for f in ["settings.json", "secrets.json"] {
        let text = std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
        assert!(!text.contains(TOKEN), "{f}");
    }
}

#[test]
fn help_names_the_token_variable_and_the_hq_codes() {
    let o = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    for s in [
        "EASYQR_HQ_TOKEN",
        "hq_unreachable",
        "hq_revoked",
        "hq_mismatch",
    ] {
        assert!(help.contains(s), "{s}");
    }
}

#[test]
fn the_enrolment_is_changed_in_the_running_app_not_behind_its_back() {
    let dir = tempfile::tempdir().unwrap();
    // The app holds its data folder's lock while it runs.
    let _app = easyqr_pos_core::config::app_lock(dir.path()).unwrap();
    let url = nobody_home();
    for args in [
        &["hq", "enrol", "--url", url.as_str()][..],
        &["hq", "unenrol"],
    ] {
        let o = run(dir.path(), args, Some(TOKEN), "");
        assert_eq!(
            o.status.code(),
            Some(i32::from(
                easyqr_pos_core::ErrorCode::AlreadyRunning.exit_code()
            )),
            "{args:?}"
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("already running"));
    }
}

/// Issue 22 point 9: typed at a terminal, the token is not echoed. The CLI
/// runs on a real pseudo-terminal (util-linux `script`), whose transcript
/// holds whatever the terminal showed; the token is typed once the prompt
/// is up.
#[test]
fn the_token_typed_at_a_terminal_is_not_echoed() {
    use std::io::Read;

    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = nobody_home();
    let cmd = format!(
        "{BIN} --data-dir {} --mode test hq enrol --url {url}",
        dir.path().to_str().unwrap()
    );
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .env_remove("EASYQR_HQ_TOKEN")
        .env_remove("ELEPAY_SECRET_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("Enrolment token") {
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    // The prompt is written just before echo goes off: a grace generous
    // enough for a loaded CI machine (typing sooner could be echoed by the
    // terminal before the CLI turns echo off, which says nothing of it).
    std::thread::sleep(std::time::Duration::from_secs(1));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{TOKEN}\n").as_bytes()).unwrap();
    out.read_to_end(&mut seen).unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    let shown = String::from_utf8_lossy(&seen);
    assert!(!shown.contains(TOKEN), "the token was echoed: {shown}");
    // Read and accepted as a token: the enrolment failed only because
    // nothing listens at the address (hq_unreachable, 1).
    assert_eq!(status.code(), Some(1), "{shown}");
}
