//! The elepay secret key never leaves Rust: not in a command answer, an
//! event, a window's DOM or the log files. The app runs in TEST mode with a
//! key from the environment against a simulator started here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_harness;

use e2e_harness::*;
use serde_json::json;

const KEY: &str = "sk_test_e2eSECRETvalue7Q4Z";
/// A fragment that would show even if the key were cut or reformatted.
const FRAGMENT: &str = "e2eSECRET";

/// Records every event a window receives (command answers are collected
/// by the test itself).
const CAPTURE: &str = r#"
    window.__captured = [];
    for (const name of ['cashier', 'customer', 'connectivity']) {
        window.__TAURI__.event.listen(name, (e) => window.__captured.push(JSON.stringify(e)));
    }
    arguments[0](true);
"#;

#[tokio::test]
async fn the_secret_key_never_reaches_a_window_or_a_log() {
    if !enabled() {
        return;
    }
    let _one = SERIAL.lock().await;
    scenario("the_secret_key_never_reaches_a_window_or_a_log", async {
        let sim = elepay_sim::start(
            elepay_sim::SimConfig {
                secret_keys: vec![KEY.into()],
                ..Default::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let mut app = App::start(
            "secret",
            &[
                ("ELEPAY_SECRET_KEY", KEY.to_owned()),
                ("EASYQR_API_BASE", sim.base_url().to_string()),
            ],
        )
        .await;
        for window in [app.customer.clone(), app.cashier.clone()] {
            app.client.switch_to_window(window).await.unwrap();
            app.client.execute_async(CAPTURE, vec![]).await.unwrap();
        }
        // Every command answer the cashier window can get.
        let mut seen = String::new();
        let info = app.invoke("app_info", json!({})).await.unwrap();
        seen.push_str(&info.to_string());
        assert_eq!(info["mode"], "test");
        assert_eq!(info["key"]["set"], true);
        assert_eq!(info["key"]["last4"], "7Q4Z", "only the last four are shown");
        app.keys("980\u{E007}").await;
        app.wait_for(
            "#pay-active[data-status='pending']",
            "the payment to be pending",
        )
        .await;
        let code = sim.control().codes()[0]["id"].as_str().unwrap().to_owned();
        sim.control().pay(&code, "linepay").unwrap();
        app.wait_for("#pay-active[data-status='paid']", "the cashier to say paid")
            .await;
        for (cmd, args) in [
            ("get_settings", json!({})),
            ("recent_attempts", json!({ "limit": 10 })),
            ("list_monitors", json!({})),
            // A wrong key: its error must not echo either key back.
            ("set_key", json!({ "key": "sk_test_wrongWRONGwrong000" })),
        ] {
            let answer = match app.invoke(cmd, args).await {
                Ok(v) | Err(v) => v,
            };
            seen.push_str(&answer.to_string());
        }
        app.shot("secret-cashier").await;

        for window in [app.cashier.clone(), app.customer.clone()] {
            app.client.switch_to_window(window).await.unwrap();
            let captured = app
                .client
                .execute("return window.__captured.join('\\n');", vec![])
                .await
                .unwrap();
            seen.push_str(captured.as_str().unwrap());
            seen.push_str(&app.client.source().await.unwrap());
        }
        assert!(
            seen.contains("linepay") || seen.contains("LINE Pay"),
            "the capture worked"
        );
        assert!(
            seen.contains("\"last4\":\"7Q4Z\""),
            "the capture saw app_info"
        );
        assert!(!seen.contains(FRAGMENT), "the key reached a window");
        assert!(!seen.contains("wrongWRONG"), "a typed key was echoed back");

        let data = app.close().await;
        let data_dir = data.path();
        let logs = std::fs::read_dir(data_dir.join("logs")).unwrap();
        let mut log_bytes = 0;
        for f in logs {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            log_bytes += text.len();
            assert!(!text.contains(FRAGMENT), "the key reached a log file");
            assert!(!text.contains("wrongWRONG"));
        }
        assert!(log_bytes > 0, "the app wrote a log");
    })
    .await;
}
