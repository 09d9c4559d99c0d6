//! DEMO on the LAN (issue 22 point 10): a phone on the shop's network
//! reaches the customer's pay page and nothing else; the embedded
//! simulator's API (its DEMO key is public) and its `/_sim/` controls stay
//! on loopback. A real station on a real data folder, "listen on the LAN"
//! switched on in its settings.
#![allow(clippy::unwrap_used)]

use easyqr_app_core::settings::{EnvOverrides, Settings, SettingsStore};
use easyqr_pos_core::{ChargeRequest, StartOptions, Station};

#[tokio::test]
async fn demo_on_the_lan_shows_phones_the_pay_page_alone() {
    let dir = tempfile::tempdir().unwrap();
    SettingsStore::new(dir.path())
        .save(&Settings {
            demo_lan: true,
            ..Settings::default()
        })
        .unwrap();
    let d = dir.path().to_str().unwrap().to_owned();
    let station = Station::start(StartOptions {
        env: EnvOverrides::from_lookup(|name| (name == "EASYQR_DATA_DIR").then(|| d.clone()))
            .unwrap(),
        demo_clock_scale: None,
    })
    .await
    .unwrap();
    let controls = station.simulator_url.clone().unwrap();
    assert_eq!(controls.host_str(), Some("127.0.0.1"), "{controls}");

    let register = station.register_id();
    station.books().open_shift(&register, "佐藤").unwrap();
    let shown = station
        .charge(&ChargeRequest {
            amount: Some(1280),
            ..ChargeRequest::default()
        })
        .await
        .unwrap();
    let code_url = url::Url::parse(&shown.code_url).unwrap();
    assert_eq!(code_url.port(), Some(8790), "{code_url}");
    assert!(code_url.path().starts_with("/pay/code/"), "{code_url}");

    let http = reqwest::Client::new();
    let status = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };
    // The LAN listener (every address, the LAN's and loopback's) serves
    // the pay page, and refuses the controls and the API.
    let lan_hosts = [code_url.host_str().unwrap().to_owned(), "127.0.0.1".into()];
    for host in &lan_hosts {
        let on_lan = |path: &str| format!("http://{host}:8790{path}");
        assert_eq!(status(on_lan(code_url.path())).await, 200, "{host}");
        for path in ["/_sim/codes", "/_sim/clock", "/charges"] {
            assert_eq!(status(on_lan(path)).await, 404, "{host}{path}");
        }
    }
    // The controls answer on loopback only.
    assert_eq!(
        status(controls.join("_sim/codes").unwrap().to_string()).await,
        200
    );
}
