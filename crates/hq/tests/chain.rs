//! Several HQ processes on one database: a webhook stored by one reaches
//! the registers streaming from another (the database's notification, not
//! a beat or a sweep), a listener that lost its connection catches up, the
//! metrics, a drain on SIGTERM, and one log line per outage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use easyqr_hq::Config;
use support::{code_event, config, fresh_db, now_secs, Hq, Stream, SECRET};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

/// Long enough that nothing in a test can arrive by a beat or a sweep.
const NEVER: Duration = Duration::from_secs(3600);

fn quiet(url: &str) -> Config {
    Config {
        keep_alive: NEVER,
        sweep_every: NEVER,
        ..config(url)
    }
}

/// The URL of `url`'s database as role `role` (password `role`).
fn as_role(url: &str, role: &str) -> String {
    let kept: Vec<&str> = url
        .split_whitespace()
        .filter(|kv| !kv.starts_with("user=") && !kv.starts_with("password="))
        .collect();
    format!("{} user={role} password={role}", kept.join(" "))
}

async fn sql(hq: &Hq, statement: &str) {
    hq.db
        .get()
        .await
        .unwrap()
        .batch_execute(statement)
        .await
        .unwrap();
}

/// A login role of the cluster that a test can lock out and let back in.
async fn role(hq: &Hq, name: &str) -> String {
    sql(
        hq,
        &format!(
            "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN SUPERUSER PASSWORD '{name}'"
        ),
    )
    .await;
    as_role(&hq.database_url, name)
}

/// Locks `name` out and ends its sessions: a database outage for the
/// process connected as it, and for it alone.
async fn outage(hq: &Hq, name: &str) {
    sql(
        hq,
        &format!(
            "ALTER ROLE {name} NOLOGIN;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'"
        ),
    )
    .await;
}

