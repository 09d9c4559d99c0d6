//! The head-office link in the real app: a store's IT person enrols the
//! register in Settings → Head office with the token the real `easyqr-hq`
//! printed (on a throw-away PostgreSQL); the cashier header shows the link;
//! a payment's webhook goes elepay → HQ → the register; the journal reaches
//! HQ; and the token never comes back out of Rust (no command answer,
//! event, window DOM or log line carries it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_harness;

use std::time::Duration;

use e2e_harness::cashier::{open_shift_at_the_register, sell_paid, tab};
use e2e_harness::*;
use elepay::webhook::SigningSecret;
use serde_json::json;

const KEY: &str = "sk_test_e2eHQlink000000001";
const WEBHOOK_SECRET: &str = "whsec_e2e_hq_link_0001";
const LOCATION: &str = "loc_e2e_shibuya";

#[tokio::test]
async fn a_register_enrolled_in_settings_shows_its_head_office_and_keeps_the_token_in_rust() {
    if !enabled() {
        return;
    }
    let Some(db) = easyqr_test_harness::pg::fresh_db().await else {
        return;
    };
    let _one = SERIAL.lock().await;
    scenario(
        "a_register_enrolled_in_settings_shows_its_head_office",
        async {
            let hq = easyqr_hq::serve(
                easyqr_hq::Config {
                    pool_size: 4,
                    ..easyqr_hq::Config::new(
                        "127.0.0.1:0".parse().unwrap(),
                        db.clone(),
                        vec![SigningSecret::new(WEBHOOK_SECRET)],
                    )
                },
                easyqr_hq::system_clock(),
            )
            .await
            .unwrap();
            let hq_url = format!("http://{}", hq.addr);
            let pool = easyqr_hq::db::pool(&db, 2).unwrap();
            easyqr_hq::enrol::add_store(&pool, LOCATION, "渋谷店")
                .await
                .unwrap();
            let (mut app, sim) = App::start_test_mode("hqlink", KEY).await;
            // The brand's one webhook URL in elepay's dashboard is HQ's.
            sim.control().add_webhook_endpoint(
                format!("{hq_url}/elepay/webhook").parse().unwrap(),
                WEBHOOK_SECRET,
            );

            app.client.execute_async(CAPTURE, vec![]).await.unwrap();
            assert!(
                app.attr("#hq-pill", "hidden").await.is_some(),
                "no head office, no pill"
            );
            let mut settings = app.invoke("get_settings", json!({})).await.unwrap();
            settings["locationId"] = json!(LOCATION);
            app.invoke("save_settings", json!({ "settings": settings.clone() }))
                .await
                .unwrap();
            let register = settings["registerId"].as_str().unwrap().to_owned();
            let token = easyqr_hq::enrol::enrol(&pool, LOCATION, &register)
                .await
                .unwrap();

            // Settings → Head office, as the store's IT person types it.
            tab(&app, "settings").await;
            let url_field = app.wait_for("#f-hqUrl", "the head-office address").await;
            url_field.send_keys(&hq_url).await.unwrap();
            let token_field = app.wait_for("#f-hqToken", "the enrolment token").await;
            token_field.send_keys(&token).await.unwrap();
            app.click("#hq-enrol").await;
            app.wait_for(
                "#hq-pill.hq-online:not([hidden])",
                "the header to show HQ online",
            )
            .await;
            let enrolled = app.wait_for("#hq-enrolled", "the enrolment line").await;
            assert!(enrolled.text().await.unwrap().contains(&register));
            assert_eq!(
                app.wait_for("#f-hqToken", "the token field")
                    .await
                    .prop("value")
                    .await
                    .unwrap()
                    .as_deref(),
                Some(""),
                "the typed token is cleared"
            );
            app.shot("settings-hq-enrolled").await;

            // A sale; the customer pays; the register says paid and its
            // journal reaches HQ.
            tab(&app, "register").await;
            open_shift_at_the_register(&mut app).await;
            sell_paid(&app, &sim, "1500\u{E007}", "paypay").await;
            app.shot("cashier-paid-hq-online").await;
            let routed = "SELECT count(*) FROM inbox WHERE location_id = $1";
            let c = pool.get().await.unwrap();
            let events: i64 = c.query_one(routed, &[&LOCATION]).await.unwrap().get(0);
            assert!(events > 0, "elepay's webhook went to HQ for this store");
            let mut acked: i64 = 0;
            for _ in 0..200 {
                acked = c
                    .query_one(
                        "SELECT acked_seq FROM registers WHERE register_id = $1",
                        &[&register],
                    )
                    .await
                    .unwrap()
                    .get(0);
                let paid: i64 = c
                    .query_one(
                        "SELECT count(*) FROM attempts WHERE state = 'captured'",
                        &[],
                    )
                    .await
                    .unwrap()
                    .get(0);
                if paid == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(acked > 0, "the journal reached HQ");

            // The token never came back out of Rust.
            let mut seen = String::new();
            for (cmd, args) in [
                ("hq_status", json!({})),
                ("get_settings", json!({})),
                ("app_info", json!({})),
            ] {
                seen.push_str(&app.invoke(cmd, args).await.unwrap().to_string());
            }
            let captured = app
                .client
                .execute("return window.__captured.join('\\n');", vec![])
                .await
                .unwrap();
            seen.push_str(captured.as_str().unwrap());
            assert!(
                seen.contains("\"state\":\"online\""),
                "the capture saw the link"
            );
            seen.push_str(&app.client.source().await.unwrap());
            let secret_part = &token[8..24];
            assert!(!seen.contains(secret_part), "the token reached the window");

            let data = app.close().await;
            for f in std::fs::read_dir(data.path().join("logs")).unwrap() {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                assert!(!text.contains(secret_part), "the token reached a log");
            }
            let settings_file = std::fs::read_to_string(data.path().join("settings.json")).unwrap();
            assert!(!settings_file.contains(secret_part));
            let stored: serde_json::Value = serde_json::from_str(&settings_file).unwrap();
            assert_eq!(
                stored["hq"]["mode"], "test",
                "the enrolment reports the test ledger"
            );
            hq.task.abort();
        },
    )
    .await;
}
