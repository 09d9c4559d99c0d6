//! Drives the real EasyQR POS binary through tauri-driver + WebKitWebDriver
//! (under Xvfb, see scripts/test). Each [`App`] is one app process with its
//! own data folder and its own tauri-driver ports; apps run one at a time
//! because they share one virtual display.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

pub mod cashier;
use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_easyqr-pos");

/// The end-to-end tests need a display and tauri-driver; scripts/test
/// provides both and sets EASYQR_E2E=1. A plain `cargo test` elsewhere says
/// so instead of failing on a missing display.
pub fn enabled() -> bool {
    if std::env::var_os("EASYQR_E2E").is_some() {
        return true;
    }
    eprintln!(
        "end-to-end test skipped: run it through ./scripts/test (needs Xvfb and tauri-driver)"
    );
    false
}

/// Records every event a window receives, and every message of a cashier
/// feed channel if the window may open one (command answers are collected
/// by the test itself). `window.__feed` says whether the feed was granted.
pub const CAPTURE: &str = r#"
    window.__captured = [];
    for (const name of ['cashier', 'customer', 'connectivity', 'journal']) {
        window.__TAURI__.event.listen(name, (e) => window.__captured.push(JSON.stringify(e)));
    }
    const ch = new window.__TAURI__.core.Channel();
    ch.onmessage = (m) => window.__captured.push(JSON.stringify(m));
    window.__TAURI__.core.invoke('subscribe_cashier', { onEvent: ch })
        .then(() => { window.__feed = 'granted'; arguments[0](true); })
        .catch((e) => { window.__feed = String(e); arguments[0](true); });
"#;

/// One app at a time: they share the virtual display.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where screenshots go: `target/e2e-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct App {
    pub client: Client,
    driver: Driver,
    pub data_dir: tempfile::TempDir,
    pub cashier: fantoccini::wd::WindowHandle,
    pub customer: fantoccini::wd::WindowHandle,
    name: &'static str,
    shot: u32,
    /// Which window WebDriver talks to now (a screenshot switches and
    /// comes back).
    in_customer: bool,
}

/// Labels of shots shared steps take (the register before a shift, an
/// amount typed): saved once per run, not once per scenario.
static SHOT_ONCE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Animations still running that will end (infinite ones, such as the
/// pending pill's pulse, never do and are left out).
const ANIMATING: &str = r#"
    if (typeof document.getAnimations !== 'function') return 0;
    return document.getAnimations().filter((a) => a.playState === 'running'
        && Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity)).length;
"#;

impl App {
    /// Starts the app with extra environment (e.g. a key and an API base).
    pub async fn start(name: &'static str, env: &[(&str, String)]) -> App {
        App::start_in(name, env, tempfile::tempdir().unwrap()).await
    }

