//! The shift lead's day in the real app: open a shift, sell, refund (the
//! refund held in progress by elepay's stopped clock, then made), the
//! transactions list and its filters, and the Z report after the close.
//! Run as tests/e2e.rs is (scripts/test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_harness;

use e2e_harness::cashier::*;
use e2e_harness::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_shift_from_opening_to_z_report_with_a_refund() {
    if !enabled() {
        return;
    }
    let _one = SERIAL.lock().await;
    scenario("a_shift_from_opening_to_z_report_with_a_refund", async {
        // The register's clock is set to New York; the store is in Japan.
        let mut app = App::start("shift", &[("TZ", "America/New_York".to_owned())]).await;
        // The store's language: the dialogs below are shot in Japanese.
        app.set_lang("ja").await;
        // Shift tab (F3): no shift yet; open one by name.
        tab(&app, "shift").await;
        app.wait_for("#shift-open:not([hidden])", "the open-shift form")
            .await
            .click()
            .await
            .unwrap();
        let name = app.wait_for("#shift-cashier", "the cashier name").await;
        name.click().await.unwrap();
        name.send_keys("佐藤\u{E007}").await.unwrap();
        app.wait_for("#report[data-kind='X']", "the X report").await;
        app.shot("shift-open").await;

        // A sale on the register (F1), paid by the customer.
        tab(&app, "register").await;
        let a = charge_1280(&mut app).await;
        pay_as_customer(a["codeUrl"].as_str().unwrap(), "paypay").await;
        app.wait_for("#pay-active[data-status='paid']", "the cashier to say paid")
            .await;

        // Transactions (F2): the payment, refunded in part from the list.
        tab(&app, "transactions").await;
        let refund_button = app.wait_for(".tx-refund", "the refund button").await;
        // Times on screen are the store's (JST), not the register's zone.
        let paid = newest_attempt(&mut app).await;
        let at = paid["paidTime"].as_i64().unwrap_or(paid["createdAt"].as_i64().unwrap());
        let secs = (at / 1000 + 9 * 3600).rem_euclid(86_400);
        let jst = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        let shown = app.client.find(fantoccini::Locator::Css("#tx-body tr time")).await.unwrap();
        assert_eq!(shown.text().await.unwrap(), jst, "store time, not New York's");
        refund_button.click().await.unwrap();
        let amount = app
            .wait_for("#refund[open] #refund-amount", "the refund dialog")
            .await;
        assert_eq!(amount.prop("value").await.unwrap().as_deref(), Some("1280"));
        amount.clear().await.unwrap();
        amount.send_keys("280").await.unwrap();
        app.shot("refund-dialog").await;
        app.click("#refund-ok").await;
        // Refunds are confirmed once more, naming the amount.
        let confirm = app.wait_for("#confirm[open] #confirm-title", "the refund confirmation").await;
        assert!(confirm.text().await.unwrap().contains("¥280"));
        // elepay's clock stands still, so the refund stays in progress
        // while the screens are checked.
        let sim = sim_url(&mut app).await;
        let scale: Value = reqwest::get(sim.join("_sim/clock").unwrap())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        set_sim_clock_scale(&sim, 0.0).await;
        // Y refunds; Enter, the default of a destructive question, would not.
        app.keys("y").await;
        // The list reloads with the refund in it: the sale reads 一部返金,
        // and the refund column says ¥280 in progress, as Rust's log row
        // (the figure the X report counts) and the sale's history say.
        let row = r#"
            const tr = document.querySelector('#tx-body tr');
            return {
                state: tr?.querySelector('.pill')?.textContent ?? '',
                refunded: tr?.querySelector('td.refunded .refund-amount')?.textContent ?? '',
                inProgress: Number(tr?.querySelector('td.refunded .refund-progress')?.dataset.inProgress ?? 0),
            };
        "#;
        let mut shown = json!(null);
        for _ in 0..200 {
            // Read in the page: the list is re-rendered under our feet.
            shown = app.js(row).await;
            if shown["refunded"] == "¥280" && shown["inProgress"] == 280 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            shown,
            json!({ "state": "一部返金", "refunded": "¥280", "inProgress": 280 })
        );
        let rust = app
            .invoke("transaction_log", json!({ "filter": {}, "limit": 1 }))
            .await
            .unwrap();
        assert_eq!(
            (&rust[0]["refunded"], &rust[0]["refundInProgress"], &rust[0]["refundExtent"]),
            (&json!(280), &json!(280), &json!("part"))
        );
        let x = app.invoke("shift_status", json!({})).await.unwrap();
        assert_eq!(x["open"]["refunds"]["inProgress"]["amount"], 280, "{x}");
        app.click(".tx-details").await;
        let last = app
            .wait_for("#tx-timeline li:last-child", "the sale's history")
            .await
            .text()
            .await
            .unwrap();
        let progress = app.text("#tx-body td.refunded .refund-progress").await;
        assert!(
            last.contains(&progress) && last.contains("返金"),
            "the history ({last}) and the list ({progress}) agree"
        );
        app.shot("transactions-refund-in-progress").await;
        app.click(".tx-details").await;
        // elepay's clock runs again: the refund is made, and the list says
        // so without a reload.
        set_sim_clock_scale(&sim, scale["scale"].as_f64().unwrap()).await;
        for _ in 0..200 {
            shown = app.js(row).await;
            if shown["inProgress"] == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(shown["inProgress"], 0, "{shown}");
        let rust = app
            .invoke("transaction_log", json!({ "filter": {}, "limit": 1 }))
            .await
            .unwrap();
        assert_eq!((&rust[0]["refunded"], &rust[0]["refundInProgress"]), (&json!(280), &json!(0)));
        // The day filters are typed as the store writes dates, yyyy/mm/dd,
        // and shown as typed; Rust reads them, and names the one it cannot.
        let to = app.wait_for("#f-to", "the Until filter").await;
        to.send_keys("2026/13/01\u{E007}").await.unwrap();
        app.wait_for("#f-to[aria-invalid='true']", "the bad day refused by name")
            .await;
        let refusal = app.text("#tx-status").await;
        assert!(refusal.contains("YYYY/MM/DD"), "{refusal}");
        to.clear().await.unwrap();
        // Today in the store (Japan), as the shift lead types it.
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let today = easyqr_ledger::local_time(now_ms, 540)[..10].replace('-', "/");
        let from = app.wait_for("#f-from", "the From filter").await;
        from.send_keys(&today).await.unwrap();
        app.click("#tx-filter button[type='submit']").await;
        app.wait_for("#f-to:not([aria-invalid])", "the filter read").await;
        app.wait_for("#tx-empty[hidden]", "today's sale listed").await;
        // Not clipped: the whole date fits its field.
        let fits = app
            .js("const e = document.querySelector('#f-from'); return e.scrollWidth <= e.clientWidth;")
            .await;
        assert_eq!(fits, json!(true), "the day filter is clipped");
        assert_eq!(from.prop("value").await.unwrap().as_deref(), Some(today.as_str()));
        app.client.execute("document.activeElement?.blur();", vec![]).await.unwrap();
        app.shot("transactions").await;
        from.clear().await.unwrap();
        // The sale's history from the journal, with the refund in it.
        app.wait_for(".tx-details", "the order number link")
            .await
            .click()
            .await
            .unwrap();
        app.wait_for("#tx-timeline li[data-kind='refund.requested']", "the refund in the sale's history")
            .await;
        let steps = app
            .client
            .execute(
                "return [...document.querySelectorAll('#tx-timeline li')].map(li => li.dataset.kind);",
                vec![],
            )
            .await
            .unwrap();
        // elepay completes the refund a few seconds later (pending, then
        // refunded), so one or two refund.changed rows end the list.
        let steps: Vec<String> = serde_json::from_value(steps).unwrap();
        // The sale's tax by rate is journaled with it, a refund's with the
        // refund.
        assert_eq!(
            steps[..8],
            [
                "sale.created", "sale.taxed", "attempt.reserved", "attempt.changed", "attempt.changed",
                "attempt.changed", "refund.requested", "refund.taxed",
            ],
            "{steps:?}"
        );
        assert!(
            (9..=10).contains(&steps.len()) && steps[8..].iter().all(|k| k == "refund.changed"),
            "{steps:?}"
        );
        // Shown in words, with Rust's figures.
        let taxed = app.text("#tx-timeline li[data-kind='sale.taxed']").await;
        assert!(taxed.contains("¥1,280"), "{taxed}");
        // How the payment was learnt, in plain words.
        let learnt = app
            .js("return [...document.querySelectorAll(\"#tx-timeline li[data-kind='attempt.changed']\")].map((li) => li.textContent).join('\\n');")
            .await;
        let learnt = learnt.as_str().unwrap();
        assert!(
            learnt.contains("elepayに照会して確認") || learnt.contains("elepayからの通知"),
            "{learnt}"
        );
        assert!(!learnt.contains("poll") && !learnt.contains("webhook"), "{learnt}");
        app.shot("transaction-details").await;
        // Print receipt with no printer set: Rust lays the receipt out and
        // the lines go to the system print dialog (window.print is recorded
        // here instead, since a modal GTK dialog would stop the test).
        app.client
            .execute(
                "window.__printed = []; window.print = () => { window.__printed.push({ cls: document.body.className, text: document.querySelector('#print-view').textContent }); window.dispatchEvent(new Event('afterprint')); };",
                vec![],
            )
            .await
            .unwrap();
        app.wait_for(".tx-receipt", "the receipt button").await.click().await.unwrap();
        app.wait_for("#receipt-dlg[open]", "the receipt dialog").await;
        app.click("#rcp-print").await;
        let mut printed = json!([]);
        for _ in 0..100 {
            printed = app.client.execute("return window.__printed;", vec![]).await.unwrap();
            if !printed.as_array().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(printed.as_array().unwrap().len(), 1, "{printed}");
        assert!(printed[0]["cls"].as_str().unwrap().contains("printing"));
        let receipt = printed[0]["text"].as_str().unwrap();
        // DEMO has no registration number: a plain receipt that says so.
        for want in ["¥1,280", a["orderNo"].as_str().unwrap(), "PayPay", "適格請求書ではありません"] {
            assert!(receipt.contains(want), "{want} not on the receipt: {receipt}");
        }
        // A time range before the sale lists nothing; clearing it lists it again.
        app.client
            .execute(
                "document.querySelector('#f-to').value = '2020/01/01'; document.querySelector('#tx-filter').requestSubmit();",
                vec![],
            )
            .await
            .unwrap();
        app.wait_for("#tx-empty:not([hidden])", "an empty list for an earlier time range")
            .await;
        app.client
            .execute(
                "document.querySelector('#f-to').value = ''; document.querySelector('#tx-filter').requestSubmit();",
                vec![],
            )
            .await
            .unwrap();
        app.wait_for("#tx-empty[hidden]", "the sale listed again").await;

        // Shift (F3): reconcile, then close with a Z report.
        tab(&app, "shift").await;
        app.wait_for("#shift-actions:not([hidden])", "the shift actions")
            .await;
        app.click("#shift-reconcile").await;
        app.wait_for("#recon:not([hidden])", "the reconciliation result")
            .await;
        app.click("#shift-close").await;
        app.wait_for("#confirm[open]", "the close confirmation")
            .await;
        app.keys("y").await;
        app.wait_for("#report[data-kind='Z']", "the Z report").await;
        // Reconciled at close: the ledger matches the simulator.
        app.wait_for("#recon:not([hidden]) #recon-summary", "reconciliation at close")
            .await;
        let title = app
            .client
            .find(fantoccini::Locator::Css("#report-title"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(title.contains("No.1") || title.contains("no. 1"), "{title}");
        let body = app
            .client
            .find(fantoccini::Locator::Css("#report-body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("¥1,280"), "paid: {body}");
        let net = app
            .client
            .find(fantoccini::Locator::Css("#report-headline dd[data-figure='report.h.net']"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(net, "¥1,000", "net sales after the ¥280 refund");
        // The journal head at the close, on screen (and so on the print).
        let z = app.invoke("shift_status", json!({})).await.unwrap();
        let printed_head = z["past"][0]["journalHead"]["printed"].as_str().unwrap().to_owned();
        let head = app
            .wait_for("#report-head:not([hidden])", "the journal head on the Z")
            .await
            .text()
            .await
            .unwrap();
        assert!(head.contains(&printed_head), "{head}");
        // One line says what the head is for.
        let hint = app.text("#report-head .head-hint").await;
        assert!(hint.contains("指紋"), "{hint}");
        // After the close the Z report comes first; the next shift's form
        // follows it, its name field empty (not the last cashier's).
        let after_close = app
            .js(r#"
                const z = document.querySelector('#report'), form = document.querySelector('#shift-open');
                return {
                    zFirst: !!(z.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING),
                    name: document.querySelector('#shift-cashier').value,
                    formShown: !form.hidden,
                };
            "#)
            .await;
        assert_eq!(after_close, json!({ "zFirst": true, "name": "", "formShown": true }));
        // The header says no shift is open now.
        app.wait_for("#shift-who.none", "the header without a shift").await;
        // Order numbers are never broken across lines.
        let orders = app
            .js(r#"
                return [...document.querySelectorAll('#report-meta .order-no')].map((e) => {
                    const r = document.createRange();
                    r.selectNodeContents(e);
                    return [e.textContent, r.getClientRects().length];
                });
            "#)
            .await;
        let orders: Vec<(String, usize)> = serde_json::from_value(orders).unwrap();
        assert_eq!(orders.len(), 2, "{orders:?}");
        assert!(
            orders.iter().all(|(no, lines)| no == a["orderNo"].as_str().unwrap() && *lines == 1),
            "{orders:?}"
        );
        app.js("document.querySelector('#panel-shift').scrollTop = 0; return null;").await;
        app.shot("shift-z-report").await;
        app.click("#report-print").await;
        let mut printed = json!(null);
        for _ in 0..100 {
            printed = app.client.execute("return window.__printed;", vec![]).await.unwrap();
            if printed.as_array().unwrap().len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(printed.as_array().unwrap().len(), 2, "the Z report asks for the print dialog too");
        let z = printed[1]["text"].as_str().unwrap();
        assert!(z.contains("Zレポート") && z.contains("純売上"), "the Z report laid out by Rust: {z}");
        let z = app.invoke("shift_status", json!({})).await.unwrap();
        assert!(z["open"].is_null());
        assert_eq!(z["past"][0]["zNumber"], 1);
        // No refund without an open shift: it would count in no report.
        let err = app
            .invoke("refund", json!({ "attemptId": a["id"], "amount": 100 }))
            .await
            .unwrap_err();
        assert_eq!((err["code"].as_str(), err["field"].as_str()), (Some("no_open_shift"), Some("shift")), "{err}");
        // The Z report and the log as CSV files for Excel.
        for (export, want) in [
            (json!({ "what": "report", "shiftId": z["past"][0]["id"] }), "report,Z,\r\n"),
            (json!({ "what": "log", "filter": {} }), ",captured,1280,paypay,280,"),
        ] {
            let path = app
                .invoke("export_csv", json!({ "export": export }))
                .await
                .unwrap();
            let bytes = std::fs::read(path.as_str().unwrap()).unwrap();
            assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains(want), "{want:?} not in {text}");
        }

        // The next shift: closing it while the past Z report is on screen
        // reconciles the shift being closed, not the one shown.
        let name = app.wait_for("#shift-cashier", "the cashier name").await;
        name.click().await.unwrap();
        name.send_keys("鈴木\u{E007}").await.unwrap();
        app.wait_for("#shift-actions:not([hidden])", "the second shift")
            .await;
        app.click("#shift-past button").await;
        app.wait_for("#report[data-kind='Z']", "the past Z report shown")
            .await;
        app.click("#shift-close").await;
        app.wait_for("#confirm[open]", "the close confirmation")
            .await;
        app.keys("y").await;
        app.wait_for("#recon:not([hidden]) #recon-summary", "reconciliation at close")
            .await;
        let summary = app
            .client
            .find(fantoccini::Locator::Css("#recon-summary"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            summary.contains("ledger 0") || summary.contains("台帳 0"),
            "the empty second shift was reconciled: {summary}"
        );
        let mut closed = json!(null);
        for _ in 0..100 {
            closed = app.invoke("shift_status", json!({})).await.unwrap();
            if closed["open"].is_null() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(closed["past"][0]["zNumber"], 2, "{closed}");
        drop(app.close().await);
    })
    .await;
}

/// Sets the DEMO simulator's clock speed (0 stands it still).
async fn set_sim_clock_scale(sim: &url::Url, scale: f64) {
    let res = reqwest::Client::new()
        .post(sim.join("_sim/clock/scale").unwrap())
        .json(&json!({ "scale": scale }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "clock scale: {}", res.status());
}
