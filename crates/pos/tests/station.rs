//! A DEMO station on a real data folder, its embedded simulator on
//! loopback: start-up, the one-app-per-folder rule, a sale with item lines,
//! a restart that retires the DEMO codes the simulator forgot, settings
//! refused by field.
#![allow(clippy::unwrap_used)]

use easyqr_app_core::settings::EnvOverrides;
use easyqr_ledger::AttemptState;
use easyqr_pos_core::{ChargeRequest, ErrorCode, Item, Mode, StartOptions, Station};

fn opts(dir: &std::path::Path) -> StartOptions {
    let d = dir.to_str().unwrap().to_owned();
    StartOptions {
        env: EnvOverrides::from_lookup(|name| (name == "EASYQR_DATA_DIR").then(|| d.clone()))
            .unwrap(),
        demo_clock_scale: None,
    }
}

#[tokio::test]
async fn a_demo_station_sells_restarts_and_retires_the_codes_its_simulator_forgot() {
    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(opts(dir.path())).await.unwrap();
    assert_eq!(station.mode, Mode::Demo);
    assert!(station.simulator_url.is_some());
    assert!(
        dir.path().join("demo/ledger.sqlite3").exists(),
        "DEMO has its own ledger"
    );

    let again = Station::start(opts(dir.path())).await.unwrap_err();
    assert_eq!(
        (again.code, again.exit_code()),
        (ErrorCode::AlreadyRunning, 11)
    );

    let register = station.register_id();
    station.books().open_shift(&register, "佐藤").unwrap();
    let req = ChargeRequest {
        amount: Some(1280),
        description: None,
        items: vec![
            Item {
                name: "Coffee".into(),
                qty: 2,
                unit_price: 480,
                rate: None,
            },
            Item {
                name: "Cake".into(),
                qty: 1,
                unit_price: 320,
                rate: Some("reduced".into()),
            },
        ],
        rate: None,
    };
    let shown = station.charge(&req).await.unwrap();
    assert_eq!(shown.attempt.state, AttemptState::Pending);
    let rows = station.books().log(&Default::default(), 10, None).unwrap();
    assert_eq!(rows[0].description.as_deref(), Some("Coffee ×2, Cake ×1"));
    let wrong = ChargeRequest {
        amount: Some(1000),
        ..req
    };
    let e = station.charge(&wrong).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("amount"))
    );
    drop(station);

    // A new simulator knows nothing of the code shown before the restart.
    let station = Station::start(opts(dir.path())).await.unwrap();
    let checks = station.startup_checks().await;
    assert_eq!(checks.retired, vec![shown.attempt.order_no.clone()]);
    assert_eq!(checks.journal_problem, None);
    let a = station.books().ledger().attempt(shown.attempt.id).unwrap();
    assert_eq!(a.state, AttemptState::Expired);
    assert!(station.books().verify(&[]).unwrap().is_intact());
}

#[tokio::test]
async fn settings_are_refused_by_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(opts(dir.path())).await.unwrap();
    let before = station.settings();
    let mut bad = before.clone();
    bad.register_id = "no spaces".into();
    let e = station.save_settings(bad, None).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("registerId"))
    );
    assert_eq!(station.settings(), before);
    assert!(!dir.path().join("settings.json").exists());

    let mut good = before.clone();
    good.store_name = "Cafe Sakura".into();
    station.save_settings(good, None).await.unwrap();
    assert_eq!(station.settings().store_name, "Cafe Sakura");
    let e = station.phone_view_url(9999).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

/// Issue 12 item 2: no sale outside a shift, and the register id does not
/// change under an open shift (its sales would sit in a shift no register
/// can close).
#[tokio::test]
async fn a_register_sells_only_in_a_shift_and_keeps_its_id_while_one_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(opts(dir.path())).await.unwrap();
    let req = ChargeRequest {
        amount: Some(500),
        ..ChargeRequest::default()
    };
    let e = station.charge(&req).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref(), e.exit_code()),
        (ErrorCode::NoOpenShift, Some("shift"), 2)
    );
    assert!(station
        .books()
        .log(&Default::default(), 10, None)
        .unwrap()
        .is_empty());

    let register = station.register_id();
    station.books().open_shift(&register, "佐藤").unwrap();
    station.charge(&req).await.unwrap();
    let mut moved = station.settings();
    moved.register_id = "R9".into();
    let e = station
        .save_settings(moved.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::ShiftOpen, Some("registerId"))
    );
    assert_eq!(station.register_id(), register);
    // Closed first, the change goes through.
    station.books().close_shift(&register).unwrap();
    station.save_settings(moved, None).await.unwrap();
    assert_eq!(station.register_id(), "R9");
}

/// Issue 12 item 1: a same-mode key of another elepay app is refused while
/// the station runs (no restart), before it could strand the ledger's codes.
#[tokio::test]
async fn a_key_of_another_elepay_app_is_refused_in_place() {
    const KEY: &str = "sk_test_station000000001";
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (d, base) = (
        dir.path().to_str().unwrap().to_owned(),
        sim.base_url().to_string(),
    );
    let env = EnvOverrides::from_lookup(|name| match name {
        "EASYQR_DATA_DIR" => Some(d.clone()),
        "EASYQR_API_BASE" => Some(base.clone()),
        "ELEPAY_SECRET_KEY" => Some(KEY.to_owned()),
        _ => None,
    })
    .unwrap();
    let station = Station::start(StartOptions {
        env,
        demo_clock_scale: None,
    })
    .await
    .unwrap();
    assert_eq!(station.mode, Mode::Test);
    assert!(
        dir.path().join("test/ledger.sqlite3").exists(),
        "test has its own ledger"
    );
    let register = station.register_id();
    station.books().open_shift(&register, "佐藤").unwrap();
    let req = ChargeRequest {
        amount: Some(500),
        ..ChargeRequest::default()
    };
    station.charge(&req).await.unwrap();

    let other = "sk_test_otherapp00000001";
    sim.control().add_app(other).unwrap();
    // A live key is stored only once the switch to real money is confirmed
    // (the app asks; the rule is Rust's).
    let live = "sk_live_0123456789abcdef01234567";
    let e = station.set_key(live, false).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::LiveKeyUnconfirmed, Some("key"))
    );
    assert!(!e.message.contains(live), "the key is never echoed");
    assert_eq!(station.key_status().last4.as_deref(), Some("0001"));
    let e = station.set_key(other, false).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::KeyOtherApp, Some("key"))
    );
    assert!(e.message.contains("another elepay app"), "{}", e.message);
    assert!(!e.message.contains(other), "the key is never echoed");
    assert_eq!(station.key_status().last4.as_deref(), Some("0001"));
}

