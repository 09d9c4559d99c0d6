//! Issue 22 point 3: a charge's description and item names are checked
//! before anything is journaled. A DEMO station on a real data folder (its
//! embedded simulator on loopback): a refused charge leaves the journal as
//! it was, so no row HQ could not take is ever shipped.
#![allow(clippy::unwrap_used)]

use easyqr_app_core::settings::EnvOverrides;
use easyqr_pos_core::{ChargeRequest, ErrorCode, Item, StartOptions, Station};

fn opts(dir: &std::path::Path) -> StartOptions {
    let d = dir.to_str().unwrap().to_owned();
    StartOptions {
        env: EnvOverrides::from_lookup(|name| (name == "EASYQR_DATA_DIR").then(|| d.clone()))
            .unwrap(),
        demo_clock_scale: None,
    }
}

#[tokio::test]
async fn an_over_long_description_or_item_name_is_refused_before_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let station = Station::start(opts(dir.path())).await.unwrap();
    let register = station.register_id();
    station.books().open_shift(&register, "佐藤").unwrap();
    let ledger = station.books().ledger().clone();
    let head = ledger.journal_head_seq().unwrap();

    let long = ChargeRequest {
        amount: Some(1280),
        description: Some("x".repeat(elepay::DESCRIPTION_MAX + 1)),
        ..ChargeRequest::default()
    };
    let e = station.charge(&long).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("description")),
        "{}",
        e.message
    );
    let named = ChargeRequest {
        amount: None,
        description: None,
        items: vec![Item {
            name: "コ".repeat(easyqr_tax::NAME_MAX + 1),
            qty: 1,
            unit_price: 480,
            rate: None,
        }],
        rate: None,
    };
    let e = station.charge(&named).await.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidInput, Some("items[0].name")),
        "{}",
        e.message
    );
    assert_eq!(
        ledger.journal_head_seq().unwrap(),
        head,
        "nothing journaled"
    );
    assert!(station
        .books()
        .log(&Default::default(), 10, None)
        .unwrap()
        .is_empty());

    // The longest description elepay takes is recorded as given.
    let longest = ChargeRequest {
        description: Some("x".repeat(elepay::DESCRIPTION_MAX)),
        ..long
    };
    station.charge(&longest).await.unwrap();
    assert!(ledger.journal_head_seq().unwrap() > head);
}
