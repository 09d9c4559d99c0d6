//! A real proxy: Debian's nginx runs packaging/hq/nginx-site.conf (the site
//! the README shows) with TLS from a CA this test makes, in front of two
//! real `easyqr-hq` processes on one PostgreSQL. Registers stream through
//! nginx from both processes; a webhook that enters through nginx reaches
//! every register of its store exactly once, the ones streaming from the
//! other process too, with nothing waiting for a keep-alive beat (the
//! processes beat every 300 s).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::nginx::{self, HqProcess, Nginx, SitePorts, HOST};
use support::*;

fn site() -> String {
    std::fs::read_to_string(nginx::SITE_PATH).expect("packaging/hq/nginx-site.conf")
}

#[test]
fn the_readme_shows_the_site_the_test_runs() {
    let readme = std::fs::read_to_string(nginx::README_PATH).unwrap();
    assert_eq!(
        nginx::readme_site(&readme),
        site(),
        "README.md's nginx site differs from packaging/hq/nginx-site.conf: copy the file between the markers"
    );
}

#[test]
fn the_test_changes_only_ports_and_certificate_paths() {
    let site = site();
    let ports = SitePorts {
        https: 40443,
        http: 40080,
        upstreams: [40801, 40802],
    };
    let cert = std::path::Path::new("/tmp/t/server.crt");
    let key = std::path::Path::new("/tmp/t/server.key");
    let used = nginx::site_for_test(&site, &ports, cert, key);
    let changed: Vec<(&str, &str)> = site
        .lines()
        .zip(used.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(site.lines().count(), used.lines().count());
    let want = [
        (
            "server 127.0.0.1:8801 max_fails=3 fail_timeout=10s;",
            "server 127.0.0.1:40801 max_fails=3 fail_timeout=10s;",
        ),
        (
            "server 127.0.0.1:8802 max_fails=3 fail_timeout=10s;",
            "server 127.0.0.1:40802 max_fails=3 fail_timeout=10s;",
        ),
        ("listen 80;", "listen 40080;"),
        ("listen 443 ssl;", "listen 40443 ssl;"),
        (
            "ssl_certificate /etc/letsencrypt/live/hq.example.jp/fullchain.pem;",
            "ssl_certificate /tmp/t/server.crt;",
        ),
        (
            "ssl_certificate_key /etc/letsencrypt/live/hq.example.jp/privkey.pem;",
            "ssl_certificate_key /tmp/t/server.key;",
        ),
    ];
    let got: Vec<(&str, &str)> = changed.iter().map(|(a, b)| (a.trim(), b.trim())).collect();
    assert_eq!(got, want);
}

/// Everything the proxy test runs: the processes, nginx, and a client
/// that reaches nginx as `https://hq.example.jp:<port>`.
struct Chain {
    hq: [HqProcess; 2],
    nginx: Nginx,
    base: String,
    http_base: String,
    http: reqwest::Client,
    db: easyqr_hq::Db,
    _dir: tempfile::TempDir,
}

/// `None` (skipped) without PostgreSQL, as the other HQ tests; nginx
/// missing fails the test under `EASYQR_REQUIRE_PG=1` (scripts/test
/// installs it), else skips it too.
async fn chain() -> Option<Chain> {
    let Some(bin) = nginx::nginx_binary() else {
        assert!(
            std::env::var_os("EASYQR_REQUIRE_PG").is_none(),
            "EASYQR_REQUIRE_PG is set but nginx is not installed (apt-get install nginx)"
        );
        eprintln!("nginx test skipped: no nginx (run it through ./scripts/test)");
        return None;
    };
    let url = fresh_db().await?;
    let dir = tempfile::tempdir().unwrap();
    let ca = nginx::make_certs(dir.path());
    let ports = SitePorts {
        https: nginx::free_port(),
        http: nginx::free_port(),
        upstreams: [nginx::free_port(), nginx::free_port()],
    };
    // One after the other: both would migrate the fresh database at once
    // (safe, under HQ's lock, but slower).
    let first = HqProcess::start(dir.path(), &url, ports.upstreams[0], 300).await;
    let second = HqProcess::start(dir.path(), &url, ports.upstreams[1], 300).await;
    let site = nginx::site_for_test(
        &site(),
        &ports,
        &dir.path().join("server.crt"),
        &dir.path().join("server.key"),
    );
    let proxy = Nginx::start(&bin, dir.path(), &site, ports.https).await;
    Some(Chain {
        hq: [first, second],
        nginx: proxy,
        base: format!("https://{HOST}:{}", ports.https),
        http_base: format!("http://{HOST}:{}", ports.http),
        http: nginx::client(&ca, false),
        db: easyqr_hq::db::pool(&url, 2).unwrap(),
        _dir: dir,
    })
}

impl Chain {
    /// Waits until each process's own `/metrics` counts the streams nginx
    /// says it passed to it.
    async fn metrics_agree(&self, held: &BTreeMap<String, usize>) {
        for p in &self.hq {
            let want = held.get(&p.addr()).copied().unwrap_or(0) as u64;
            let mut seen = p.streams_open().await;
            for _ in 0..100 {
                if seen == want {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                seen = p.streams_open().await;
            }
            assert_eq!(seen, want, "{}: easyqr_streams_open", p.addr());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_through_nginx_reaches_its_stores_registers_on_both_processes() {
    let Some(c) = chain().await else { return };
    easyqr_hq::enrol::add_store(&c.db, "loc_shibuya", "渋谷店")
        .await
        .unwrap();
    easyqr_hq::enrol::add_store(&c.db, "loc_umeda", "梅田店")
        .await
        .unwrap();

    // Shibuya's registers open their streams through nginx until each
    // process holds at least one of them (and at least three in all).
    let mut shibuya = Vec::new();
    let mut held: BTreeMap<String, usize> = BTreeMap::new();
    for i in 1..=12 {
        let token = easyqr_hq::enrol::enrol(&c.db, "loc_shibuya", &format!("S01R{i}"))
            .await
            .unwrap();
        let (stream, by) = nginx::open_stream(&c.http, &c.base, &token).await;
        *held.entry(by.clone()).or_default() += 1;
        shibuya.push((stream, by));
        if held.len() == 2 && shibuya.len() >= 3 {
            break;
        }
    }
    assert_eq!(
        held.len(),
        2,
        "nginx passed every stream to one process: {held:?}"
    );
    let mut umeda = Vec::new();
    for i in 1..=2 {
        let token = easyqr_hq::enrol::enrol(&c.db, "loc_umeda", &format!("S02R{i}"))
            .await
            .unwrap();
        let (stream, by) = nginx::open_stream(&c.http, &c.base, &token).await;
        *held.entry(by.clone()).or_default() += 1;
        umeda.push((stream, by));
    }
    c.metrics_agree(&held).await;

    // The webhook enters through nginx at one process …
    let paid = code_event("evt_nginx_1", "cod_nginx_1", "loc_shibuya");
    let (status, took_it) = nginx::post_webhook(&c.http, &c.base, &paid).await;
    assert_eq!(status, 200);
    let elsewhere = shibuya.iter().filter(|(_, by)| *by != took_it).count();
    assert!(
        elsewhere > 0,
        "no Shibuya stream on the process that did not take the webhook"
    );
    // … and arrives on every Shibuya stream, on both processes, while each
    // stream stays open: nginx passes it unbuffered (nothing else is sent
    // for 300 s, so a buffered event would not arrive).
    for (s, by) in &mut shibuya {
        let (_, e) = s.next().await;
        assert_eq!(e["id"], "evt_nginx_1", "stream held by {by}");
    }

    // elepay delivers it again (round robin: likely to the other process),
    // then Umeda's event, then a last Shibuya one.
    let (status, _) = nginx::post_webhook(&c.http, &c.base, &paid).await;
    assert!(
        (200..300).contains(&status),
        "a duplicate delivery: {status}"
    );
    let umeda_paid = code_event("evt_nginx_umeda", "cod_nginx_u", "loc_umeda");
    assert_eq!(
        nginx::post_webhook(&c.http, &c.base, &umeda_paid).await.0,
        200
    );
    let last = code_event("evt_nginx_2", "cod_nginx_2", "loc_shibuya");
    assert_eq!(nginx::post_webhook(&c.http, &c.base, &last).await.0, 200);

    // Exactly once, on the same open streams: nothing between the first
    // event and the last, neither the duplicate nor Umeda's.
    for (s, by) in &mut shibuya {
        assert_eq!(
            s.ids_until("evt_nginx_2").await,
            Vec::<String>::new(),
            "stream held by {by}"
        );
    }
    for (s, by) in &mut umeda {
        assert_eq!(
            s.ids_until("evt_nginx_umeda").await,
            Vec::<String>::new(),
            "Umeda's stream held by {by} got Shibuya's event"
        );
    }
    assert!(
        !c.nginx.error_log().contains("[error]"),
        "nginx logged an error:\n{}",
        c.nginx.error_log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_sent_to_https_big_bodies_and_the_metrics_stop_at_nginx() {
    let Some(c) = chain().await else { return };
    let r = c
        .http
        .get(format!("{}/api/register/me?x=1", c.http_base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
    assert_eq!(
        r.headers()["location"],
        format!("https://{HOST}/api/register/me?x=1").as_str()
    );

    // HQ's body limits are nginx's: a webhook over 256 KiB is refused by
    // nginx itself (no process named), one at the limit reaches HQ.
    // Unsigned: HQ, when it sees one, refuses it 401.
    let sig = "t=1,v1=00";
    let over = c
        .http
        .post(format!("{}/elepay/webhook", c.base))
        .header("elepay-signature", sig)
        .body(vec![b' '; 256 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 413);
    assert!(
        over.headers().get(nginx::UPSTREAM_HEADER).is_none(),
        "HQ saw it"
    );
    let at = c
        .http
        .post(format!("{}/elepay/webhook", c.base))
        .header("elepay-signature", sig)
        .body(vec![b' '; 256 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(at.status(), 401, "HQ checks its signature");
    assert!(!nginx::upstream(&at).is_empty());

    // The probes and the metrics stay on the host.
    for path in ["/metrics", "/readyz", "/healthz"] {
        let r = c
            .http
            .get(format!("{}{path}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path} through nginx");
        assert!(r.headers().get(nginx::UPSTREAM_HEADER).is_none(), "{path}");
    }
}
