//! The elepay secret key never leaves Rust: not in a command answer, an
//! event, a window's DOM or the log files. The app runs in TEST mode with a
//! key from the environment against a simulator started here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_harness;

use e2e_harness::cashier::sell_paid;
use e2e_harness::*;
use serde_json::json;

const KEY: &str = "sk_test_e2eSECRETvalue7Q4Z";
/// A fragment that would show even if the key were cut or reformatted.
const FRAGMENT: &str = "e2eSECRET";

/// The environment of every process the app started (WebKit's web and
/// network processes), found through the app's own process by its unique
/// data folder.
fn children_environments(data_dir: &std::path::Path) -> Vec<(i32, Vec<u8>)> {
    let marker = format!("EASYQR_DATA_DIR={}", data_dir.display());
    let procs: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid ...": comm may hold spaces.
            let after = &stat[stat.rfind(')')? + 2..];
            let ppid = after.split(' ').nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let app = procs
        .iter()
        .map(|(pid, _)| *pid)
        .find(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            exe.ends_with("easyqr-pos") && env.split(|b| *b == 0).any(|v| v == marker.as_bytes())
        })
        .expect("the app's process");
    let mut family = vec![app];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(
            procs
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    family[1..]
        .iter()
        .map(|pid| {
            (
                *pid,
                std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_secret_key_never_reaches_a_window_or_a_log() {
    if !enabled() {
        return;
    }
    let _one = SERIAL.lock().await;
    scenario("the_secret_key_never_reaches_a_window_or_a_log", async {
        let (mut app, sim) = App::start_test_mode("secret", KEY).await;
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
        app.invoke("open_shift", json!({ "cashier": "佐藤" }))
            .await
            .unwrap();
        sell_paid(&app, &sim, "980\u{E007}", "linepay").await;
        // The key was in the app's environment at launch; none of the
        // processes it started (WebKit's) inherited it.
        let children = children_environments(app.data_dir.path());
        assert!(!children.is_empty(), "the app runs WebKit child processes");
        for (pid, env) in &children {
            assert!(
                !env.windows(FRAGMENT.len())
                    .any(|w| w == FRAGMENT.as_bytes()),
                "process {pid} started by the app inherited the key"
            );
        }
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

        let mut captured = Vec::new();
        for window in [app.cashier.clone(), app.customer.clone()] {
            app.client.switch_to_window(window).await.unwrap();
            let text = app
                .client
                .execute(
                    "return [window.__feed, window.__captured.join('\\n')];",
                    vec![],
                )
                .await
                .unwrap();
            let feed = text[0].as_str().unwrap().to_owned();
            let events = text[1].as_str().unwrap().to_owned();
            seen.push_str(&events);
            seen.push_str(&app.client.source().await.unwrap());
            captured.push((feed, events));
        }
        let (cashier_feed, cashier_events) = &captured[0];
        let (customer_feed, customer_events) = &captured[1];
        assert_eq!(cashier_feed, "granted");
        assert!(
            cashier_events.contains("\"kind\":\"attempt\"") && cashier_events.contains("orderNo"),
            "the cashier feed carried the payment: {cashier_events}"
        );
        // The customer window may not open the cashier feed, and no event
        // it can listen to carries cashier detail.
        assert!(
            customer_feed.contains("not allowed"),
            "customer window opened the cashier feed: {customer_feed}"
        );
        assert!(
            customer_events.contains("\"screen\":\"paid\""),
            "the customer capture worked: {customer_events}"
        );
        for detail in ["orderNo", "chargeId", "keyLast4", "\"kind\"", "online"] {
            assert!(
                !customer_events.contains(detail),
                "the customer window heard cashier detail {detail}: {customer_events}"
            );
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
