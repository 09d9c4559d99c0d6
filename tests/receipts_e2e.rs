//! Receipts end to end on the real app (DEMO mode, in Japanese), printing to
//! the test harness's virtual ESC/POS printer: a mixed-rate sale rung up
//! with item rows and their rate toggles, its qualified simplified invoice
//! printed by itself after the payment, a reprint from Transactions marked
//! 再発行, a refund by item and its 返金明細, a printer out of paper (the
//! message, Retry), the Z report by rate, and the invoice settings. One app
//! launch for all of it. Screenshots and the printed receipts (rendered)
//! land in target/e2e-artifacts/receipts-*.png.
//!
//! The figures, worked out by hand from the scenario (tax included, floor):
//! コーヒー豆 2 × ¥480 at 10 % and サンドイッチ 1 × ¥398 at 8 % → 10%対象
//! ¥960 内消費税 ¥87 (960 × 10/110 = 87.27), 8%対象 ¥398 内消費税 ¥29
//! (398 × 8/108 = 29.48), 合計 ¥1,358. One コーヒー豆 back: ¥480, 内消費税
//! ¥43 (43.63). Net at 10 %: ¥480 with ¥44 of tax.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_harness;

use e2e_harness::cashier::*;
use e2e_harness::*;
use easyqr_test_harness::printer::{Job, PrinterStatus, VirtualPrinter};
use serde_json::{json, Value};

const ISSUER: &str = "喫茶ひだまり 渋谷店";
const REGISTRATION: &str = "T7000012050002";

/// The line of a job that contains every one of `parts`.
fn line_with<'a>(job: &'a [String], parts: &[&str]) -> &'a str {
    job.iter()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| panic!("no line with {parts:?} in:\n{}", job.join("\n")))
}

fn has(job: &[String], part: &str) -> bool {
    job.iter().any(|l| l.contains(part))
}

fn render(job: &Job, file: &str) {
    job.render_png(&artifacts_dir().join(format!("{file}.png")))
        .unwrap();
}

/// Types `text` into the input `css` finds, replacing what it holds, as a
/// cashier would (select all, type).
async fn type_into(app: &App, css: &str, text: &str) {
    let input = app.wait_for(css, css).await;
    input.click().await.unwrap();
    app.client
        .execute(
            "document.querySelector(arguments[0]).select();",
            vec![json!(css)],
        )
        .await
        .unwrap();
    input.send_keys(text).await.unwrap();
}

/// Cell texts of a row of the report's by-rate table.
async fn rate_row(app: &App, rate: &str) -> Vec<String> {
    let cells = app
        .client
        .execute(
            "return [...document.querySelectorAll(`#report-rates-table tr[data-rate='${arguments[0]}'] td`)].map(td => td.textContent);",
            vec![json!(rate)],
        )
        .await
        .unwrap();
    serde_json::from_value(cells).unwrap()
}