/// The receiver on with no signing secret would refuse every delivery: the
/// save is refused by field (the UI holds no copy of this rule), and the
/// receipt settings are checked and kept as receipts print them.
#[tokio::test]
async fn settings_are_refused_by_rust_alone_and_kept_as_receipts_print_them() {
    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(opts(dir.path())).await.unwrap();
    let mut s = station.settings();
    s.webhook.enabled = true;
    let e = station.save_settings(s.clone(), None).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("webhook.secrets"));
    let saved = station
        .save_settings(s, Some(vec!["whsec_0123456789abcdef".into()]))
        .await
        .unwrap();
    assert!(saved.webhook.enabled);
    let mut s = station.settings();
    s.invoice.registration_number = "Ｔ７０００ー０１２０ー５０００２".into();
    s.tax.rounding = "round5".into();
    let saved = station.save_settings(s.clone(), None).await.unwrap();
    assert_eq!(saved.invoice.registration_number, "T7000012050002");
    assert!(saved.warnings().is_empty());
    s.printer.url = "lpt1".into();
    let e = station.save_settings(s, None).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("printer.url"));
}

/// Issue 23 item 3: while a customer's code is up, a second charge (or a
/// retry of another sale) never replaces it; only the cashier's explicit
/// cancel frees the display. Two Enters at once: exactly one code.
#[tokio::test]
async fn the_customers_code_is_never_swapped_without_the_cashiers_cancel() {
    use easyqr_engine::{CustomerEvent, EngineEvent};

    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(opts(dir.path())).await.unwrap();
    let register = station.register_id();
    station.books().open_shift(&register, "佐藤").unwrap();
    let mut events = station.engine().subscribe();
    let amount = |yen| ChargeRequest {
        amount: Some(yen),
        ..ChargeRequest::default()
    };

    let first = station.charge(&amount(1280)).await.unwrap();
    let e = station.charge(&amount(500)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::CodeShowing);
    assert_eq!(e.attempt_id, Some(first.attempt.id), "names the code up");
    assert!(e.message.contains(&first.attempt.order_no), "{}", e.message);
    let unresolved = station.books().ledger().unresolved_attempts().unwrap();
    assert_eq!(
        unresolved.iter().map(|a| a.id).collect::<Vec<_>>(),
        [first.attempt.id],
        "no second sale was even reserved"
    );

    // The cashier's explicit action: cancel (read back from elepay).
    let (_, closed) = station.register().cancel(first.attempt.id).await.unwrap();
    assert_eq!(closed.state, AttemptState::Closed);
    // The log row says so too: the sale may be tried again.
    let row = &station.books().log(&Default::default(), 1, None).unwrap()[0];
    let row = serde_json::to_value(row).unwrap();
    assert_eq!(
        (&row["state"], &row["retryable"]),
        (&serde_json::json!("closed"), &serde_json::json!(true))
    );

    // Two Enters at once: one code goes up, the other is refused.
    let (seven, eight) = (amount(700), amount(800));
    let (a, b) = tokio::join!(station.charge(&seven), station.charge(&eight));
    let shown: Vec<_> = [&a, &b]
        .into_iter()
        .filter_map(|r| r.as_ref().ok())
        .collect();
    assert_eq!(shown.len(), 1, "{a:?} {b:?}");
    let refused = [a.as_ref().err(), b.as_ref().err()]
        .into_iter()
        .flatten()
        .next()
        .unwrap();
    assert_eq!(refused.code, ErrorCode::CodeShowing);
    let second = shown[0].clone();

    // Retrying the cancelled sale would also swap the QR: refused.
    let e = station.retry(first.attempt.sale_id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::CodeShowing);
    station.register().cancel(second.attempt.id).await.unwrap();
    let again = station.retry(first.attempt.sale_id).await.unwrap();
    assert_eq!(again.attempt.sale_id, first.attempt.sale_id);

    // What the customer display was told: each QR only after the previous
    // one was closed by the cashier.
    let mut shown_codes = Vec::new();
    while let Ok(ev) = events.try_recv() {
        match ev {
            EngineEvent::Customer(CustomerEvent::Payment { code_id, .. }) => {
                shown_codes.push(("up", code_id))
            }
            EngineEvent::Customer(CustomerEvent::Cancelled { code_id, .. }) => {
                shown_codes.push(("cancelled", code_id))
            }
            _ => {}
        }
    }
    let code = |c: &easyqr_engine::Checkout| c.attempt.code_id.clone().unwrap();
    assert_eq!(
        shown_codes,
        [
            ("up", code(&first)),
            ("cancelled", code(&first)),
            ("up", code(&second)),
            ("cancelled", code(&second)),
            ("up", code(&again)),
        ]
    );
}
