//! Enrolment as a store's IT person does it: a register's station (real
//! data folder, the simulator as elepay) enrols with the token the real HQ
//! printed, reports its own mode's ledger, and never another mode's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use easyqr_app_core::settings::{EnvOverrides, SettingsStore};
use easyqr_pos_core::hq::{Enrolment, LinkState};
use easyqr_pos_core::{ErrorCode, HqStatus, Mode, StartOptions, Station};
use support::*;

const TEST_KEY: &str = "sk_test_hqenrol000000000001";
const LIVE_KEY: &str = "sk_live_hqenrol000000000001";

async fn station(dir: &Path, sim: &elepay_sim::RunningSim, key: &str) -> Station {
    let (d, base, key) = (
        dir.to_str().unwrap().to_owned(),
        sim.base_url().to_string(),
        key.to_owned(),
    );
    let env = EnvOverrides::from_lookup(|name| match name {
        "EASYQR_DATA_DIR" => Some(d.clone()),
        "EASYQR_API_BASE" => Some(base.clone()),
        "ELEPAY_SECRET_KEY" => Some(key.clone()),
        _ => None,
    })
    .unwrap();
    Station::start(StartOptions {
        env,
        demo_clock_scale: None,
    })
    .await
    .unwrap()
}

async fn wait_state(station: &Station, state: LinkState) -> HqStatus {
    let mut rx = station.hq_watch();
    let got = tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|s| s.state == state))
        .await
        .unwrap_or_else(|_| panic!("never {state:?}: {:?}", station.hq_status()))
        .unwrap()
        .clone();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_enrolled_in_test_mode_reports_its_test_ledger_and_never_its_live_one() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_store1", "渋谷店").await;
    let token = hq.enrol("loc_store1", "S01R1").await;
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::new(dir.path());
    let mut s = store.load().unwrap().settings;
    s.register_id = "S01R1".into();
    s.location_id = Some("loc_store1".into());
    store.save(&s).unwrap();

    // Test mode: enrolled from the station, the link comes up and ships.
    let sim = elepay_sim::start_frozen(TEST_KEY).await.unwrap();
    let test = station(dir.path(), &sim, TEST_KEY).await;
    assert_eq!(test.mode, Mode::Test);
    test.books().open_shift("S01R1", "山田").unwrap();
    let status = test.hq_enrol(&hq.base, &token).await.unwrap();
    assert_ne!(status.state, LinkState::Off, "the link starts");
    assert_eq!(test.settings().hq.mode.as_deref(), Some("test"));
    let head = test.books().ledger().journal_head_seq().unwrap();
    assert!(head > 0);
    let mut rx = test.hq_watch();
    tokio::time::timeout(
        Duration::from_secs(20),
        rx.wait_for(|s| s.state == LinkState::Online && s.acked == head),
    )
    .await
    .expect("the test ledger shipped")
    .unwrap();
    drop(rx);
    assert_eq!(test.hq_status().register_id.as_deref(), Some("S01R1"));
    drop(test);
    let held = "SELECT acked_seq FROM registers WHERE register_id = 'S01R1'";
    assert_eq!(hq.query_i64(held).await, head);

    // The same register with a live key: its live sales are not the test
    // ledger's continuation, so the link stays down and says why.
    let live_sim = elepay_sim::start_frozen(LIVE_KEY).await.unwrap();
    let live = station(dir.path(), &live_sim, LIVE_KEY).await;
    assert_eq!(live.mode, Mode::Live);
    let s = wait_state(&live, LinkState::Offline).await;
    let why = s.last_error.unwrap();
    assert!(why.contains("test mode") && why.contains("live"), "{why}");
    assert!(!why.contains(&token));
    let e = Enrolment::open(dir.path())
        .client_for(&live.settings(), Mode::Live)
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::HqOtherMode, Some("hq.mode"))
    );
    live.books().open_shift("S01R1", "山田").unwrap();
    assert!(live.books().ledger().journal_head_seq().unwrap() > 0);
    // HQ's copy is still the test ledger's, unflagged.
    assert_eq!(hq.query_i64(held).await, head);
    assert_eq!(
        hq.query_i64("SELECT count(*) FROM registers WHERE diverged_seq IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_enrols_only_ids_a_register_can_have_and_takes_elepays_location_id_limit() {
    let Some(hq) = Hq::start().await else { return };
    // locationId: elepay's one rule (32), as the register's settings take it.
    let longest = "l".repeat(elepay::LOCATION_ID_MAX);
    assert_eq!(elepay::LOCATION_ID_MAX, 32);
    easyqr_hq::enrol::add_store(&hq.db, &longest, "Longest")
        .await
        .unwrap();
    for bad in ["l".repeat(33), "loc a".into(), String::new()] {
        let e = easyqr_hq::enrol::add_store(&hq.db, &bad, "Bad")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("location-id: 1 to 32"), "{bad:?}: {e}");
    }
    let mut settings = easyqr_app_core::settings::Settings {
        register_id: "S01R1".into(),
        ..Default::default()
    };
    settings.location_id = Some(longest.clone());
    assert!(
        settings.validate().is_ok(),
        "the register takes what HQ takes"
    );
    settings.location_id = Some("l".repeat(33));
    assert!(settings.validate().is_err(), "and refuses what HQ refuses");

    // A register id is the register's own orderNo prefix rule.
    for bad in ["s01_r1", "S01_R1", "-S01", &"A".repeat(25)] {
        let e = easyqr_hq::enrol::enrol(&hq.db, &longest, bad)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("register: 1 to 24 characters of A-Z, 0-9 and inner hyphens"),
            "{bad:?}: {e}"
        );
        assert!(e.contains(&format!("{bad:?}")), "names what was given: {e}");
    }
    hq.enrol(&longest, "S01-R1").await;
    // The same from the command the brand's IT person runs.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_easyqr-hq"))
        .args(["register", "enrol", "--location-id", &longest])
        .args(["--register", "s01_r1"])
        .env("DATABASE_URL", &hq.database_url)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no token printed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("register: 1 to 24 characters"), "{err}");
    assert_eq!(
        hq.query_i64("SELECT count(*) FROM registers").await,
        1,
        "only S01-R1"
    );
}