/// Waits until the receipt dialog has closed (the print went through).
async fn dialog_closed(app: &App) {
    for _ in 0..200 {
        if app
            .js("return document.querySelector('#receipt-dlg').open;")
            .await
            == json!(false)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let error = app
        .js("return document.querySelector('#rcp-error').innerText;")
        .await;
    panic!("the receipt dialog stayed open: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_from_a_mixed_rate_sale_to_the_z_report_by_rate() {
    if !enabled() {
        return;
    }
    let _one = SERIAL.lock().await;
    scenario("receipts_from_a_mixed_rate_sale_to_the_z_report_by_rate", async {
        let printer = VirtualPrinter::start().await;
        // The store's settings, as the owner would have saved them.
        let data = tempfile::tempdir().unwrap();
        let settings = json!({
            "storeName": ISSUER,
            "registerId": "R1",
            "language": "ja",
            "invoice": {
                "issuerName": ISSUER,
                "registrationNumber": REGISTRATION,
                "address": "東京都渋谷区道玄坂1-2-3",
                "phone": "03-1234-5678",
                "header": "",
                "footer": "またのお越しをお待ちしております"
            },
            "tax": { "pricing": "included", "rounding": "floor", "defaultRate": "standard" },
            "printer": { "url": printer.url(), "width": 80 },
            "receipt": { "autoPrint": "always" }
        });
        std::fs::write(
            data.path().join("settings.json"),
            serde_json::to_vec_pretty(&settings).unwrap(),
        )
        .unwrap();
        let mut app = App::start_in("receipts-steps", &[], data).await;
        let info = app.invoke("app_info", json!({})).await.unwrap();
        assert_eq!(info["tax"]["defaultRate"], "standard", "{info}");
        open_shift_at_the_register(&mut app).await;

        // ---- a mixed-rate sale rung up with item rows -----------------------
        app.click("#add-item").await;
        type_into(&app, ".item-row:nth-child(1) .item-name", "コーヒー豆").await;
        type_into(&app, ".item-row:nth-child(1) .item-qty", "2").await;
        type_into(&app, ".item-row:nth-child(1) .item-price", "480").await;
        app.click("#add-item").await;
        type_into(&app, ".item-row:nth-child(2) .item-name", "サンドイッチ").await;
        type_into(&app, ".item-row:nth-child(2) .item-price", "398").await;
        // The row's rate toggle: 10% → 8%※.
        assert_eq!(app.text(".item-row:nth-child(2) .item-rate").await, "10%");
        app.click(".item-row:nth-child(2) .item-rate").await;
        assert_eq!(app.text(".item-row:nth-child(2) .item-rate").await, "8%※");
        assert!(app.text("#amount-label").await.contains("税込"));
        app.wait_for("#items-legend:not([hidden])", "the ※ legend").await;
        app.shot_named("receipts-00-register-items").await;
        // Enter in the last field charges what was typed; Rust totals it.
        type_into(&app, ".item-row:nth-child(2) .item-price", "398\u{E007}").await;
        app.wait_for("#pay-active[data-status='pending']", "the payment to be pending")
            .await;
        let attempt = newest_attempt(&mut app).await;
        assert_eq!(attempt["amount"], 1358, "Rust's total of the lines");
        assert_eq!(app.text("#pay-amount").await, "¥1,358");
        let sale = app
            .invoke("sale_record", json!({ "saleId": attempt["saleId"] }))
            .await
            .unwrap();
        let rates: Vec<(String, i64, i64)> = sale["breakdown"]["rates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rate"].as_str().unwrap().to_owned(),
                    r["gross"].as_i64().unwrap(),
                    r["tax"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rates,
            [("standard".into(), 960, 87), ("reduced".into(), 398, 29)],
            "{sale}"
        );

        // The customer sees the lines (※ on the reduced one), tax included.
        app.in_customer().await;
        app.wait_for("body[data-screen='payment'] #items-box:not([hidden])", "the items on the display")
            .await;
        app.wait_for("body[data-qr-painted]", "the QR painted").await;
        // Read from the page (WebDriver's visible text can drop a clipped name).
        let items = app.js("return document.querySelector('#items').textContent;").await;
        let items = items.as_str().unwrap_or_default().to_owned();
        assert!(items.contains("コーヒー豆") && items.contains("¥960"), "{items}");
        assert!(items.contains("サンドイッチ※") && items.contains("¥398"), "{items}");
        assert!(app.text(".total-label").await.contains("税込"));
        assert_eq!(app.text("#amount").await, "¥1,358");
        app.shot_named("receipts-01-customer-items").await;

        // ---- paid: the receipt prints by itself ----------------------------
        pay_as_customer(attempt["codeUrl"].as_str().unwrap(), "paypay").await;
        app.wait_for("body[data-screen='paid']", "the display to say paid").await;
        let sub = app.text("#outcome-sub").await.replace('\u{200b}', "");
        assert!(sub.contains("PayPayでお支払いいただきました"), "{sub}");
        app.in_cashier().await;
        app.wait_for("#pay-active[data-status='paid']", "the cashier to say paid")
            .await;
        let jobs = printer.wait_jobs(1).await;
        let receipt = jobs[0].text();
        assert!(jobs[0].cut, "the paper is cut");
        assert!(has(&receipt, ISSUER), "{receipt:#?}");
        line_with(&receipt, &["適格簡易請求書"]);
        line_with(&receipt, &[&format!("登録番号 {REGISTRATION}")]);
        line_with(&receipt, &["サンドイッチ※"]);
        line_with(&receipt, &["10%対象 ¥960", "内消費税 ¥87"]);
        line_with(&receipt, &["8%対象 ¥398", "内消費税 ¥29"]);
        line_with(&receipt, &["合計", "¥1,358"]);
        line_with(&receipt, &["※は軽減税率対象"]);
        line_with(&receipt, &["PayPay"]);
        line_with(&receipt, &[attempt["orderNo"].as_str().unwrap()]);
        assert!(!has(&receipt, "再発行"), "the first print is no reprint");
        assert!(!has(&receipt, "適格請求書ではありません"));
        render(&jobs[0], "receipts-02-receipt-mixed");
        // The cashier is told (the feed's receipt message).
        let toast = app
            .wait_for("#toast:not([hidden])", "the receipt toast")
            .await
            .text()
            .await
            .unwrap();
        assert!(toast.contains("レシートを印刷しました"), "{toast}");

        // ---- a reprint from Transactions ------------------------------------
        tab(&app, "transactions").await;
        app.wait_for("#tx-body tr .rate-badge.rate-reduced", "the sale's rates in the log")
            .await;
        let badges = app.text("#tx-body tr td.rates").await;
        assert!(badges.contains("10%") && badges.contains("8%"), "{badges}");
        app.wait_for(".tx-receipt", "the receipt button").await.click().await.unwrap();
        app.wait_for("#receipt-dlg[open]", "the receipt dialog").await;
        app.click("#rcp-print").await;
        dialog_closed(&app).await;
        let jobs = printer.wait_jobs(2).await;
        let reprint = jobs[1].text();
        line_with(&reprint, &["再発行"]);
        line_with(&reprint, &["10%対象 ¥960", "内消費税 ¥87"]);
        render(&jobs[1], "receipts-03-reprint");
        let status = app.text("#tx-status").await;
        assert!(status.contains("再発行"), "{status}");

        // ---- one コーヒー豆 back, by item, and its 返金明細 ------------------
        app.click(".tx-refund").await;
        let qty = app
            .wait_for("#refund[open] #refund-lines input[data-line='0']", "the refund's item lines")
            .await;
        assert!(app.text("#refund-lines").await.contains("サンドイッチ※"));
        assert!(app.attr("#refund-amount-box", "hidden").await.is_some(), "by item, not amount");
        qty.send_keys("1").await.unwrap();
        app.shot_named("receipts-04-refund-dialog").await;
        app.click("#refund-ok").await;
        let confirm = app
            .wait_for("#confirm[open] #confirm-body", "the refund confirmation")
            .await
            .text()
            .await
            .unwrap();
        assert!(confirm.contains("コーヒー豆 ×1"), "{confirm}");
        // Rust worked the amount and its tax out before asking.
        assert!(confirm.contains("内消費税 ¥43"), "{confirm}");
        let title = app.text("#confirm[open] #confirm-title").await;
        assert!(title.contains("¥480"), "{title}");
        app.shot_named("receipts-04-refund-confirm").await;
        app.keys("y").await; // Y refunds (Enter would keep things as they are)
        // elepay finishes the refund and the list says so; the offer of the
        // slip outlives that refresh (it once cleared the status line).
        let settled = "const c = document.querySelector('#tx-body tr td.refunded'); \
                       return !!c && c.textContent.includes('480') && !c.querySelector('.refund-progress');";
        let mut made = false;
        for _ in 0..200 {
            made = app.js(settled).await == json!(true);
            if made {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(made, "the list shows the refund made");
        app.wait_for("#tx-refund-slip", "the offer of the refund slip")
            .await
            .click()
            .await
            .unwrap();
        dialog_closed(&app).await;
        let jobs = printer.wait_jobs(3).await;
        let slip = jobs[2].text();
        line_with(&slip, &["返金明細"]);
        line_with(&slip, &["10%対象 ¥480", "内消費税 ¥43"]);
        assert!(!has(&slip, "8%対象"), "nothing at 8% came back: {slip:#?}");
        render(&jobs[2], "receipts-04-refund-slip");
        let refunds = app
            .invoke("sale_record", json!({ "saleId": attempt["saleId"] }))
            .await
            .unwrap();
        assert_eq!(refunds["returned"], json!([{ "line": 0, "qty": 1 }]));

        // ---- out of paper: the message, then Retry --------------------------
        printer.set_status(PrinterStatus::PaperOut);
        app.wait_for(".tx-receipt", "the receipt button").await.click().await.unwrap();
        app.wait_for("#receipt-dlg[open]", "the receipt dialog").await;
        app.click("#rcp-print").await;
        app.wait_for("#rcp-error:not([hidden]) #rcp-retry", "the printer error with Retry")
            .await;
        assert_eq!(app.attr("#rcp-error", "data-code").await.as_deref(), Some("printer_unavailable"));
        let error = app.text("#rcp-error").await;
        // The cause in the cashier's language, from Rust's `cause`.
        assert!(error.contains("用紙がありません"), "{error}");
        assert!(error.contains("out of paper"), "Rust's reason is shown: {error}");
        app.shot_named("receipts-05-paper-out").await;
        assert_eq!(printer.jobs().len(), 3, "nothing printed while out of paper");
        printer.set_status(PrinterStatus::Ready);
        app.click("#rcp-retry").await;
        dialog_closed(&app).await;
        let jobs = printer.wait_jobs(4).await;
        line_with(&jobs[3].text(), &["再発行"]);
        line_with(&jobs[3].text(), &["合計", "¥1,358"]);

        // ---- the Z report by rate -------------------------------------------
        tab(&app, "shift").await;
        app.wait_for("#shift-actions:not([hidden])", "the shift actions").await;
        app.click("#shift-close").await;
        app.wait_for("#confirm[open]", "the close confirmation").await;
        app.keys("y").await;
        app.wait_for("#report[data-kind='Z'] #report-rates-table", "the Z report by rate")
            .await;
        // 売上（税込）, うち消費税, 返金, うち消費税, 純売上, うち消費税
        assert_eq!(
            rate_row(&app, "standard").await,
            ["¥960", "¥87", "¥480", "¥43", "¥480", "¥44"]
        );
        assert_eq!(
            rate_row(&app, "reduced").await,
            ["¥398", "¥29", "¥0", "¥0", "¥398", "¥29"]
        );
        assert_eq!(rate_row(&app, "free").await, ["¥0", "—", "¥0", "—", "¥0", "—"]);
        assert_eq!(rate_row(&app, "unrecorded").await, ["¥0", "—", "¥0", "—", "¥0", "—"]);
        let figure = |key: &'static str| {
            let app = &app;
            async move { app.text(&format!("#report-headline dd[data-figure='{key}']")).await }
        };
        assert_eq!(figure("report.h.gross").await, "¥1,358");
        assert_eq!(figure("report.h.refunded").await, "¥480");
        assert_eq!(figure("report.h.net").await, "¥878");
        assert_eq!(figure("report.h.customers").await, "1人");
        assert_eq!(figure("report.h.average").await, "¥1,358");
        app.shot_named("receipts-06-z-by-rate").await;
        // Printed on the receipt printer, laid out by Rust.
        app.click("#report-print").await;
        let jobs = printer.wait_jobs(5).await;
        let z = jobs[4].text();
        line_with(&z, &["Zレポート"]);
        line_with(&z, &["10%対象 ¥960", "税 ¥87"]);
        line_with(&z, &["純売上", "¥878"]);
        render(&jobs[4], "receipts-06-z-printed");

        // ---- Settings: the invoice section ----------------------------------
        tab(&app, "settings").await;
        app.wait_for("#invoice-settings", "the invoice section").await;
        let shown = app
            .js("return document.querySelector('#f-registrationNumber').value;")
            .await;
        assert_eq!(shown, json!(REGISTRATION));
        let to_invoice_section = "document.querySelector('#invoice-settings').scrollIntoView({ block: 'start' }); document.querySelector('#panel-settings').scrollBy(0, -16); return null;";
        app.js(to_invoice_section).await;
        app.shot_named("receipts-07-settings-invoice").await;
        // Typed full-width with hyphens: Rust tidies it, and says that this
        // number's check digit is not a 法人番号's (a warning, not an error).
        type_into(&app, "#f-registrationNumber", "Ｔ８０００－０１２０－５０００２").await;
        app.click("#save-settings").await;
        app.wait_for("#w-registrationNumber:not([hidden])", "the check-digit warning")
            .await;
        let tidied = app
            .js("return document.querySelector('#f-registrationNumber').value;")
            .await;
        assert_eq!(tidied, json!("T8000012050002"));
        assert!(app.attr("#e-registrationNumber", "hidden").await.is_some(), "saved, not refused");
        app.js(to_invoice_section).await;
        app.shot_named("receipts-08-settings-warning").await;
        // A number that is not one is refused, on its field; nothing is saved.
        type_into(&app, "#f-registrationNumber", "T123").await;
        app.click("#save-settings").await;
        app.wait_for("#e-registrationNumber:not([hidden])", "the field error").await;
        let saved: Value = app.invoke("get_settings", json!({})).await.unwrap();
        assert_eq!(saved["invoice"]["registrationNumber"], "T8000012050002");
        // Back to the store's number, and ask after each payment from now on.
        type_into(&app, "#f-registrationNumber", REGISTRATION).await;
        app.js("const s = document.querySelector('#f-autoPrint'); s.value = 'ask'; s.dispatchEvent(new Event('input', { bubbles: true })); return null;")
            .await;
        app.click("#save-settings").await;
        let mut saved = json!(null);
        for _ in 0..100 {
            saved = app.invoke("get_settings", json!({})).await.unwrap();
            if saved["receipt"]["autoPrint"] == "ask" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(saved["receipt"]["autoPrint"], "ask", "{saved}");
        assert_eq!(saved["invoice"]["registrationNumber"], REGISTRATION);

        // ---- an amount at 8 % with the keypad's rate key; "Print a receipt?" --
        tab(&app, "register").await;
        open_shift_at_the_register(&mut app).await;
        app.keys("1080*").await; // * = the rate key: 10% ⇄ 8%
        assert_eq!(app.text("#amount").await, "¥1,080");
        let chip = app.text("#amount-rate").await;
        assert!(chip.contains("8%"), "{chip}");
        assert_eq!(app.attr("#rate-key", "aria-pressed").await.as_deref(), Some("true"));
        app.shot_named("receipts-09-keypad-8-percent").await;
        app.keys("\u{E007}").await;
        app.wait_for("#pay-active[data-status='pending']", "the payment to be pending")
            .await;
        let attempt = newest_attempt(&mut app).await;
        assert_eq!(attempt["amount"], 1080);
        let sale = app
            .invoke("sale_record", json!({ "saleId": attempt["saleId"] }))
            .await
            .unwrap();
        assert_eq!(sale["breakdown"]["rates"][0]["rate"], "reduced", "{sale}");
        assert_eq!(sale["breakdown"]["rates"][0]["tax"], 80, "{sale}");
        pay_as_customer(attempt["codeUrl"].as_str().unwrap(), "linepay").await;
        let bar = app
            .wait_for("#receipt-bar:not([hidden])[data-state='offer']", "the receipt question")
            .await
            .text()
            .await
            .unwrap();
        assert!(bar.contains("レシートを印刷しますか"), "{bar}");
        assert_eq!(printer.jobs().len(), 5, "nothing printed before the cashier says so");
        app.shot_named("receipts-10-ask-after-payment").await;
        app.click("#receipt-bar-print").await;
        let jobs = printer.wait_jobs(6).await;
        let receipt = jobs[5].text();
        line_with(&receipt, &["8%対象 ¥1,080", "内消費税 ¥80"]);
        line_with(&receipt, &["LINE Pay"]);
        assert!(!has(&receipt, "10%対象"), "{receipt:#?}");
        render(&jobs[5], "receipts-11-receipt-amount-8");
        app.wait_for("#receipt-bar[hidden]", "the question answered").await;

        assert_eq!(printer.errors(), Vec::<String>::new(), "the printer decoded every byte");
        drop(app.close().await);
    })
    .await;
}