    /// The app in TEST mode with the secret `key`, against a simulator of
    /// its own that knows it (kept alive by the caller).
    pub async fn start_test_mode(name: &'static str, key: &str) -> (App, elepay_sim::RunningSim) {
        let sim = elepay_sim::start(
            elepay_sim::SimConfig {
                secret_keys: vec![key.into()],
                ..Default::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let app = App::start(
            name,
            &[
                ("ELEPAY_SECRET_KEY", key.to_owned()),
                ("EASYQR_API_BASE", sim.base_url().to_string()),
            ],
        )
        .await;
        (app, sim)
    }

    /// Starts the app on an existing data folder (a restart).
    pub async fn start_in(
        name: &'static str,
        env: &[(&str, String)],
        data_dir: tempfile::TempDir,
    ) -> App {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("EASYQR_DATA_DIR", data_dir.path())
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env_remove("ELEPAY_SECRET_KEY")
        .env_remove("EASYQR_API_BASE")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Its own process group, so ending it also ends the WebKitWebDriver
        // it starts (an orphaned one would hold the test's output open).
        cmd.process_group(0);
        let driver = Driver(
            cmd.spawn()
                .expect("tauri-driver (cargo install tauri-driver)"),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert("tauri:options".into(), json!({ "application": BIN }));
        let mut client = None;
        for _ in 0..100 {
            // Plain HTTP to the local driver: no TLS stack needed.
            let mut b =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            b.capabilities(caps.clone());
            if let Ok(c) = b.connect(&url).await {
                client = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let client = client.expect("a WebDriver session with the app");
        let (cashier, customer) = find_windows(&client).await;
        let mut app = App {
            client,
            driver,
            data_dir,
            cashier,
            customer,
            name,
            shot: 0,
            in_customer: false,
        };
        app.in_cashier().await;
        app.wait_for("body.ready", "the cashier window to finish loading")
            .await;
        app
    }

    pub async fn in_cashier(&mut self) {
        self.client
            .switch_to_window(self.cashier.clone())
            .await
            .unwrap();
        self.in_customer = false;
    }

    pub async fn in_customer(&mut self) {
        self.client
            .switch_to_window(self.customer.clone())
            .await
            .unwrap();
        self.in_customer = true;
    }

    /// Switches the cashier window's language as its header buttons do
    /// ("ja" or "en"); the customer display always shows both.
    pub async fn set_lang(&mut self, lang: &str) {
        let back = self.in_customer;
        self.in_cashier().await;
        self.client
            .execute(
                "document.querySelector(`.lang-switch button[data-lang='${arguments[0]}']`).click();",
                vec![json!(lang)],
            )
            .await
            .unwrap();
        self.wait_for(&format!("html[lang='{lang}']"), "the language switch")
            .await;
        if back {
            self.in_customer().await;
        }
    }

    /// Waits until neither window is mid-fade or mid-transition, and both
    /// have painted since: a screenshot shows the screen as it rests.
    pub async fn settle(&mut self) {
        let back = self.in_customer;
        for customer in [true, false] {
            if customer {
                self.in_customer().await;
            } else {
                self.in_cashier().await;
            }
            for _ in 0..100 {
                let busy = self.client.execute(ANIMATING, vec![]).await.unwrap();
                if busy.as_u64() == Some(0) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            self.client
                .execute_async(
                    "requestAnimationFrame(() => requestAnimationFrame(() => arguments[0](true)));",
                    vec![],
                )
                .await
                .unwrap();
        }
        if back {
            self.in_customer().await;
        } else {
            self.in_cashier().await;
        }
    }

    /// The cashier window's language now ("ja" or "en"), and whether a
    /// dialog is open there.
    async fn lang(&mut self) -> (String, bool) {
        let back = self.in_customer;
        self.in_cashier().await;
        let lang = self
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or("ja")
            .to_owned();
        let dialog = self
            .client
            .execute("return !!document.querySelector('dialog[open]');", vec![])
            .await
            .unwrap();
        if back {
            self.in_customer().await;
        }
        (lang, dialog == json!(true))
    }

    /// Waits (bounded, polling) for a CSS selector to match.
    pub async fn wait_for(&self, css: &str, what: &str) -> fantoccini::elements::Element {
        for _ in 0..300 {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let shot = self.client.screenshot().await.ok();
        if let Some(png) = shot {
            let _ = std::fs::write(
                artifacts_dir().join(format!("{}-FAILED.png", self.name)),
                png,
            );
        }
        panic!("timed out waiting for {what} ({css})");
    }

    /// Types into the focused page as a cashier would at the keyboard.
    pub async fn keys(&self, text: &str) {
        let target = match self.client.active_element().await {
            Ok(e) => e,
            Err(_) => self.client.find(Locator::Css("body")).await.unwrap(),
        };
        target.send_keys(text).await.unwrap();
    }

    /// Saves screenshots of the whole (virtual) screen as artifacts: what
    /// the cashier and the customer actually see, once animations settle,
    /// in the cashier's language now and then in the other one (a store's
    /// register runs in Japanese), as `{app}-{nn}-{label}-{ja|en}.png`.
    /// Taken from the X server, because WebKitWebDriver's own screenshot
    /// can stall on a window that has not repainted. Answers the first
    /// (current language) screenshot.
    pub async fn shot(&mut self, label: &str) -> Vec<u8> {
        self.shot += 1;
        let stem = format!("{}-{:02}-{label}", self.name, self.shot);
        self.shot_both(&stem).await
    }

    /// A shot a shared step takes (every scenario passes it): saved once
    /// per run as `common-{label}-{lang}.png`, not once per scenario.
    pub async fn shot_once(&mut self, label: &str) {
        {
            let mut taken = SHOT_ONCE.lock().unwrap();
            if taken.iter().any(|l| l == label) {
                return;
            }
            taken.push(label.to_owned());
        }
        self.shot_both(&format!("common-{label}")).await;
    }

    async fn shot_both(&mut self, stem: &str) -> Vec<u8> {
        self.settle().await;
        let (lang, dialog) = self.lang().await;
        let png = screen_png().await;
        std::fs::write(artifacts_dir().join(format!("{stem}-{lang}.png")), &png).unwrap();
        // A dialog's words were chosen when it opened: it is shown in that
        // language only (a scenario opens it again in the other).
        let other = match lang.as_str() {
            "ja" => "en",
            _ => "ja",
        };
        if !dialog {
            self.set_lang(other).await;
            self.settle().await;
            let shot = screen_png().await;
            std::fs::write(artifacts_dir().join(format!("{stem}-{other}.png")), shot).unwrap();
            self.set_lang(&lang).await;
            self.settle().await;
        }
        png
    }

    /// Like [`App::shot`], saved as exactly `{file}.png` (no running
    /// number, the language as it is), for screenshots a test names one
    /// by one.
    pub async fn shot_named(&mut self, file: &str) -> Vec<u8> {
        self.settle().await;
        let png = screen_png().await;
        std::fs::write(artifacts_dir().join(format!("{file}.png")), &png).unwrap();
        png
    }

    /// The text of the element a CSS selector finds now.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    /// Runs `script` in the current window and answers its result.
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// The current window's rectangle on screen (x, y, width, height).
    pub async fn window_rect(&self) -> (u32, u32, u32, u32) {
        let (x, y, w, h) = self.client.get_window_rect().await.unwrap();
        (x as u32, y as u32, w as u32, h as u32)
    }

    /// Calls a Tauri command from the current window; Err carries the
    /// rejection (a CommandError object or Tauri's own message).
    pub async fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let script = r#"
            const [cmd, args, done] = arguments;
            window.__TAURI__.core.invoke(cmd, args)
                .then((ok) => done({ ok: ok ?? null }), (err) => done({ err: err ?? null }));
        "#;
        let out = self
            .client
            .execute_async(script, vec![json!(cmd), args])
            .await
            .unwrap();
        match out.get("ok") {
            Some(v) => Ok(v.clone()),
            None => Err(out.get("err").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Clicks the element a CSS selector finds (it must be there now). A
    /// list the feed redraws between the find and the click leaves a stale
    /// element: find it again, as a cashier's second click would.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            let e = self
                .client
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"));
            match e.click().await {
                Ok(_) => return,
                Err(e) if e.is_stale_element_reference() && tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{css}: {e}"),
            }
        }
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let e = self.client.find(Locator::Css(css)).await.ok()?;
        e.attr(name).await.ok().flatten()
    }

    /// Ends the session and the app; hands back the data folder so a test
    /// can still inspect what the app wrote.
    pub async fn close(self) -> tempfile::TempDir {
        let App {
            client,
            driver,
            data_dir,
            ..
        } = self;
        let _ = client.close().await;
        drop(driver);
        data_dir
    }
}

/// The whole (virtual) screen as a PNG, taken from the X server.
async fn screen_png() -> Vec<u8> {
    let out = tokio::task::spawn_blocking(|| {
        Command::new("import")
            .args(["-window", "root", "png:-"])
            .output()
            .expect("imagemagick's import")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// tauri-driver and everything it started; ended on drop, so a failing
/// test leaves no driver behind either.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is the leader's pid (process_group(0) at spawn).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// The app opens two windows; tell them apart by their page.
async fn find_windows(
    client: &Client,
) -> (fantoccini::wd::WindowHandle, fantoccini::wd::WindowHandle) {
    for _ in 0..100 {
        let handles = client.windows().await.unwrap();
        let mut cashier = None;
        let mut customer = None;
        for h in handles {
            client.switch_to_window(h.clone()).await.unwrap();
            let url = client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            if url.ends_with("cashier.html") {
                cashier = Some(h);
            } else if url.ends_with("customer.html") {
                customer = Some(h);
            }
        }
        if let (Some(a), Some(b)) = (cashier, customer) {
            return (a, b);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the app did not open its cashier and customer windows");
}

/// Runs one end-to-end scenario with an overall deadline, so a stuck
/// WebDriver call fails the test instead of hanging the run.
pub async fn scenario<F: std::future::Future<Output = ()>>(name: &str, f: F) {
    if tokio::time::timeout(Duration::from_secs(240), f)
        .await
        .is_err()
    {
        panic!("end-to-end scenario {name} did not finish in 240 s");
    }
}

/// Decodes every QR code in a region of a PNG screenshot.
pub fn decode_qr(png: &[u8], region: (u32, u32, u32, u32)) -> Vec<String> {
    let full = image::load_from_memory(png).unwrap();
    let (x, y, w, h) = region;
    let w = w.min(full.width().saturating_sub(x));
    let h = h.min(full.height().saturating_sub(y));
    let img = full.crop_imm(x, y, w, h).to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, content)| content))
        .collect()
}

/// Pays a code the way the customer's phone does: the pay page's form.
pub async fn pay_as_customer(code_url: &str, wallet: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(code_url).send().await.unwrap();
    assert!(page.status().is_success(), "pay page: {}", page.status());
    let res = http
        .post(code_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("action=pay&paymentMethod={wallet}"))
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "paying: {}",
        res.status()
    );
}

/// Moves the DEMO simulator's clock (its `/_sim/` control endpoint).
pub async fn advance_sim_clock(sim: &url::Url, ms: i64) {
    let res = reqwest::Client::new()
        .post(sim.join("_sim/clock/advance").unwrap())
        .json(&json!({ "ms": ms }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "advance clock: {}", res.status());
}

/// An element's text as the page holds it (WebDriver's own text is empty
/// for some header elements WebKit deems not shown).
pub async fn text_content(app: &App, css: &str) -> String {
    let script = format!("return document.querySelector({css:?})?.textContent ?? '';");
    app.js(&script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
