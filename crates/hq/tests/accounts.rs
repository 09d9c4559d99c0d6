//! The head-office view's accounts over real HTTP on a real PostgreSQL:
//! sessions (idle and absolute lifetimes on an injected clock, a new id
//! at each login, ended by logout, removal or a new password), roles (a
//! store user sees its stores only, everything else is 404), the login
//! throttle (429, Retry-After, doubling), CSRF on login and logout, the
//! audit trail, `Secure` and HSTS from the public URL, security headers,
//! and `X-Forwarded-For` believed only from a trusted proxy; two HQ
//! processes on one database share the throttle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use easyqr_hq::users::{self, Role};
use easyqr_hq::view::session::{ABSOLUTE_MS, IDLE_MS};
use easyqr_hq::view::throttle::{
    ACCOUNT_FREE, ADDRESS_FREE, FIRST_LOCK_MS, FORGET_MS, MAX_LOCK_MS,
};
use support::view::{get, http, login, set_cookie, try_login, try_login_with};
use support::*;

const T0: i64 = 1_780_000_000_000;
const PW: &str = "store lead password";

struct Clock(Arc<AtomicI64>);

impl Clock {
    fn new() -> (Clock, easyqr_hq::Clock) {
        let at = Arc::new(AtomicI64::new(T0));
        let c = at.clone();
        (Clock(at), Arc::new(move || c.load(Ordering::SeqCst)))
    }

    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

async fn hq_with(edit: impl FnOnce(&mut easyqr_hq::Config)) -> Option<(Hq, Clock)> {
    let url = fresh_db().await?;
    let mut cfg = config(&url);
    edit(&mut cfg);
    let (clock, c) = Clock::new();
    Some((Hq::with(cfg, c).await, clock))
}

async fn signed_in(hq: &Hq, cookie: &str) -> bool {
    match get(&http(), &hq.base, "/", cookie).await.0 {
        200 => true,
        303 => false,
        s => panic!("status {s}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_at_their_absolute_lifetime_and_on_a_new_login() {
    let Some((hq, clock)) = hq_with(|_| {}).await else {
        return;
    };
    let h = http();
    let a = login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    assert!(signed_in(&hq, &a).await);
    // Idle: each request starts the idle time again.
    clock.advance(IDLE_MS - 60_000);
    assert!(signed_in(&hq, &a).await);
    clock.advance(IDLE_MS - 60_000);
    assert!(
        signed_in(&hq, &a).await,
        "touched: still idle less than IDLE_MS"
    );
    clock.advance(IDLE_MS);
    assert!(!signed_in(&hq, &a).await, "idle too long");

    // Absolute: however busy, the session ends ABSOLUTE_MS after login.
    let b = login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    let mut used = 0;
    while used + IDLE_MS / 2 < ABSOLUTE_MS {
        clock.advance(IDLE_MS / 2);
        used += IDLE_MS / 2;
        assert!(signed_in(&hq, &b).await, "{used} ms in");
    }
    clock.advance(ABSOLUTE_MS - used);
    assert!(!signed_in(&hq, &b).await, "past the absolute lifetime");

    // Rotation: a login sending an old id gets a new one, the old is dead.
    let c = login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    let r = try_login_with(&h, &hq.base, "admin", VIEW_PASSWORD, &[("cookie", &c)]).await;
    assert_eq!(r.status(), 303);
    let d = set_cookie(&r, "hq_session").unwrap();
    let d = d.split(';').next().unwrap().to_owned();
    assert_ne!(c, d);
    assert!(!signed_in(&hq, &c).await, "the id sent at login ended");
    assert!(signed_in(&hq, &d).await);
    // Only a hash of the id is stored.
    let id = d.split_once('=').unwrap().1;
    let stored = hq
        .query_i64(&format!(
            "SELECT count(*) FROM view_sessions WHERE id_hash = '\\x{}'::bytea OR csrf = '{id}'",
            hex::encode(id.as_bytes())
        ))
        .await;
    assert_eq!(stored, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_removal_and_a_new_password_end_sessions_and_logout_needs_its_token() {
    let Some((hq, _clock)) = hq_with(|_| {}).await else {
        return;
    };
    hq.store("loc_a", "渋谷店").await;
    users::add(&hq.db, "lead", Role::Store, &["loc_a".into()], PW)
        .await
        .unwrap();
    let h = http();
    let s = login(&h, &hq.base, "lead", PW).await;
    let (_, page) = get(&h, &hq.base, "/", &s).await;
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    // Without the session's token (a post from another site): refused.
    let r = h
        .post(format!("{}/logout", hq.base))
        .header("cookie", &s)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(signed_in(&hq, &s).await);
    let r = h
        .post(format!("{}/logout", hq.base))
        .header("cookie", &s)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(set_cookie(&r, "hq_session").unwrap().contains("Max-Age=0"));
    assert!(!signed_in(&hq, &s).await, "logged out");

    let s = login(&h, &hq.base, "lead", PW).await;
    users::set_password(&hq.db, "lead", "another long password")
        .await
        .unwrap();
    assert!(!signed_in(&hq, &s).await, "a new password ends sessions");
    assert_eq!(try_login(&h, &hq.base, "lead", PW).await.status(), 401);
    let s = login(&h, &hq.base, "lead", "another long password").await;
    users::remove(&hq.db, "lead").await.unwrap();
    assert!(!signed_in(&hq, &s).await, "a removed user's session ends");
    assert_eq!(
        try_login(&h, &hq.base, "lead", "another long password")
            .await
            .status(),
        401
    );

    // A login post without the form's own token and cookie is refused.
    let r = h
        .post(format!("{}/login", hq.base))
        .form(&[
            ("user", "admin"),
            ("password", VIEW_PASSWORD),
            ("csrf", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(set_cookie(&r, "hq_session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_user_sees_its_stores_only() {
    let Some((hq, _clock)) = hq_with(|_| {}).await else {
        return;
    };
    hq.store("loc_a", "渋谷店").await;
    hq.store("loc_b", "梅田店").await;
    hq.store("loc_c", "難波店").await;
    hq.enrol("loc_a", "S01R1").await;
    hq.enrol("loc_b", "S02R1").await;
    users::add(
        &hq.db,
        "lead",
        Role::Store,
        &["loc_a".into(), "loc_c".into()],
        PW,
    )
    .await
    .unwrap();
    let e = users::add(&hq.db, "x", Role::Store, &["loc_zz".into()], PW)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("loc_zz"), "{e}");
    let e = users::add(&hq.db, "y", Role::Store, &[], PW)
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("store:"), "{e}");
    let h = http();
    let s = login(&h, &hq.base, "lead", PW).await;
    let (st, page) = get(&h, &hq.base, "/", &s).await;
    assert_eq!(st, 200);
    assert!(page.contains("data-location=\"loc_a\"") && page.contains("data-location=\"loc_c\""));
    assert!(!page.contains("loc_b") && !page.contains("梅田店") && !page.contains("S02R1"));
    assert!(!page.contains("brand-total") && !page.contains("/audit"));
    assert_eq!(get(&h, &hq.base, "/stores/loc_a", &s).await.0, 200);
    assert_eq!(get(&h, &hq.base, "/registers/S01R1", &s).await.0, 200);
    for path in [
        "/stores/loc_b",
        "/registers/S02R1",
        "/registers/S02R1/shifts/1",
        "/export/z.csv?store=loc_b",
        "/events/unknown",
        "/audit",
    ] {
        assert_eq!(get(&h, &hq.base, path, &s).await.0, 404, "{path}");
    }
    // The brand sees all.
    let b = login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    let (_, page) = get(&h, &hq.base, "/", &b).await;
    assert!(page.contains("loc_b") && page.contains("brand-total"));
    for path in [
        "/stores/loc_b",
        "/registers/S02R1",
        "/events/unknown",
        "/audit",
    ] {
        assert_eq!(get(&h, &hq.base, path, &b).await.0, 200, "{path}");
    }
    let list = users::list(&hq.db).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].stores, ["loc_a", "loc_c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_with_429_and_a_doubling_back_off() {
    let Some((hq, clock)) = hq_with(|_| {}).await else {
        return;
    };
    let h = http();
    for _ in 0..ACCOUNT_FREE {
        assert_eq!(
            try_login(&h, &hq.base, "admin", "guess guess guess")
                .await
                .status(),
            401
        );
    }
    let r = try_login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    assert_eq!(r.status(), 429, "locked: even the right password waits");
    assert_eq!(
        r.headers()["retry-after"],
        (FIRST_LOCK_MS / 1000).to_string()
    );
    assert!(set_cookie(&r, "hq_session").is_none());
    clock.advance(FIRST_LOCK_MS);
    assert_eq!(
        try_login(&h, &hq.base, "admin", "guess guess guess")
            .await
            .status(),
        401
    );
    let r = try_login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.headers()["retry-after"],
        (2 * FIRST_LOCK_MS / 1000).to_string(),
        "doubled"
    );
    clock.advance(2 * FIRST_LOCK_MS);
    assert_eq!(
        try_login(&h, &hq.base, "admin", VIEW_PASSWORD)
            .await
            .status(),
        303
    );
    // Other names from the same address still get their free tries.
    assert_eq!(
        try_login(&h, &hq.base, "someone", "guess guess guess")
            .await
            .status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_share_the_throttle_and_drop_old_rows() {
    let Some(url) = fresh_db().await else {
        return;
    };
    let (clock, c) = Clock::new();
    // Two HQ processes behind one load balancer: same database, same clock.
    let a = Hq::with(config(&url), c.clone()).await;
    let b = Hq::with(config(&url), c).await;
    let h = http();
    assert_eq!(
        try_login(&h, &b.base, "ghost", "guess guess guess")
            .await
            .status(),
        401
    );
    for _ in 0..ACCOUNT_FREE {
        assert_eq!(
            try_login(&h, &a.base, "admin", "guess guess guess")
                .await
                .status(),
            401
        );
    }
    let r = try_login(&h, &b.base, "admin", VIEW_PASSWORD).await;
    assert_eq!(r.status(), 429, "the failures on a count on b");
    assert_eq!(
        r.headers()["retry-after"],
        (FIRST_LOCK_MS / 1000).to_string()
    );
    // Each process counts the failed logins it answered (wrong or locked).
    assert_eq!(login_failures(&a.base).await, u64::from(ACCOUNT_FREE));
    assert_eq!(login_failures(&b.base).await, 2);
    assert_eq!(
        try_login(&h, &a.base, "admin", VIEW_PASSWORD)
            .await
            .status(),
        429
    );
    // The right password on b, once unlocked, clears the name for a too.
    clock.advance(FIRST_LOCK_MS);
    assert_eq!(
        try_login(&h, &b.base, "admin", VIEW_PASSWORD)
            .await
            .status(),
        303
    );
    for _ in 0..ACCOUNT_FREE - 1 {
        assert_eq!(
            try_login(&h, &a.base, "admin", "guess guess guess")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        try_login(&h, &b.base, "admin", VIEW_PASSWORD)
            .await
            .status(),
        303
    );
    // Rows idle past their use go at a later attempt.
    let ghost = "SELECT count(*) FROM login_throttle WHERE key = 'name:ghost'";
    assert_eq!(a.query_i64(ghost).await, 1);
    clock.advance(FORGET_MS.max(MAX_LOCK_MS) + 1);
    assert_eq!(
        try_login(&h, &a.base, "someone", "guess guess guess")
            .await
            .status(),
        401
    );
    assert_eq!(a.query_i64(ghost).await, 0, "the old row was dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_parallel_guesses_across_two_processes_gets_only_the_free_attempts() {
    let Some(url) = fresh_db().await else {
        return;
    };
    let (_clock, c) = Clock::new();
    let a = Hq::with(config(&url), c.clone()).await;
    let b = Hq::with(config(&url), c).await;
    let h = http();
    let guesses = (0..4 * ACCOUNT_FREE).map(|i| {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let h = h.clone();
        async move {
            try_login(&h, base, "admin", "guess guess guess")
                .await
                .status()
                .as_u16()
        }
    });
    let mut answers = futures_util::future::join_all(guesses).await;
    answers.sort_unstable();
    let wrong = answers.iter().filter(|s| **s == 401).count();
    let locked = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (wrong, locked),
        (ACCOUNT_FREE as usize, 3 * ACCOUNT_FREE as usize),
        "{answers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    // Trusted: the address the proxy names is throttled and audited.
    let Some((hq, _clock)) =
        hq_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await
    else {
        return;
    };
    let h = http();
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    for i in 0..ADDRESS_FREE {
        let r = try_login_with(
            &h,
            &hq.base,
            &format!("u{i}"),
            "guess guess guess",
            &from("198.51.100.7"),
        )
        .await;
        assert_eq!(r.status(), 401);
    }
    let r = try_login_with(&h, &hq.base, "admin", VIEW_PASSWORD, &from("198.51.100.7")).await;
    assert_eq!(r.status(), 429, "the address is locked");
    let r = try_login_with(&h, &hq.base, "admin", VIEW_PASSWORD, &from("198.51.100.8")).await;
    assert_eq!(r.status(), 303, "another client behind the proxy is not");
    let clients = audit_clients(&hq).await;
    assert_eq!(
        clients.first().unwrap(),
        &("login".into(), "198.51.100.8".into())
    );
    assert!(clients.contains(&("login_failed".into(), "198.51.100.7".into())));

    // Not trusted: the header is the stranger's to invent, so ignored.
    let Some((hq, _clock)) = hq_with(|_| {}).await else {
        return;
    };
    for i in 0..ADDRESS_FREE {
        let spoof = ["198.51.100.1", "198.51.100.2"][i as usize % 2];
        let r = try_login_with(
            &h,
            &hq.base,
            &format!("u{i}"),
            "guess guess guess",
            &from(spoof),
        )
        .await;
        assert_eq!(r.status(), 401);
    }
    let r = try_login_with(&h, &hq.base, "admin", VIEW_PASSWORD, &from("198.51.100.9")).await;
    assert_eq!(r.status(), 429, "locked by the real peer address");
    assert!(audit_clients(&hq)
        .await
        .iter()
        .all(|(_, c)| c == "127.0.0.1"));
}

/// `easyqr_login_failures_total` from the process at `base`.
async fn login_failures(base: &str) -> u64 {
    let text = http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("easyqr_login_failures_total "))
        .unwrap_or_else(|| panic!("no login failures in {text}"))
        .parse::<f64>()
        .unwrap() as u64
}

async fn audit_clients(hq: &Hq) -> Vec<(String, String)> {
    hq.db
        .get()
        .await
        .unwrap()
        .query("SELECT kind, client FROM view_audit ORDER BY id DESC", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_failures_logouts_and_exports_are_audited_for_brand_users() {
    let Some((hq, _clock)) = hq_with(|_| {}).await else {
        return;
    };
    hq.store("loc_a", "渋谷店").await;
    users::add(&hq.db, "lead", Role::Store, &["loc_a".into()], PW)
        .await
        .unwrap();
    let h = http();
    assert_eq!(
        try_login(&h, &hq.base, "lead", "wrong password!")
            .await
            .status(),
        401
    );
    assert_eq!(
        try_login(&h, &hq.base, "nobody", "wrong password!")
            .await
            .status(),
        401
    );
    let s = login(&h, &hq.base, "lead", PW).await;
    let (st, csv) = get(&h, &hq.base, "/export/z.csv", &s).await;
    assert_eq!(st, 200);
    assert!(csv.starts_with('\u{feff}'));
    let rows = easyqr_hq::view::audit::recent(&hq.db, 100).await.unwrap();
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|e| (e.kind.as_str(), e.user_name.as_str(), e.client.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("csv_export", "lead", "127.0.0.1"),
            ("login", "lead", "127.0.0.1"),
            ("login_failed", "nobody", "127.0.0.1"),
            ("login_failed", "lead", "127.0.0.1"),
        ]
    );
    assert!(rows[0].detail.contains("rows=0"), "{}", rows[0].detail);
    assert!(rows.iter().all(|e| e.at_ms == T0));
    // Brand users read them on a page.
    let b = login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    let (st, page) = get(&h, &hq.base, "/audit", &b).await;
    assert_eq!(st, 200);
    assert_eq!(page.matches("data-kind=\"login_failed\"").count(), 2);
    assert!(page.contains("nobody") && page.contains("CSV出力"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_is_secure_and_hsts_sent_when_the_public_url_is_https() {
    let Some((hq, _clock)) =
        hq_with(|c| c.public_url = Some("https://hq.example.jp/".parse().unwrap())).await
    else {
        return;
    };
    let h = http();
    // No X-Forwarded-Proto at all: the configured URL decides.
    let r = try_login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    assert_eq!(r.status(), 303);
    let c = set_cookie(&r, "hq_session").unwrap();
    assert!(
        c.contains("; Secure") && c.contains("HttpOnly") && c.contains("SameSite=Strict"),
        "{c}"
    );
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let r = h.get(format!("{}/login", hq.base)).send().await.unwrap();
    assert!(r.headers().contains_key("strict-transport-security"));
    let r = h.get(format!("{}/lang/en", hq.base)).send().await.unwrap();
    assert!(set_cookie(&r, "hq_lang").unwrap().contains("; Secure"));

    // http: never Secure, whatever the headers claim.
    let Some((hq, _clock)) =
        hq_with(|c| c.public_url = Some("http://hq.lan/".parse().unwrap())).await
    else {
        return;
    };
    let r = try_login_with(
        &h,
        &hq.base,
        "admin",
        VIEW_PASSWORD,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let c = set_cookie(&r, "hq_session").unwrap();
    assert!(!c.contains("Secure"), "{c}");
    assert!(!r.headers().contains_key("strict-transport-security"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_sends_the_security_headers() {
    let Some((hq, _clock)) = hq_with(|_| {}).await else {
        return;
    };
    hq.store("loc_a", "渋谷店").await;
    hq.enrol("loc_a", "S01R1").await;
    let h = http();
    let s = login(&h, &hq.base, "admin", VIEW_PASSWORD).await;
    for path in [
        "/login",
        "/",
        "/stores/loc_a",
        "/registers/S01R1",
        "/events/unknown",
        "/audit",
        "/export/z.csv",
        "/hq.css",
        "/stores/nowhere",
    ] {
        let r = h
            .get(format!("{}{path}", hq.base))
            .header("cookie", &s)
            .send()
            .await
            .unwrap();
        let hd = r.headers();
        let csp = hd["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("script-src 'none'"), "{path}");
        assert_eq!(hd["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(hd["referrer-policy"], "same-origin", "{path}");
        assert_eq!(hd["x-frame-options"], "DENY", "{path}");
        if path != "/hq.css" {
            assert_eq!(hd["cache-control"], "no-store", "{path}");
        }
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("<script") && !body.contains("style=\"") && !body.contains("<style"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_password_creates_the_first_brand_user_once() {
    let Some(url) = fresh_db().await else {
        return;
    };
    let db = easyqr_hq::db::pool(&url, 2).unwrap();
    easyqr_hq::db::migrate(&db).await.unwrap();
    assert!(!users::bootstrap(&db, None).await.unwrap());
    assert!(users::bootstrap(&db, Some(VIEW_PASSWORD)).await.unwrap());
    assert!(!users::bootstrap(&db, Some("another long password"))
        .await
        .unwrap());
    let list = users::list(&db).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].name.as_str(), list[0].role),
        ("admin", Role::Brand)
    );
    assert!(users::verify(&db, "admin", VIEW_PASSWORD)
        .await
        .unwrap()
        .is_some());
    assert!(users::verify(&db, "admin", "another long password")
        .await
        .unwrap()
        .is_none());
    let hash: String = db
        .get()
        .await
        .unwrap()
        .query_one("SELECT password_hash FROM view_users", &[])
        .await
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

/// Runs `easyqr-hq user …` on `url` with `stdin`; (exit code, stdout, stderr).
async fn user_cmd(url: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    use tokio::io::AsyncWriteExt as _;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_easyqr-hq"))
        .arg("user")
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("EASYQR_HQ_USER_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_command_adds_lists_changes_and_removes_users() {
    let Some((hq, _clock)) = hq_with(|_| {}).await else {
        return;
    };
    hq.store("loc_a", "渋谷店").await;
    let url = hq.database_url.clone();
    // The password comes from stdin (not a terminal), never a flag.
    let (code, out, err) = user_cmd(
        &url,
        &["add", "--role", "store", "--store", "loc_a", "lead"],
        &format!("{PW}\n"),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("user lead (store) added"), "{out}");
    let (code, _, err) = user_cmd(
        &url,
        &["add", "--role", "store", "x"],
        "long enough password\n",
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("--store"), "{err}");
    let (code, _, err) = user_cmd(&url, &["add", "--role", "brand", "y"], "short\n").await;
    assert_eq!(code, 2);
    assert!(err.contains("password: 12"), "{err}");
    let (_, out, _) = user_cmd(&url, &["list"], "").await;
    assert!(
        out.contains(r#"{"name":"lead","role":"store","stores":["loc_a"]}"#),
        "{out}"
    );
    let h = http();
    let s = login(&h, &hq.base, "lead", PW).await;
    let (code, _, err) = user_cmd(&url, &["passwd", "lead"], "a brand new password\n").await;
    assert_eq!(code, 0, "{err}");
    assert!(!signed_in(&hq, &s).await);
    let s = login(&h, &hq.base, "lead", "a brand new password").await;
    let (code, out, _) = user_cmd(&url, &["remove", "lead"], "").await;
    assert_eq!(code, 0);
    assert!(out.contains("removed"), "{out}");
    assert!(!signed_in(&hq, &s).await);
    let (code, _, err) = user_cmd(&url, &["remove", "lead"], "").await;
    assert_eq!(code, 2);
    assert!(err.contains("user lead"), "{err}");
}
