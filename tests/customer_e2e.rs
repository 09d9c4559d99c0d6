//! The customer display end to end on the real app (issue 23): one sale on
//! it at a time (a second Enter never swaps the customer's QR; only the
//! cashier's cancel frees it), every screen decided in Rust and drawn as
//! sent, expired and cancelled told apart by icon, expiry heard, a TEST
//! ribbon in TEST mode, no word broken, wallet names readable at 1 m.
//! Screenshots: target/e2e-artifacts/customer-*.png (JA and EN).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_harness;

use e2e_harness::cashier::*;
use e2e_harness::*;
use serde_json::{json, Value};

/// The QR on the customer display, decoded from the screen.
async fn qr_on_display(app: &mut App, label: &str) -> Vec<String> {
    app.in_customer().await;
    app.wait_for(
        "body[data-screen='payment'][data-qr-painted]",
        "the QR painted",
    )
    .await;
    let region = app.window_rect().await;
    let png = app.shot(label).await;
    decode_qr(&png, region)
}

/// Counts the tones the page starts (sound.js opens an AudioContext per
/// sound), so a test can hear the display.
const COUNT_TONES: &str = r#"
    window.__tones = 0;
    const Real = window.AudioContext || window.webkitAudioContext;
    window.AudioContext = function (...a) { window.__tones += 1; return new Real(...a); };
"#;

/// 「いらっしゃいませ」 on one line, at the window's real size.
const WELCOME_LINES: &str = r#"
    const ja = document.querySelector('.welcome .ja');
    const range = document.createRange();
    range.selectNodeContents(ja);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    return { text: ja.textContent, lines: tops.size, fits: ja.scrollWidth <= ja.parentElement.clientWidth + 1 };
"#;

