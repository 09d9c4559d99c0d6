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
}

impl App {
    /// Starts the app with extra environment (e.g. a key and an API base).
    pub async fn start(name: &'static str, env: &[(&str, String)]) -> App {
        App::start_in(name, env, tempfile::tempdir().unwrap()).await
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
    }

    pub async fn in_customer(&mut self) {
        self.client
            .switch_to_window(self.customer.clone())
            .await
            .unwrap();
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

    /// Saves a screenshot of the whole (virtual) screen as an artifact:
    /// what the cashier and the customer actually see. Taken from the X
    /// server, because WebKitWebDriver's own screenshot can stall on a
    /// window that has not repainted.
    pub async fn shot(&mut self, label: &str) -> Vec<u8> {
        self.shot += 1;
        let png = screen_png().await;
        let file = artifacts_dir().join(format!("{}-{:02}-{label}.png", self.name, self.shot));
        std::fs::write(file, &png).unwrap();
        png
    }

    /// Like [`App::shot`], saved as exactly `{file}.png` (no running
    /// number), for screenshots a test names one by one.
    pub async fn shot_named(&mut self, file: &str) -> Vec<u8> {
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

    /// Clicks the element a CSS selector finds (it must be there now).
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
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
