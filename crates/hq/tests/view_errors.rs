//! Failures as the view shows them, over real HTTP on a real PostgreSQL:
//! a page in the viewer's language (status, `lang`, a localized title,
//! nothing of the cause), while the API under `/api/…` and the webhook
//! keep answering as before (JSON, or a bare status for the webhook),
//! also while the database is away.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use easyqr_hq::users::{self, Role};
use support::view::{http, login};
use support::*;

const PW: &str = "store lead password";

/// GET `path` with `headers`: (status, content type, Retry-After, body).
async fn fetch(base: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String, String) {
    let mut req = http().get(format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let h = |n: &str| {
        r.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (ct, retry) = (h("content-type"), h("retry-after"));
    (r.status().as_u16(), ct, retry, r.text().await.unwrap())
}

/// An error page: HTML, in `lang`, titled `title`, telling nothing of
/// `secrets`.
fn assert_page(
    what: &str,
    got: &(u16, String, String, String),
    status: u16,
    lang: &str,
    title: &str,
    secrets: &[&str],
) {
    let (st, ct, _, body) = got;
    assert_eq!(*st, status, "{what}: {body}");
    assert!(ct.starts_with("text/html"), "{what}: {ct}");
    assert!(
        body.contains(&format!("<html lang=\"{lang}\">")),
        "{what}: {body}"
    );
    assert!(
        body.contains(&format!("<title>{title} — EasyQR"))
            && body.contains(&format!("<h1>{title}</h1>")),
        "{what}: {body}"
    );
    assert!(
        body.contains(&format!("data-status=\"{status}\"")),
        "{what}"
    );
    for s in secrets {
        assert!(!body.contains(s), "{what} leaks {s}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_viewer_may_not_see_or_mistyped_is_a_page_in_their_language() {
    let Some(hq) = Hq::start().await else {
        return;
    };
    hq.store("loc_a", "渋谷店").await;
    hq.store("loc_secret", "秘密店").await;
    hq.enrol("loc_a", "S01R1").await;
    hq.enrol("loc_secret", "S09R1").await;
    users::add(&hq.db, "lead", Role::Store, &["loc_a".into()], PW)
        .await
        .unwrap();
    let s = login(&http(), &hq.base, "lead", PW).await;
    let ja = [("cookie", s.as_str()), ("accept-language", "ja,en;q=0.5")];
    let secrets = ["loc_secret", "秘密店", "S09R1", "not found:", "{"];

    // Japanese: another store's page, register and shift are 404 alike.
    for path in [
        "/stores/loc_secret",
        "/registers/S09R1",
        "/registers/S09R1/shifts/1",
        "/stores/nowhere",
    ] {
        let got = fetch(&hq.base, path, &ja).await;
        assert_page(path, &got, 404, "ja", "ページが見つかりません", &secrets);
        assert!(got.3.contains("このアカウントでは表示できません"), "{path}");
    }
    // English by the browser's choice, and by the viewer's choice.
    let en = format!("{s}; hq_lang=en");
    for headers in [
        vec![
            ("cookie", s.as_str()),
            ("accept-language", "en-GB,en;q=0.8"),
        ],
        vec![("cookie", en.as_str()), ("accept-language", "ja")],
    ] {
        let got = fetch(&hq.base, "/registers/S09R1", &headers).await;
        assert_page("en 404", &got, 404, "en", "Page not found", &secrets);
        // A shift number that is not a number: the query is bad.
        let got = fetch(&hq.base, "/registers/S01R1/shifts/first", &headers).await;
        assert_page(
            "en 400",
            &got,
            400,
            "en",
            "This request is not valid",
            &["i64", "parse", "first"],
        );
    }
    // A brand-only page for a store user, and a stale logout form.
    let got = fetch(&hq.base, "/audit", &ja).await;
    assert_page("audit", &got, 404, "ja", "ページが見つかりません", &secrets);
    let r = http()
        .post(format!("{}/logout", hq.base))
        .header("cookie", &en)
        .form(&[("csrf", "not the token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<h1>This could not be done</h1>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_away_is_a_503_page_in_the_view_and_json_in_the_api() {
    let Some(hq) = Hq::start().await else {
        return;
    };
    hq.store("loc_a", "渋谷店").await;
    let token = hq.enrol("loc_a", "S01R1").await;
    let s = login(&http(), &hq.base, "admin", VIEW_PASSWORD).await;

    // The API's errors are JSON, as before.
    let json = |got: &(u16, String, String, String)| -> serde_json::Value {
        assert!(got.1.starts_with("application/json"), "{got:?}");
        serde_json::from_str(&got.3).unwrap()
    };
    let got = fetch(&hq.base, "/api/register/me", &[]).await;
    assert_eq!(got.0, 401);
    assert_eq!(json(&got)["error"], "unauthorized");
    let got = fetch(
        &hq.base,
        "/api/register/me",
        &[("authorization", "Bearer nope")],
    )
    .await;
    assert_eq!(got.0, 401);
    assert_eq!(json(&got)["error"], "unauthorized");
    // The webhook's refusal stays a bare status.
    let r = http()
        .post(format!("{}/elepay/webhook", hq.base))
        .header("content-type", "application/json")
        .body(code_event("evt_1", "cd_1", "loc_a"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        !r.headers().contains_key("content-type")
            || !r.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("html")
    );

    // PostgreSQL refuses this database from now on.
    let db = hq
        .database_url
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("dbname="))
        .unwrap()
        .to_owned();
    let (admin, conn) = tokio_postgres::connect(
        &easyqr_test_harness::pg::conninfo("postgres").unwrap(),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {db} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
        ))
        .await
        .unwrap();

    let secrets = ["database:", "pool", "connection", "postgres", "error:"];
    let got = fetch(
        &hq.base,
        "/",
        &[("cookie", s.as_str()), ("accept-language", "ja")],
    )
    .await;
    assert_page(
        "ja 503",
        &got,
        503,
        "ja",
        "本部のデータベースに接続できません",
        &secrets,
    );
    assert_eq!(got.2, "1", "Retry-After");
    let got = fetch(
        &hq.base,
        "/stores/loc_a",
        &[("cookie", s.as_str()), ("accept-language", "en")],
    )
    .await;
    assert_page(
        "en 503",
        &got,
        503,
        "en",
        "The head office cannot reach its database",
        &secrets,
    );

    let got = fetch(
        &hq.base,
        "/api/register/me",
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await;
    assert_eq!(got.0, 503);
    assert!(json(&got)["error"]
        .as_str()
        .unwrap()
        .contains("send it again"));
    assert_eq!(got.2, "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_and_a_form_too_large_are_pages_and_the_api_stays_json() {
    let Some(hq) = Hq::start().await else {
        return;
    };
    let ja = [("accept-language", "ja")];
    // A mistyped address: a page that does not echo it.
    let got = fetch(&hq.base, "/stores-typo/<b>x</b>", &ja).await;
    assert_page(
        "unknown path",
        &got,
        404,
        "ja",
        "ページが見つかりません",
        &["stores-typo", "<b>x"],
    );
    // A register's or elepay's wrong address stays JSON.
    for path in ["/api/register/nope", "/elepay/other"] {
        let got = fetch(&hq.base, path, &ja).await;
        assert_eq!(got.0, 404, "{path}");
        assert!(got.1.starts_with("application/json"), "{path}: {got:?}");
        let body: serde_json::Value = serde_json::from_str(&got.3).unwrap();
        assert_eq!(body["error"], format!("not found: {path}"));
    }
    // A login form over the view's body limit, declared or not.
    let big = "x".repeat(easyqr_hq::limits::SMALL_BODY_MAX + 1);
    for chunked in [false, true] {
        let body = if chunked {
            let chunks = futures_util::stream::iter([big.clone()].map(Ok::<_, std::io::Error>));
            reqwest::Body::wrap_stream(chunks)
        } else {
            reqwest::Body::from(big.clone())
        };
        let r = http()
            .post(format!("{}/login", hq.base))
            .header("accept-language", "en")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        let got = (
            r.status().as_u16(),
            ct,
            String::new(),
            r.text().await.unwrap(),
        );
        assert_page(
            &format!("413 chunked={chunked}"),
            &got,
            413,
            "en",
            "What was sent is too large",
            &["body_too_large", "{"],
        );
    }
}
