//! HQ's secrets (the database URL, the webhook secrets, the bootstrap
//! password) come from the environment or the 0600 config file, never a
//! flag, and leave HQ's environment once read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::process::Stdio;
use std::time::Duration;

use easyqr_hq::config::{self, EnvSecrets, FileConfig};
use support::*;
use tokio::io::AsyncBufReadExt as _;
use tokio::sync::Mutex;

const HQ: &str = env!("CARGO_BIN_EXE_easyqr-hq");

/// The environment is one per process: changing it races with other
/// threads reading it, so these tests take turns.
static ENV: Mutex<()> = Mutex::const_new(());

fn config_file(json: &serde_json::Value, mode: u32) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(json.to_string().as_bytes()).unwrap();
    std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    f
}

#[test]
fn secrets_leave_the_environment_once_read() {
    let _alone = ENV.blocking_lock();
    std::env::set_var("DATABASE_URL", "host=db password=env-db-secret");
    std::env::set_var(config::SECRETS_ENV, "whsec_env_secret");
    std::env::set_var(config::BOOTSTRAP_PASSWORD_ENV, "bootstrap-env-secret");
    std::env::set_var(config::VIEW_PASSWORD_ENV, "old-view-env-secret");
    let taken = EnvSecrets::take();
    assert_eq!(
        taken.database_url.as_deref(),
        Some("host=db password=env-db-secret")
    );
    assert_eq!(taken.webhook_secrets.as_deref(), Some("whsec_env_secret"));
    assert_eq!(
        taken.bootstrap_password.as_deref(),
        Some("bootstrap-env-secret")
    );
    for var in [
        "DATABASE_URL",
        config::SECRETS_ENV,
        config::BOOTSTRAP_PASSWORD_ENV,
        config::VIEW_PASSWORD_ENV,
    ] {
        assert!(std::env::var_os(var).is_none(), "{var} is still set");
    }
    // Nor does a child process inherit them.
    let child = std::process::Command::new("env").output().unwrap();
    let seen = String::from_utf8_lossy(&child.stdout);
    assert!(!seen.contains("env-secret"), "a child sees: {seen}");
    assert!(
        !format!("{taken:?}").contains("secret"),
        "Debug shows a secret"
    );
}

#[test]
fn the_environment_wins_over_the_file_and_one_of_them_is_needed() {
    let file = FileConfig {
        database_url: Some("host=file".into()),
        ..FileConfig::default()
    };
    assert_eq!(
        config::database_url(Some("host=env".into()), &file).unwrap(),
        "host=env"
    );
    assert_eq!(config::database_url(None, &file).unwrap(), "host=file");
    let e = config::database_url(None, &FileConfig::default()).unwrap_err();
    assert!(
        e.to_string().contains("DATABASE_URL") && e.to_string().contains("databaseUrl"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn easyqr_hq_runs_on_the_config_files_database_url() {
    let _alone = ENV.lock().await;
    let Some(url) = fresh_db().await else { return };
    let file = config_file(
        &serde_json::json!({"databaseUrl": url, "webhookSecrets": [SECRET]}),
        0o600,
    );
    let mut child = tokio::process::Command::new(HQ)
        .args(["--addr", "127.0.0.1:0", "--config"])
        .arg(file.path())
        .env_remove("DATABASE_URL")
        .env_remove(config::SECRETS_ENV)
        .env_remove(config::BOOTSTRAP_PASSWORD_ENV)
        .env_remove(config::VIEW_PASSWORD_ENV)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("HQ did not start within 30 s")
        .unwrap()
        .expect("HQ exited");
    let base = line.strip_prefix("listening on ").unwrap().to_owned();
    let body = code_event("evt_file_db", "cod_file_db", "loc_file");
    let http = reqwest::Client::new();
    assert_eq!(deliver(&http, &base, &body, SECRET, now_secs()).await, 200);
    let db = easyqr_hq::db::pool(&url, 1).unwrap();
    let stored: i64 = db
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT count(*) FROM inbox WHERE event_id = 'evt_file_db'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn no_database_url_flag_and_no_readable_config_file() {
    let _alone = ENV.lock().await;
    let out = tokio::process::Command::new(HQ)
        .args(["--database-url", "host=db password=flag-secret", "migrate"])
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--database-url"), "{err}");
    assert!(!err.contains("flag-secret"), "{err}");

    let open = config_file(
        &serde_json::json!({"databaseUrl": "host=db password=file-secret"}),
        0o644,
    );
    let out = tokio::process::Command::new(HQ)
        .arg("migrate")
        .arg("--config")
        .arg(open.path())
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("chmod 600") && !err.contains("file-secret"),
        "{err}"
    );

    let out = tokio::process::Command::new(HQ)
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no database: set DATABASE_URL"), "{err}");
}
