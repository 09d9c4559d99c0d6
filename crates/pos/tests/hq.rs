//! The register's side of the head-office link with real parts only: a
//! station on a real data folder, the elepay simulator on loopback, and an
//! HQ address where nothing listens (a refused connection, not a fake HQ).
//! The link against the real HQ is tested in crates/hq/tests.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use easyqr_app_core::secrets::{open_secret_store, HqToken, HqTokenStore};
use easyqr_app_core::settings::{EnvOverrides, SettingsStore};
use easyqr_pos_core::hq::{HqLink, LinkState};
use easyqr_pos_core::{ErrorCode, Mode, StartOptions, Station};

const KEY: &str = "sk_test_hqlink0000000001";
const TOKEN: &str = "hqt_S01R1_0123456789abcdef0123";

/// An address where nothing listens: the port was just free.
fn nobody_home() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

async fn test_station(dir: &std::path::Path, sim: &elepay_sim::RunningSim) -> Station {
    let (d, base) = (dir.to_str().unwrap().to_owned(), sim.base_url().to_string());
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
    station
}

async fn wait_for(
    rx: &mut tokio::sync::watch::Receiver<easyqr_pos_core::HqStatus>,
    state: LinkState,
) -> easyqr_pos_core::HqStatus {
    tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|s| s.state == state))
        .await
        .expect("state reached in time")
        .unwrap()
        .clone()
}

#[tokio::test]
async fn enrolment_is_refused_by_field_and_nothing_is_kept() {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let station = test_station(dir.path(), &sim).await;
    assert_eq!(station.hq_status().state, LinkState::Off);

    let cases = [
        ("hq.example.jp", TOKEN, ErrorCode::InvalidInput, "hq.url"),
        (
            "https://x:y@hq.example.jp",
            TOKEN,
            ErrorCode::InvalidInput,
            "hq.url",
        ),
        (
            "https://hq.example.jp",
            "short",
            ErrorCode::HqTokenInvalid,
            "hq.token",
        ),
        (&nobody_home(), TOKEN, ErrorCode::HqUnreachable, "hq.url"),
    ];
    for (url, token, code, field) in cases {
        let e = station.hq_enrol(url, token).await.unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (code, Some(field)),
            "{url}: {}",
            e.message
        );
        let shown = format!("{e} {e:?} {}", serde_json::to_string(&e).unwrap());
        assert!(
            !shown.contains("0123456789abcdef"),
            "the token is never echoed: {shown}"
        );
    }
    assert_eq!(station.settings().hq.url, None);
    let tokens = HqTokenStore::new(Arc::from(open_secret_store(dir.path())));
    assert!(tokens.get().unwrap().is_none(), "no token kept");
    assert_eq!(station.hq_status().state, LinkState::Off);
}

#[tokio::test]
async fn a_stored_enrolment_starts_the_link_and_unenrol_stops_it() {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = nobody_home();
    let store = SettingsStore::new(dir.path());
    let mut s = store.load().unwrap().settings;
    s.register_id = "S01R1".into();
    s.hq.url = Some(url.clone());
    s.hq.mode = Some("test".into());
    store.save(&s).unwrap();
    let tokens = HqTokenStore::new(Arc::from(open_secret_store(dir.path())));
    tokens.set(&HqToken::parse(TOKEN).unwrap()).unwrap();

    let station = test_station(dir.path(), &sim).await;
    let mut rx = station.hq_watch();
    let offline = wait_for(&mut rx, LinkState::Offline).await;
    assert_eq!(offline.url.as_deref(), Some(format!("{url}/").as_str()));
    assert!(offline.since.is_some());
    let why = offline.last_error.unwrap();
    assert!(why.contains("could not be reached"), "{why}");
    assert!(!why.contains(TOKEN));

    // A settings save keeps the enrolment and may not move the register.
    let mut edit = station.settings();
    edit.store_name = "Shibuya".into();
    edit.hq.url = None; // the form never sends it
    let saved = station.save_settings(edit.clone(), None).await.unwrap();
    assert_eq!(saved.hq.url.as_deref(), Some(url.as_str()));
    edit.register_id = "S01R2".into();
    let e = station.save_settings(edit, None).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::HqMismatch, Some("registerId"))
    );

    let off = station.hq_unenrol().await.unwrap();
    assert_eq!(off.state, LinkState::Off);
    assert_eq!(station.settings().hq.url, None);
    assert!(tokens.get().unwrap().is_none());
    let reloaded = store.load().unwrap().settings;
    assert_eq!(
        (reloaded.hq.url, reloaded.store_name.as_str()),
        (None, "Shibuya")
    );
}

#[tokio::test]
async fn a_demo_station_has_no_head_office() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_owned();
    let env =
        EnvOverrides::from_lookup(|name| (name == "EASYQR_DATA_DIR").then(|| d.clone())).unwrap();
    let station = Station::start(StartOptions {
        env,
        demo_clock_scale: None,
    })
    .await
    .unwrap();
    let e = station
        .hq_enrol("https://hq.example.jp", TOKEN)
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::HqNotInDemo, Some("hq.url"))
    );
    assert_eq!(station.hq_status().state, LinkState::Off);
}

#[tokio::test]
async fn a_link_started_alone_reports_offline_and_stops() {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let station = test_station(dir.path(), &sim).await;
    let base = url::Url::parse(&format!("{}/", nobody_home())).unwrap();
    let link = HqLink::start(
        station.engine().clone(),
        base,
        HqToken::parse(TOKEN).unwrap(),
    )
    .unwrap();
    let mut rx = link.watch();
    let s = wait_for(&mut rx, LinkState::Offline).await;
    assert_eq!(s.backlog, 0);
    assert!(!link.is_stopped(), "it keeps trying");
    link.ship_now();
    link.stop().await;
}