async fn get(base: &str, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Polls `path` until it answers `status` (bounded).
async fn until_status(base: &str, path: &str, status: u16) -> String {
    until(base, path, status, "").await
}

/// Polls `path` until it answers `status` with `needle` in its body.
async fn until(base: &str, path: &str, status: u16, needle: &str) -> String {
    for _ in 0..200 {
        let (s, body) = get(base, path).await;
        if s == status && body.contains(needle) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never answered {status} with {needle:?}");
}

fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {line_start} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_posted_to_one_process_reaches_a_register_streaming_from_the_other() {
    let Some(url) = fresh_db().await else { return };
    let a = Hq::with(quiet(&url), easyqr_hq::system_clock()).await;
    let b = Hq::with(quiet(&url), easyqr_hq::system_clock()).await;
    a.store("LOC-A", "Shibuya").await;
    a.store("LOC-B", "Ueno").await;
    let on_b = a.enrol("LOC-A", "S01R1").await;
    let on_a = a.enrol("LOC-A", "S01R2").await;
    let other = a.enrol("LOC-B", "S02R1").await;
    let mut reg_b = Stream::open(&b, &on_b, None).await;
    let mut reg_a = Stream::open(&a, &on_a, None).await;
    let mut other_store = Stream::open(&b, &other, None).await;

    // Posted to A (twice, as elepay retries), read by B's register.
    let e1 = code_event("evt_1", "code_1", "LOC-A");
    assert_eq!(a.deliver(&e1, SECRET, now_secs()).await, 200);
    assert_eq!(b.deliver(&e1, SECRET, now_secs()).await, 200);
    // Posted to B, read by A's register; a sentinel for each store.
    let e2 = code_event("evt_2", "code_2", "LOC-A");
    assert_eq!(b.deliver(&e2, SECRET, now_secs()).await, 200);
    let end_a = code_event("evt_end_a", "code_x", "LOC-A");
    let end_b = code_event("evt_end_b", "code_y", "LOC-B");
    assert_eq!(a.deliver(&end_a, SECRET, now_secs()).await, 200);
    assert_eq!(a.deliver(&end_b, SECRET, now_secs()).await, 200);

    for r in [&mut reg_b, &mut reg_a] {
        assert_eq!(
            r.ids_until("evt_end_a").await,
            ["evt_1", "evt_2"],
            "each once, in order"
        );
    }
    assert!(
        other_store.ids_until("evt_end_b").await.is_empty(),
        "not another store's"
    );
    let (_, m) = get(&b.base, "/metrics").await;
    assert_eq!(metric(&m, "easyqr_streams_open "), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_listener_that_reconnects_catches_up() {
    let Some(url) = fresh_db().await else { return };
    let a = Hq::with(quiet(&url), easyqr_hq::system_clock()).await;
    let name = format!("hq_listener_{}", std::process::id());
    let b = Hq::with(quiet(&role(&a, &name).await), easyqr_hq::system_clock()).await;
    a.store("LOC-A", "Shibuya").await;
    let token = a.enrol("LOC-A", "S01R1").await;
    let mut reg = Stream::open(&b, &token, None).await;
    until_status(&b.base, "/readyz", 200).await;

    outage(&a, &name).await;
    // The listener's loss shows in readiness (the pool's may show first).
    until(&b.base, "/readyz", 503, "\"listener\":false").await;
    // Stored while B hears nothing: no note reaches it, no sweep runs.
    for n in 1..=3 {
        let e = code_event(&format!("evt_{n}"), "code_1", "LOC-A");
        assert_eq!(a.deliver(&e, SECRET, now_secs()).await, 200);
    }
    sql(&a, &format!("ALTER ROLE {name} LOGIN")).await;
    until_status(&b.base, "/readyz", 200).await;
    let end = code_event("evt_end", "code_1", "LOC-A");
    assert_eq!(a.deliver(&end, SECRET, now_secs()).await, 200);
    assert_eq!(reg.ids_until("evt_end").await, ["evt_1", "evt_2", "evt_3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_metrics_are_exposed() {
    let Some(url) = fresh_db().await else { return };
    let hq = Hq::with(quiet(&url), easyqr_hq::system_clock()).await;
    hq.store("LOC-A", "Shibuya").await;
    let token = hq.enrol("LOC-A", "S01R1").await;
    let mut reg = Stream::open(&hq, &token, None).await;
    let e = code_event("evt_1", "code_1", "LOC-A");
    assert_eq!(hq.deliver(&e, SECRET, now_secs()).await, 200);
    assert_eq!(hq.deliver(&e, SECRET, now_secs()).await, 200);
    assert_eq!(hq.deliver(&e, "whsec_wrong", now_secs()).await, 401);
    reg.next().await;
    let http = support::view::http();
    let r = support::view::try_login(&http, &hq.base, "admin", "wrong password").await;
    assert_ne!(r.status(), 303);

    let r = reqwest::get(format!("{}/metrics", hq.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let m = r.text().await.unwrap();
    assert_eq!(metric(&m, "easyqr_webhooks_received_total "), 3.0);
    assert_eq!(metric(&m, "easyqr_webhooks_stored_total "), 1.0);
    assert_eq!(metric(&m, "easyqr_webhooks_duplicate_total "), 1.0);
    assert_eq!(
        metric(
            &m,
            "easyqr_webhooks_refused_total{reason=\"signature_mismatch\"} "
        ),
        1.0
    );
    assert_eq!(metric(&m, "easyqr_events_fanned_out_total "), 1.0);
    assert_eq!(metric(&m, "easyqr_streams_open "), 1.0);
    assert_eq!(metric(&m, "easyqr_listener_up "), 1.0);
    assert_eq!(metric(&m, "easyqr_login_failures_total "), 1.0);
    for name in [
        "easyqr_fanout_lag_seconds ",
        "easyqr_ingest_rows_total ",
        "easyqr_projection_lag_rows ",
        "easyqr_pool_waiting{pool=\"main\"} ",
        "easyqr_pool_waiting{pool=\"webhook\"} ",
        "easyqr_draining ",
    ] {
        metric(&m, name);
    }
    assert!(m
        .lines()
        .all(|l| l.starts_with('#') || l.starts_with("easyqr_")));
    assert_eq!(get(&hq.base, "/healthz").await.0, 200);
}

/// The real binary as its unit runs it, logging JSON lines.
struct Process {
    child: tokio::process::Child,
    base: String,
    logs: tokio::task::JoinHandle<Vec<String>>,
}

async fn spawn_binary(url: &str, extra: &[&str]) -> Process {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_easyqr-hq"))
        .args(["--addr", "127.0.0.1:0", "--log-format", "json"])
        .args(extra)
        .env("DATABASE_URL", url)
        .env("EASYQR_HQ_WEBHOOK_SECRETS", SECRET)
        .env("RUST_LOG", "easyqr_hq=info")
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), out.next_line())
        .await
        .expect("HQ did not start")
        .unwrap()
        .unwrap();
    let base = line.trim_start_matches("listening on ").to_owned();
    let mut err = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let logs = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Ok(Some(l)) = err.next_line().await {
            all.push(l);
        }
        all
    });
    Process { child, base, logs }
}

fn messages(logs: &[String]) -> Vec<String> {
    logs.iter()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON line: {l}"));
            v["message"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains() {
    let Some(url) = fresh_db().await else { return };
    let hq = Hq::with(quiet(&url), easyqr_hq::system_clock()).await;
    hq.store("LOC-A", "Shibuya").await;
    let token = hq.enrol("LOC-A", "S01R1").await;
    let mut p = spawn_binary(&url, &["--drain-notice-ms", "4000"]).await;
    let there = Hq {
        base: p.base.clone(),
        ..Hq::with(quiet(&url), easyqr_hq::system_clock()).await
    };
    let mut reg = Stream::open(&there, &token, None).await;
    // A request in flight: its body half sent when SIGTERM comes.
    let body = code_event("evt_1", "code_1", "LOC-A");
    let sig = elepay::webhook::signature_header(
        &elepay::webhook::SigningSecret::new(SECRET),
        now_secs(),
        body.as_bytes(),
    );
    let mut tcp = tokio::net::TcpStream::connect(p.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /elepay/webhook HTTP/1.1\r\nhost: hq\r\ncontent-type: application/json\r\n{}: {sig}\r\ncontent-length: {}\r\n\r\n",
        elepay::webhook::SIGNATURE_HEADER,
        body.len()
    );
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(first).await.unwrap();
    until_status(&p.base, "/healthz", 200).await;

    let pid = p.child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // Readiness goes 503 at once; the stream ends; a new one is refused.
    let ready = until_status(&p.base, "/readyz", 503).await;
    assert!(ready.contains("\"draining\":true"), "{ready}");
    assert!(!reg.keep_alive_or_end().await, "the stream ends");
    let again = there
        .http
        .get(format!("{}/api/register/events", p.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 503);
    // The request in flight is answered, stored, and the process exits 0.
    tcp.write_all(rest).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = tokio::time::timeout(Duration::from_secs(15), p.child.wait())
        .await
        .expect("drained within the grace")
        .unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(hq.query_i64("SELECT count(*) FROM inbox").await, 1);
    let said = messages(&p.logs.await.unwrap());
    assert!(
        said.iter().any(|m| m == "draining") && said.iter().any(|m| m == "drained"),
        "{said:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outage_is_one_log_line_each_way_and_streams_stay_open() {
    let Some(url) = fresh_db().await else { return };
    let hq = Hq::with(quiet(&url), easyqr_hq::system_clock()).await;
    hq.store("LOC-A", "Shibuya").await;
    let name = format!("hq_outage_{}", std::process::id());
    let as_it = role(&hq, &name).await;
    let mut p = spawn_binary(&as_it, &["--keep-alive-secs", "1"]).await;
    let there = Hq {
        base: p.base.clone(),
        ..Hq::with(quiet(&url), easyqr_hq::system_clock()).await
    };
    let mut regs = Vec::new();
    for n in 1..=20 {
        let token = hq.enrol("LOC-A", &format!("S01R{n}")).await;
        regs.push(Stream::open(&there, &token, None).await);
    }
    until_status(&p.base, "/readyz", 200).await;

    outage(&hq, &name).await;
    until_status(&p.base, "/readyz", 503).await;
    // Several retries' worth of outage: the streams beat on meanwhile.
    for r in &mut regs {
        assert!(
            r.keep_alive_or_end().await,
            "a stream stays open through the outage"
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let e = code_event("evt_1", "code_1", "LOC-A");
    assert_ne!(
        there.deliver(&e, SECRET, now_secs()).await,
        200,
        "not stored, so not 2xx"
    );
    sql(&hq, &format!("ALTER ROLE {name} LOGIN")).await;
    until_status(&p.base, "/readyz", 200).await;
    assert_eq!(there.deliver(&e, SECRET, now_secs()).await, 200);
    for r in &mut regs {
        assert_eq!(r.next().await.1["id"], "evt_1");
    }
    p.child.start_kill().unwrap();
    let said = messages(&p.logs.await.unwrap());
    let count = |needle: &str| said.iter().filter(|m| m.contains(needle)).count();
    assert_eq!(count("database listener lost"), 1, "{said:#?}");
    assert_eq!(count("database listener back"), 1, "{said:#?}");
    assert_eq!(count("webhooks cannot be stored"), 1, "{said:#?}");
    assert_eq!(count("webhooks are stored again"), 1, "{said:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_notifies_its_seq_only_and_journal_ingest_never_notifies() {
    use futures_util::StreamExt as _;
    let Some(url) = fresh_db().await else { return };
    let hq = Hq::with(quiet(&url), easyqr_hq::system_clock()).await;
    hq.store("LOC-A", "Shibuya").await;
    let token = hq.enrol("LOC-A", "S01R1").await;
    let (client, mut conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let (tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = m {
                let _ = tx.send((n.channel().to_owned(), n.payload().to_owned()));
            }
        }
    });
    client
        .batch_execute("LISTEN easyqr_inbox; LISTEN easyqr_streams")
        .await
        .unwrap();

    let (w, _) = support::register::busy_register(3).await;
    let rows = support::register::all_rows(&w);
    let r = hq
        .http
        .post(format!("{}/api/register/journal", hq.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "head": rows.last().unwrap().seq, "rows": rows }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let e = code_event("evt_1", "code_1", "LOC-A");
    assert_eq!(hq.deliver(&e, SECRET, now_secs()).await, 200);
    let seq = hq.query_i64("SELECT seq FROM inbox").await;
    // The first note is the webhook's: the journal before it sent none.
    let first = tokio::time::timeout(Duration::from_secs(20), notes.recv())
        .await
        .expect("the webhook notifies")
        .unwrap();
    assert_eq!(first, ("easyqr_inbox".to_owned(), seq.to_string()));
}
