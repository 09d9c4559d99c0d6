//! The head-office view in a real browser (Debian's chromium driven by
//! chromedriver, headless): sign-in with a named account, the stores with the day's totals, a
//! store's Z reports, a shift's payments, the figures by tax rate (a day's
//! and a Z's), events for unknown stores, both languages, the CSV, the
//! security headers as the browser gets them, sign-out, a store user who
//! sees its store only (another store's page is "not found" in the viewer's
//! language), the login throttle and the audit trail. Screenshots go to `target/e2e-artifacts/hq-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use easyqr_hq::ship::{ingest, Batch};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::register::{all_rows, busy_register};
use support::*;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn browser() -> Option<(Client, Driver)> {
    if std::env::var_os("EASYQR_E2E").is_none() {
        eprintln!("browser test skipped: run it through ./scripts/test (needs chromium-driver)");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver)"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,900",
                     "--lang=ja-JP"],
            "prefs": {"intl.accept_languages": "ja-JP,ja"}
        }),
    );
    for _ in 0..100 {
        let mut b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        b.capabilities(caps.clone());
        if let Ok(c) = b.connect(&format!("http://127.0.0.1:{port}")).await {
            return Some((c, driver));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no WebDriver session with chromium");
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join(format!("hq-{name}.png")), png).unwrap();
}

/// The element, once there: a click that navigates returns before the
/// next page has loaded.
async fn found(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait().for_element(Locator::Css(css)).await.unwrap()
}

async fn text(c: &Client, css: &str) -> String {
    found(c, css).await.text().await.unwrap()
}

async fn click(c: &Client, at: Locator<'_>) {
    c.find(at).await.unwrap().click().await.unwrap();
}

/// Fills the login form (emptied first: a refused form keeps the name).
async fn sign_in(c: &Client, user: &str, password: &str) {
    let u = found(c, "input[name=user]").await;
    u.clear().await.unwrap();
    u.send_keys(user).await.unwrap();
    let p = c.find(Locator::Css("input[name=password]")).await.unwrap();
    p.send_keys(password).await.unwrap();
    // Marks this page, so the wait below ends on the next one.
    c.execute("document.body.dataset.old = '1'", vec![])
        .await
        .unwrap();
    click(c, Locator::Id("sign-in")).await;
    found(c, "body:not([data-old])").await;
}

/// The headers of `path` as the browser receives them.
async fn headers_of(c: &Client, path: &str) -> serde_json::Value {
    c.execute_async(
        "const done = arguments[1];
         fetch(arguments[0]).then(r => { const h = {};
           r.headers.forEach((v, k) => h[k] = v); done(h); });",
        vec![json!(path)],
    )
    .await
    .unwrap()
}