#[tokio::test]
async fn a_second_enter_never_swaps_the_customers_qr() {
    if !enabled() {
        return;
    }
    let _one = SERIAL.lock().await;
    scenario("a_second_enter_never_swaps_the_customers_qr", async {
        let mut app = App::start("customer", &[]).await;
        // The limits the register presents are the rules' own.
        let info = app.invoke("app_info", json!({})).await.unwrap();
        assert_eq!(
            info["limits"],
            serde_json::to_value(easyqr_pos_core::InputLimits::current()).unwrap()
        );
        assert_eq!(info["limits"]["amountMax"], elepay::Amount::MAX);

        // Idle, at the window's real size: the welcome is one word on one line.
        app.in_customer().await;
        app.wait_for("body[data-screen='idle']", "the idle screen").await;
        app.js(COUNT_TONES).await;
        let welcome = app.js(WELCOME_LINES).await;
        assert_eq!(welcome["text"], "いらっしゃいませ");
        assert_eq!(welcome["lines"], 1, "{welcome}");
        assert_eq!(welcome["fits"], true, "{welcome}");
        app.shot("idle").await;

        // The first sale's QR is up.
        let first = charge_1280(&mut app).await;
        assert_eq!(first["retryable"], false, "a pending code is not retried");
        let first_url = first["codeUrl"].as_str().unwrap().to_owned();
        assert_eq!(qr_on_display(&mut app, "payment").await, vec![first_url.clone()]);
        // Wallet names readable at 1 m.
        let chip = app
            .js("const li = document.querySelector('#wallets li'); return li ? parseFloat(getComputedStyle(li).fontSize) : null;")
            .await;
        if let Some(px) = chip.as_f64() {
            assert!(px >= 28.0, "wallet chips at {px}px");
        }

        // A second sale and Enter while the customer is scanning: refused
        // in Rust, said to the cashier, the customer's QR untouched.
        app.in_cashier().await;
        app.keys("500").await;
        app.keys("\u{E007}").await;
        app.wait_for("#charge-error:not([hidden])", "the refusal under Charge")
            .await;
        let said = app.text("#charge-error").await;
        assert!(said.contains("QR"), "{said}");
        assert_eq!(newest_attempt(&mut app).await["id"], first["id"]);
        let refused = app
            .invoke("charge", json!({ "amount": 500 }))
            .await
            .unwrap_err();
        assert_eq!(refused["code"], "code_showing", "{refused}");
        assert_eq!(refused["attemptId"], first["id"]);
        assert_eq!(
            qr_on_display(&mut app, "second-enter-refused").await,
            vec![first_url.clone()],
            "the customer still sees the first QR"
        );
        let painted = app.attr("body", "data-qr-painted").await;
        assert_eq!(painted.as_deref(), first["codeId"].as_str());

        // Only the cashier's explicit cancel frees the display.
        app.in_cashier().await;
        app.client
            .execute("document.activeElement?.blur();", vec![])
            .await
            .unwrap();
        app.keys("\u{E00C}").await; // Esc: cancel, asks first
        app.wait_for("#confirm[open]", "the cancel confirmation").await;
        app.keys("y").await;
        app.wait_for("#pay-active[data-status='cancelled']", "cancelled")
            .await;
        // The refusal named that code: with it cancelled, it no longer holds.
        app.wait_for("#charge-error[hidden]", "the refusal gone").await;
        let closed = newest_attempt(&mut app).await;
        assert_eq!((closed["state"].clone(), closed["retryable"].clone()), (json!("closed"), json!(true)));
        app.in_customer().await;
        app.wait_for("body[data-screen='cancelled']", "the display to say cancelled")
            .await;
        let cancelled_icon = icon(&app).await;
        app.shot("cancelled").await;
        // Rust sends the display back to idle after the outcome's seconds.
        app.wait_for("body[data-screen='idle']", "idle again").await;

        // Now the next sale goes up (the ¥500 still typed).
        app.in_cashier().await;
        app.client
            .execute("document.activeElement?.blur();", vec![])
            .await
            .unwrap();
        app.keys("\u{E007}").await;
        app.wait_for("#pay-active[data-status='pending']", "the next sale pending")
            .await;
        let second = newest_attempt(&mut app).await;
        assert_eq!(second["amount"], 500);
        let second_url = second["codeUrl"].as_str().unwrap().to_owned();
        assert_eq!(
            qr_on_display(&mut app, "next-sale").await,
            vec![second_url.clone()]
        );

        // It expires unpaid: a clock, not a cross, and a tone.
        let tones_before = app.js("return window.__tones;").await.as_u64().unwrap();
        let sim = sim_url(&mut app).await;
        advance_sim_clock(&sim, 10 * 60_000 + 1_000).await;
        app.in_customer().await;
        app.wait_for("body[data-screen='expired']", "the display to say expired")
            .await;
        let expired_icon = icon(&app).await;
        assert_ne!(expired_icon, cancelled_icon, "expired and cancelled differ in shape");
        assert_ne!(expired_icon["color"], cancelled_icon["color"]);
        let tones = app.js("return window.__tones;").await.as_u64().unwrap();
        assert!(tones > tones_before, "expiry makes a sound");
        app.shot("expired").await;
        app.in_cashier().await;
        let expired = newest_attempt(&mut app).await;
        assert_eq!((expired["state"].clone(), expired["retryable"].clone()), (json!("expired"), json!(true)));
        app.wait_for("#pay-retry:not([hidden])", "Try again, as Rust allows")
            .await;

        // Tried again and paid: the thank-you screen.
        app.click("#pay-retry").await;
        app.wait_for("#pay-active[data-status='pending']", "the retry pending")
            .await;
        let retried = newest_attempt(&mut app).await;
        app.in_customer().await;
        app.wait_for("body[data-screen='payment'][data-qr-painted]", "the retried QR")
            .await;
        pay_as_customer(retried["codeUrl"].as_str().unwrap(), "paypay").await;
        app.wait_for("body[data-screen='paid']", "the display to say paid")
            .await;
        app.shot("paid").await;
        drop(app.close().await);
    })
    .await;
}

/// The outcome icon as drawn: its marks and colour.
async fn icon(app: &App) -> Value {
    app.js(
        r#"const i = document.querySelector('#outcome-icon');
           const b = getComputedStyle(i, '::before'), a = getComputedStyle(i, '::after');
           return { icon: i.dataset.icon, color: getComputedStyle(i).color,
                    before: [b.width, b.height, b.transform], after: [a.width, a.height, a.transform] };"#,
    )
    .await
}

#[tokio::test]
async fn the_test_mode_display_wears_a_test_ribbon() {
    if !enabled() {
        return;
    }
    let _one = SERIAL.lock().await;
    scenario("the_test_mode_display_wears_a_test_ribbon", async {
        const KEY: &str = "sk_test_customerdisplay0001";
        let (mut app, _sim) = App::start_test_mode("customer-test", KEY).await;
        app.in_customer().await;
        let ribbon = app
            .wait_for(
                "#demo-ribbon[data-mode='test']:not([hidden])",
                "the TEST ribbon",
            )
            .await;
        let text = ribbon.text().await.unwrap();
        assert!(text.contains("TEST") && text.contains("テスト"), "{text}");
        charge_1280(&mut app).await;
        app.in_customer().await;
        app.wait_for("body[data-screen='payment'][data-qr-painted]", "the QR")
            .await;
        app.wait_for(
            "#demo-ribbon[data-mode='test']:not([hidden])",
            "the ribbon over the QR screen",
        )
        .await;
        app.shot("test-ribbon").await;
        drop(app.close().await);
    })
    .await;
}
