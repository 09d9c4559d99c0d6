//! DEMO on the LAN (issue 22 point 10): the pay page alone on its own
//! listener; the API and the `/_sim/` controls only on the main one.

use std::net::SocketAddr;

use easyqr_test_harness::api::{config, Api};
use serde_json::json;

#[tokio::test]
async fn the_pay_page_listener_serves_the_pay_page_and_nothing_else() {
    let cfg = elepay_sim::SimConfig {
        pay_page_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        ..config()
    };
    let sim = elepay_sim::start(cfg, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("started");
    let pay = sim.pay_page_addr().expect("a pay page listener");
    assert_ne!(pay, sim.local_addr());
    let api = Api::new(sim.base_url().as_str());
    let lan = Api::new(&format!("http://{pay}"));

    let code = api.create_code("LAN-0001", 1280).await;
    let code_url = code["codeUrl"].as_str().expect("codeUrl");
    assert!(
        code_url.starts_with(&format!("http://{pay}/pay/code/")),
        "{code_url}"
    );
    let page = lan.send(lan.client.get(code_url)).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("¥1,280"), "{}", page.text);

    let id = code["id"].as_str().expect("id");
    for r in [
        lan.get("/_sim/codes").await,
        lan.get("/_sim/clock").await,
        lan.post(
            &format!("/_sim/codes/{id}/pay"),
            &json!({"paymentMethod": "paypay"}),
        )
        .await,
        lan.post("/codes", &json!({"amount": 1, "orderNo": "LAN-0002"}))
            .await,
        lan.get(&format!("/codes/{id}")).await,
        lan.get("/charges").await,
    ] {
        assert_eq!(r.status, 404, "{}", r.text);
    }
    // The controls and the API are still there on the main listener.
    assert_eq!(api.get("/_sim/codes").await.status, 200);
    let still = api.get(&format!("/codes/{id}")).await;
    assert_eq!(
        still.json["status"], "pending",
        "nobody paid it from the LAN"
    );
}