async fn attr(c: &Client, css: &str, a: &str) -> String {
    found(c, css)
        .await
        .attr(a)
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_office_view_in_a_real_browser() {
    let Some(hq) = Hq::start().await else { return };
    let Some((c, _driver)) = browser().await else {
        return;
    };
    hq.store("loc_store1", "渋谷店").await;
    hq.store("loc_umeda", "梅田店").await;
    let token = hq.enrol("loc_store1", "S01R1").await;
    hq.enrol("loc_umeda", "S02R1").await;
    let (w, shift) = busy_register(6).await;
    let rows = all_rows(&w);
    let head = rows.last().unwrap().seq;
    let reg: i64 = hq
        .db
        .get()
        .await
        .unwrap()
        .query_one("SELECT id FROM registers WHERE register_id = 'S01R1'", &[])
        .await
        .unwrap()
        .get(0);
    // Everything, while the register says it has written 3 rows more
    // since: a backlog of 3 shows.
    ingest(
        &hq.db,
        reg,
        &Batch {
            head: head + 3,
            acked_seen: 0,
            rows: rows.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(hq.me(&token).await.0, 200, "seen: online");
    let now = now_secs();
    hq.deliver(
        &code_event("evt_lost", "cod_lost", "loc_closed_store"),
        SECRET,
        now,
    )
    .await;

    // Signing in: a wrong password is refused and said so.
    c.goto(&format!("{}/", hq.base)).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    sign_in(&c, "admin", "wrong password!").await;
    assert_eq!(
        text(&c, "#login-error").await,
        "ユーザー名またはパスワードが違います。"
    );
    shot(&c, "01-login-refused").await;
    sign_in(&c, "admin", VIEW_PASSWORD).await;
    assert_eq!(text(&c, "#signed-in").await, "admin");

    // Stores: the day's totals are the registers' own figures.
    let c2 = hq.db.get().await.unwrap();
    let day = easyqr_ledger::business_date(w.engine.now_ms(), 540);
    let o = easyqr_hq::books::overview(&c2, &day).await.unwrap();
    let store1 = o
        .stores
        .iter()
        .find(|s| s.location_id == "loc_store1")
        .unwrap();
    let net = store1.day.net_sales;
    assert!(net > 0);
    assert_eq!(
        attr(&c, ".store[data-location=loc_store1] .big", "data-net").await,
        net.to_string()
    );
    assert_eq!(
        attr(&c, "#brand-total .big", "data-net").await,
        net.to_string()
    );
    assert_eq!(text(&c, "tr[data-register=S01R1] .backlog").await, "3");
    assert!(text(&c, "tr[data-register=S01R1]")
        .await
        .contains("オンライン"));
    assert!(text(&c, "tr[data-register=S02R1]")
        .await
        .contains("オフライン"));
    // Events for no known store: a banner on top, with amount and time.
    let banner = text(&c, "#unknown-banner").await;
    assert!(
        banner.contains("1 件") && banner.contains("¥1,280") && banner.contains("loc_closed_store"),
        "{banner}"
    );
    // One set of figures on every card, the brand's included.
    let keys = "return Array.from(document.querySelectorAll('.card')).map(c =>
         Array.from(c.querySelectorAll('dd[data-k]')).map(d => d.dataset.k).join(','))";
    let sets = c.execute(keys, vec![]).await.unwrap();
    assert_eq!(
        sets,
        json!([
            "paid,refunds,late,backlog",
            "paid,refunds,late,backlog",
            "paid,refunds,late,backlog"
        ])
    );
    assert_eq!(
        text(&c, ".store[data-location=loc_store1] dd[data-k=backlog]").await,
        "3件"
    );
    // The terms are explained: a legend, and a tooltip on each.
    let legend = text(&c, "#legend").await;
    assert!(
        legend.contains("未送信") && legend.contains("遅延入金"),
        "{legend}"
    );
    assert!(attr(&c, ".card dt.term", "title")
        .await
        .contains("締めた後"));
    shot(&c, "02-stores").await;

    // By tax rate: each store's day and the brand's, as HQ's books count.
    assert_eq!(text(&c, "#by-rate").await, "税率別 売上・消費税額（本日）");
    let rates = store1.day.by_rate;
    let row = "table.by-rate tr[data-location=loc_store1]";
    for (k, v) in [
        ("standard-sales", rates.sales.standard.gross),
        ("standard-tax", rates.sales.standard.tax),
        ("reduced-sales", rates.sales.reduced.gross),
        ("free-sales", rates.sales.free.gross),
        ("unrecorded-sales", rates.sales.unrecorded.gross),
        ("customers", rates.customers),
        ("net-sales", net),
    ] {
        assert_eq!(
            attr(&c, &format!("{row} td[data-k={k}]"), "data-v").await,
            v.to_string(),
            "{k}"
        );
    }
    assert!(rates.sales.standard.tax > 0 && rates.sales.reduced.tax > 0);
    assert!(rates.sales.free.gross > 0 && rates.sales.unrecorded.gross > 0);
    assert_eq!(
        text(&c, &format!("{row} td[data-k=unrecorded-tax]")).await,
        "—"
    );
    let brand = text(&c, "table.by-rate tr.brand").await;
    assert!(brand.starts_with("ブランド合計"), "{brand}");
    c.execute(
        "document.getElementById('by-rate').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "02b-by-rate-today").await;
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();

    // A store's Z reports, then one shift's payments.
    click(&c, Locator::Css(".store[data-location=loc_store1] a")).await;
    let report = w.ledger.shift_report(shift, w.engine.now_ms()).unwrap();
    assert_eq!(
        attr(&c, "table.z .z-net", "data-net").await,
        report.net_sales.to_string()
    );
    // What changed since the close reads as a change, not a second total.
    let since = text(&c, "table.z .since").await;
    assert!(since.starts_with("締め後 +¥"), "{since}");
    shot(&c, "03-store-z-reports").await;
    click(&c, Locator::Css("table.z a")).await;
    let payments = text(&c, "table.payments").await;
    assert!(payments.contains("S01R1-"), "{payments}");
    assert!(
        payments.contains("支払済") && payments.contains("取消"),
        "{payments}"
    );
    assert!(text(&c, "table.refunds").await.contains("returned"));
    shot(&c, "04-shift-payments").await;
    // The Z by rate: at the close as the register printed it; the late
    // payment (¥777 at 8 %) since.
    let z = report.figures.by_rate.unwrap();
    let cell = |k: &str, col: &str| format!("table.by-rate-z tr[data-k={k}] td[data-col={col}]");
    assert_eq!(
        attr(&c, &cell("standard-sales", "at-close"), "data-v").await,
        z.sales.standard.gross.to_string()
    );
    assert_eq!(
        attr(&c, &cell("standard-tax", "at-close"), "data-v").await,
        z.sales.standard.tax.to_string()
    );
    assert_eq!(
        attr(&c, &cell("reduced-sales", "since-close"), "data-v").await,
        "777"
    );
    assert_eq!(
        text(&c, &cell("reduced-sales", "since-close")).await,
        "+¥777"
    );
    assert_eq!(
        attr(&c, &cell("customers", "since-close"), "data-v").await,
        "1"
    );
    c.execute(
        "document.querySelector('table.by-rate-z').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "04b-z-by-rate").await;

    // English, and the events no store claims.
    c.goto(&format!("{}/lang/en", hq.base)).await.unwrap();
    c.goto(&format!("{}/events/unknown", hq.base))
        .await
        .unwrap();
    let unknown = text(&c, "table.unknown").await;
    assert!(
        unknown.contains("evt_lost") && unknown.contains("loc_closed_store"),
        "{unknown}"
    );
    assert_eq!(text(&c, "h1").await, "Events for unknown stores");
    shot(&c, "05-unknown-events-en").await;
    c.goto(&format!("{}/", hq.base)).await.unwrap();
    assert!(text(&c, "tr[data-register=S01R1]").await.contains("Online"));
    let banner = text(&c, "#unknown-banner").await;
    assert!(
        banner.contains("Events arrived for no known store"),
        "{banner}"
    );
    assert!(text(&c, "#legend").await.contains("Not shipped"));
    shot(&c, "06-stores-en").await;
    click(&c, Locator::Css(".store[data-location=loc_store1] a")).await;
    let since = text(&c, "table.z .since").await;
    assert!(since.starts_with("since the close +¥"), "{since}");
    shot(&c, "06b-store-z-reports-en").await;
    click(&c, Locator::Css("table.z a")).await;
    let legend = text(&c, "#legend").await;
    assert!(legend.contains("checked with elepay"), "{legend}");
    shot(&c, "06c-shift-payments-en").await;

    // The CSV, with the browser's session: UTF-8 with a BOM, one Z row.
    let csv: String = c
        .execute_async(
            "const done = arguments[0];
             fetch('/export/z.csv').then(r => r.arrayBuffer()).then(b => {
               const u = new Uint8Array(b); let s = '';
               for (const x of u) s += String.fromCharCode(x);
               done(btoa(s)); });",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let csv = base64::engine::general_purpose::STANDARD
        .decode(csv)
        .unwrap();
    assert_eq!(&csv[..3], b"\xef\xbb\xbf");
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with("渋谷店,S01R1,1,"), "{csv}");
    assert!(
        lines[1].contains(&format!(",{},", report.net_sales)),
        "{csv}"
    );
    // By rate, at the close.
    let header: Vec<&str> = lines[0].split(',').collect();
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(header.len(), row.len(), "{csv}");
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("sales_tax_standard"), z.sales.standard.tax.to_string());
    assert_eq!(col("sales_free"), z.sales.free.gross.to_string());
    assert_eq!(
        col("refunds_standard"),
        z.refunds.standard.gross.to_string()
    );
    // Without a session there is no view.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/export/z.csv", hq.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // Security headers, as the browser gets them, on a page with figures.
    let h = headers_of(&c, "/").await;
    let csp = h["content-security-policy"].as_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(
        c.execute("return document.scripts.length", vec![])
            .await
            .unwrap(),
        json!(0)
    );

    // Sign-out: back at the login, and the pages are closed again.
    click(&c, Locator::Id("sign-out")).await;
    found(&c, "form.login").await;
    c.goto(&format!("{}/", hq.base)).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));

    // A store user sees its store only; another store's page is 404.
    easyqr_hq::users::add(
        &hq.db,
        "umeda.lead",
        easyqr_hq::users::Role::Store,
        &["loc_umeda".into()],
        "umeda lead password",
    )
    .await
    .unwrap();
    c.goto(&format!("{}/lang/ja", hq.base)).await.unwrap();
    c.goto(&format!("{}/login", hq.base)).await.unwrap();
    sign_in(&c, "umeda.lead", "umeda lead password").await;
    assert_eq!(text(&c, "#signed-in").await, "umeda.lead");
    let main = text(&c, "main").await;
    assert!(
        main.contains("梅田店") && !main.contains("渋谷店"),
        "{main}"
    );
    assert!(c
        .find_all(Locator::Css("#brand-total, a[href='/audit']"))
        .await
        .unwrap()
        .is_empty());
    shot(&c, "07-store-user").await;
    for path in ["/stores/loc_store1", "/registers/S01R1", "/audit"] {
        let status = c
            .execute_async(
                "const done = arguments[1]; fetch(arguments[0]).then(r => done(r.status));",
                vec![json!(path)],
            )
            .await
            .unwrap();
        assert_eq!(status, json!(404), "{path}");
    }
    // As a page: in the viewer's language, saying nothing of that store.
    c.goto(&format!("{}/stores/loc_store1", hq.base))
        .await
        .unwrap();
    assert_eq!(text(&c, "h1").await, "ページが見つかりません");
    assert_eq!(attr(&c, "html", "lang").await, "ja");
    assert!(!text(&c, "main").await.contains("loc_store1"));
    shot(&c, "07b-not-found").await;
    click(&c, Locator::Css("a.brand")).await;
    assert_eq!(text(&c, "#signed-in").await, "umeda.lead");
    click(&c, Locator::Id("sign-out")).await;

    // Throttling: after 5 failures the name is locked, and the page says
    // how long to wait.
    for _ in 0..easyqr_hq::view::throttle::ACCOUNT_FREE {
        sign_in(&c, "umeda.lead", "guess guess guess").await;
        found(&c, "#login-error").await;
    }
    sign_in(&c, "umeda.lead", "umeda lead password").await;
    let msg = text(&c, "#login-error").await;
    assert!(msg.contains("30 秒後"), "{msg}");
    assert!(c
        .find_all(Locator::Id("signed-in"))
        .await
        .unwrap()
        .is_empty());
    shot(&c, "08-login-throttled").await;

    // The audit trail, for brand users: the logins, the failures, the CSV.
    sign_in(&c, "admin", VIEW_PASSWORD).await;
    c.goto(&format!("{}/audit", hq.base)).await.unwrap();
    let audit = text(&c, "table.audit").await;
    assert!(
        audit.contains("ログイン失敗") && audit.contains("CSV出力") && audit.contains("umeda.lead"),
        "{audit}"
    );
    assert_eq!(
        c.find_all(Locator::Css("tr[data-kind=login_failed]"))
            .await
            .unwrap()
            .len(),
        1 + easyqr_hq::view::throttle::ACCOUNT_FREE as usize
    );
    shot(&c, "09-audit").await;
    c.close().await.unwrap();
}
