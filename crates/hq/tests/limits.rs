//! What a stranger (or a misbehaving register) can send HQ, limited: open
//! connections per address, a header-read timeout, request timeouts, body
//! limits per route, unknown tokens that cost no write, and an open-files
//! limit raised at start. Real HQ on real PostgreSQL, over real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use easyqr_hq::listen::Limits;
use easyqr_hq::Config;
use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

async fn hq_with(limits: Limits) -> Option<Hq> {
    let url = fresh_db().await?;
    let cfg = Config {
        limits,
        ..config(&url)
    };
    Some(Hq::with(cfg, easyqr_hq::system_clock()).await)
}

fn addr(hq: &Hq) -> String {
    hq.base.trim_start_matches("http://").to_owned()
}

/// Everything the server sends until it closes the connection (bounded).
async fn read_until_closed(tcp: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf))
            .await
            .expect("the connection stayed open for 10 s")
        {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&got).into_owned(),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_address_cap_are_refused() {
    let Some(hq) = hq_with(Limits {
        max_per_address: 2,
        // The test's loopback address is a stranger's here.
        per_address_exempt: Vec::new(),
        ..Limits::default()
    })
    .await
    else {
        return;
    };
    let a = TcpStream::connect(addr(&hq)).await.unwrap();
    let mut b = TcpStream::connect(addr(&hq)).await.unwrap();
    // Both held connections are served.
    b.write_all(b"GET /api/register/me HTTP/1.1\r\nhost: hq\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    b.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 401");
    // The third from the same address is answered 503 and closed.
    let mut c = TcpStream::connect(addr(&hq)).await.unwrap();
    let answer = read_until_closed(&mut c).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(
        answer.contains("too_many_connections_from_address"),
        "{answer:?}"
    );
    // A closed connection frees its place.
    drop(a);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = reqwest::Client::new()
            .get(format!("{}/api/register/me", hq.base))
            .send()
            .await;
        match r {
            Ok(r) if r.status() == 401 => break,
            other => assert!(Instant::now() < deadline, "still refused: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_completes_its_headers_is_closed() {
    let timeout = Duration::from_millis(400);
    let Some(hq) = hq_with(Limits {
        header_read_timeout: timeout,
        ..Limits::default()
    })
    .await
    else {
        return;
    };
    // Slowloris: a request line and one header, then nothing.
    let mut slow = TcpStream::connect(addr(&hq)).await.unwrap();
    let t = Instant::now();
    slow.write_all(b"GET /api/register/me HTTP/1.1\r\nhost: hq\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow).await;
    let took = t.elapsed();
    assert!(
        took >= timeout - Duration::from_millis(50),
        "closed after {took:?}"
    );
    assert!(!answer.contains("200"), "{answer:?}");
    // A connection that sends nothing at all is closed the same way.
    let mut idle = TcpStream::connect(addr(&hq)).await.unwrap();
    read_until_closed(&mut idle).await;
    // A client that sends its headers in time is served, and an event
    // stream outlives the header timeout many times over.
    let r = reqwest::get(format!("{}/api/register/me", hq.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    hq.store("loc_a", "Shibuya").await;
    let token = hq.enrol("loc_a", "A1").await;
    let mut stream = Stream::open(&hq, &token, None).await;
    tokio::time::sleep(timeout * 4).await;
    let e = code_event("evt_1", "cod_1", "loc_a");
    assert_eq!(hq.deliver(&e, SECRET, now_secs()).await, 200);
    assert_eq!(stream.next().await.1["id"], "evt_1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_over_256_kib_is_refused_before_its_signature_is_checked() {
    let Some(hq) = Hq::start().await else { return };
    let post = |body: Vec<u8>| {
        hq.http
            .post(format!("{}/elepay/webhook", hq.base))
            .header("elepay-signature", "t=1,v1=00")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // A bad signature on a body over the limit: 413, not 401, so the body
    // was never hashed.
    let r = post(vec![b' '; 300 * 1024]).await.unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "body_too_large");
    assert_eq!(body["limitBytes"], 256 * 1024);
    assert!(body["error"].as_str().unwrap().contains("262144"), "{body}");
    // At the limit the signature is checked (and refused).
    let r = post(vec![b' '; 256 * 1024]).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(hq.query_i64("SELECT count(*) FROM inbox").await, 0);
}

/// A journal batch whose JSON is about `bytes` long.
fn batch_of(bytes: usize) -> String {
    json!({
        "head": 1,
        "rows": [{"seq": 1, "at": 0, "kind": "sale", "saleId": 1, "attemptId": null,
                  "payload": "x".repeat(bytes), "prevHash": "0", "hash": "0"}]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_batch_over_1_mib_gets_413_naming_the_limit() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    let token = hq.enrol("loc_a", "A1").await;
    let big = batch_of(1100 * 1024);
    let check = |body: Value| {
        assert_eq!(body["code"], "batch_too_large", "{body}");
        assert_eq!(body["limitBytes"], 1024 * 1024, "{body}");
        assert!(body["error"].is_string(), "{body}");
    };
    // Declared length over the limit.
    let r = hq
        .http
        .post(format!("{}/api/register/journal", hq.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    check(r.json().await.unwrap());
    // No length declared (chunked): refused when the body outgrows it.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let r = hq
        .http
        .post(format!("{}/api/register/journal", hq.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    check(r.json().await.unwrap());
    assert_eq!(hq.query_i64("SELECT count(*) FROM journal").await, 0);
}

/// Every register row as the database holds it, with its row version.
async fn registers_snapshot(hq: &Hq) -> Vec<String> {
    hq.db
        .get()
        .await
        .unwrap()
        .query(
            "SELECT concat_ws('|', id, xmin, last_seen, stream_gen, event_cursor)
             FROM registers ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_token_costs_no_write_and_a_known_one_is_seen_at_most_every_few_seconds() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    let token = hq.enrol("loc_a", "A1").await;
    // Counts every UPDATE statement on registers, even one matching no row.
    hq.db
        .get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE register_updates (at timestamptz DEFAULT now());
             CREATE FUNCTION count_register_update() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN INSERT INTO register_updates DEFAULT VALUES; RETURN NULL; END $$;
             CREATE TRIGGER register_updates BEFORE UPDATE ON registers
                 FOR EACH STATEMENT EXECUTE FUNCTION count_register_update();",
        )
        .await
        .unwrap();
    let updates = "SELECT count(*) FROM register_updates";
    let before = registers_snapshot(&hq).await;
    let stranger = "hqr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for (method, path) in [
        ("GET", "/api/register/me"),
        ("GET", "/api/register/events"),
        ("POST", "/api/register/events/ack"),
        ("POST", "/api/register/journal"),
    ] {
        let req = match method {
            "GET" => hq.http.get(format!("{}{path}", hq.base)),
            _ => hq
                .http
                .post(format!("{}{path}", hq.base))
                .json(&json!({"cursor": 1, "head": 0, "rows": []})),
        };
        let r = req.bearer_auth(stranger).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    assert_eq!(registers_snapshot(&hq).await, before, "no row changed");
    assert_eq!(hq.query_i64(updates).await, 0, "no write was even tried");
    // A known token marks its register seen, once in a while, not on
    // every request.
    assert_eq!(hq.me(&token).await.0, 200);
    let seen = registers_snapshot(&hq).await;
    assert_ne!(seen, before, "last_seen written");
    for _ in 0..3 {
        assert_eq!(hq.me(&token).await.0, 200);
    }
    assert_eq!(registers_snapshot(&hq).await, seen, "no write per request");
    assert_eq!(hq.query_i64(updates).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_takes_too_long_gets_503_json_while_streams_stay_open() {
    let limit = Duration::from_millis(500);
    let Some(url) = fresh_db().await else { return };
    let cfg = Config {
        keep_alive: Duration::from_millis(200),
        limits: Limits {
            request_timeout: limit,
            ..Limits::default()
        },
        ..config(&url)
    };
    let hq = Hq::with(cfg, easyqr_hq::system_clock()).await;
    hq.store("loc_a", "Shibuya").await;
    let token = hq.enrol("loc_a", "A1").await;
    let mut stream = Stream::open(&hq, &token, None).await;
    // Another session holds the register's row: marking it seen waits.
    let mut c = hq.db.get().await.unwrap();
    let tx = c.transaction().await.unwrap();
    tx.execute(
        "SELECT 1 FROM registers WHERE register_id = 'A1' FOR UPDATE",
        &[],
    )
    .await
    .unwrap();
    let r = hq
        .http
        .post(format!("{}/api/register/events/ack", hq.base))
        .bearer_auth(&token)
        .json(&json!({"cursor": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "request_timeout", "{body}");
    assert_eq!(body["limitMs"], 500, "{body}");
    tx.rollback().await.unwrap();
    // The stream, open far longer than the limit, still carries events.
    tokio::time::sleep(limit * 2).await;
    let e = code_event("evt_1", "cod_1", "loc_a");
    assert_eq!(hq.deliver(&e, SECRET, now_secs()).await, 200);
    assert_eq!(stream.next().await.1["id"], "evt_1");
}

/// ANSI colour codes out of a log line.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_start_hq_raises_its_open_files_limit_to_the_hard_limit_and_logs_it() {
    let Some(url) = fresh_db().await else { return };
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let soft = hard.min(512);
    // Started as systemd would with a low soft limit.
    let mut child = tokio::process::Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -Sn {soft} && exec \"$0\" --addr 127.0.0.1:0"),
            env!("CARGO_BIN_EXE_easyqr-hq"),
        ])
        .env("DATABASE_URL", &url)
        .env("EASYQR_HQ_WEBHOOK_SECRETS", SECRET)
        .env("RUST_LOG", "easyqr_hq=info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut out = String::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(Duration::from_secs(20), async {
        while !out.contains("listening on") {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(n > 0, "HQ exited: {out}");
            out.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
    .await
    .expect("HQ did not start");
    child.start_kill().unwrap();
    let mut log = String::new();
    stderr.read_to_string(&mut log).await.unwrap();
    let line = log
        .lines()
        .map(plain)
        .find(|l| l.contains("open-files limit"))
        .unwrap_or_else(|| panic!("no open-files line in {log}"));
    assert!(line.contains(&format!("open_files={hard}")), "{line}");
    assert!(line.contains("max_connections="), "{line}");
}
