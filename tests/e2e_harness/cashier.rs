//! Steps of the cashier window the end-to-end scenarios share: reading
//! the app's state through its commands, switching tabs, opening a shift at
//! the register, ringing up a sale.

use serde_json::{json, Value};

use super::App;

/// The simulator's base URL, as the app reports it in DEMO mode.
pub async fn sim_url(app: &mut App) -> url::Url {
    app.in_cashier().await;
    let info = app.invoke("app_info", json!({})).await.unwrap();
    assert_eq!(info["mode"], "demo");
    url::Url::parse(info["simulatorUrl"].as_str().unwrap()).unwrap()
}

/// The newest attempt in the ledger, as the log lists it.
pub async fn newest_attempt(app: &mut App) -> Value {
    app.in_cashier().await;
    let list = app
        .invoke("recent_attempts", json!({ "limit": 1 }))
        .await
        .unwrap();
    list[0].clone()
}

/// Switches the cashier window to a tab by clicking it.
pub async fn tab(app: &App, name: &str) {
    app.click(&format!("#tab-{name}")).await;
    // Keys go to the page again, not to the tab button.
    app.client
        .execute("document.activeElement?.blur();", vec![])
        .await
        .unwrap();
}

/// No sale outside a shift: with none open, the Register tab asks for the
/// cashier's name in place; Enter there opens the shift (and rings up
/// nothing).
pub async fn open_shift_at_the_register(app: &mut App) {
    app.in_cashier().await;
    app.wait_for("body[data-shift-open]", "the shift state")
        .await;
    if app.attr("body", "data-shift-open").await.as_deref() == Some("true") {
        return;
    }
    let name = app
        .wait_for(
            "#shift-gate:not([hidden]) #gate-cashier",
            "the register's open-shift form",
        )
        .await;
    app.shot_once("cashier-no-shift").await;
    name.click().await.unwrap();
    name.send_keys("佐藤\u{E007}").await.unwrap();
    app.wait_for("body[data-shift-open='true']", "the shift to be open")
        .await;
    assert!(app.attr("#shift-gate", "hidden").await.is_some());
    let st = app.invoke("shift_status", json!({})).await.unwrap();
    assert_eq!(st["open"]["shift"]["cashier"], "佐藤");
    assert_eq!(
        st["open"]["unresolved"]["count"], 0,
        "Enter rang up nothing"
    );
    app.client
        .execute("document.activeElement?.blur();", vec![])
        .await
        .unwrap();
}

/// Rings up ¥1,280 with the keyboard and waits for the QR (opening a shift
/// at the register first when none is open).
pub async fn charge_1280(app: &mut App) -> Value {
    open_shift_at_the_register(app).await;
    app.keys("1280").await;
    let shown = app
        .client
        .find(fantoccini::Locator::Css("#amount"))
        .await
        .unwrap();
    assert_eq!(shown.text().await.unwrap(), "¥1,280");
    app.shot_once("cashier-amount").await;
    app.keys("\u{E007}").await; // Enter = charge
    app.wait_for(
        "#pay-active[data-status='pending']",
        "the payment to be pending",
    )
    .await;
    newest_attempt(app).await
}

/// Rings up `keys` (digits then Enter) on the open register, has the
/// customer pay the newest code with `wallet` through the simulator's
/// controls, and waits until the cashier says paid.
pub async fn sell_paid(app: &App, sim: &elepay_sim::RunningSim, keys: &str, wallet: &str) {
    app.keys(keys).await;
    app.wait_for(
        "#pay-active[data-status='pending']",
        "the payment to be pending",
    )
    .await;
    let code = sim.control().codes()[0]["id"].as_str().unwrap().to_owned();
    sim.control().pay(&code, wallet).unwrap();
    app.wait_for("#pay-active[data-status='paid']", "the cashier to say paid")
        .await;
}
