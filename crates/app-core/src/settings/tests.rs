#![allow(clippy::unwrap_used)]
//! Settings: validation, storage and environment overrides.

use super::*;
use std::collections::HashMap;

fn fields(s: &Settings) -> Vec<&'static str> {
    match s.validate() {
        Ok(()) => vec![],
        Err(e) => e.into_iter().map(|e| e.field).collect(),
    }
}

#[test]
fn defaults_are_valid_and_as_documented() {
    let d = Settings::default();
    assert_eq!(d.validate(), Ok(()));
    let j = serde_json::to_value(&d).unwrap();
    assert_eq!(j["storeName"], "EasyQR Store");
    assert_eq!(j["registerId"], "R1");
    assert_eq!(j["expiryMinutes"], 10);
    assert_eq!(j["pollIntervalMs"], 1000);
    assert_eq!(j["language"], "auto");
    assert_eq!(j["webhook"]["address"], "127.0.0.1:8791");
    assert_eq!(j["webhook"]["enabled"], false);
    assert_eq!(j["webhook"]["secretCount"], 0);
    assert_eq!(j["demoLan"], false);
    assert!(j["locationId"].is_null());
}

#[test]
fn older_files_load_with_defaults_for_missing_fields() {
    let s: Settings = serde_json::from_str(r#"{"storeName":"渋谷店","expiryMinutes":5}"#).unwrap();
    assert_eq!(s.store_name, "渋谷店");
    assert_eq!(s.expiry_minutes, 5);
    assert_eq!(s.poll_interval_ms, 1000);
    assert_eq!(s.webhook, WebhookSettings::default());
    let s: Settings = serde_json::from_str(r#"{"webhook":{"enabled":true}}"#).unwrap();
    assert!(s.webhook.enabled);
    assert_eq!(s.webhook.address, "127.0.0.1:8791");
}

#[test]
fn unknown_language_reads_as_auto_and_secret_count_is_never_read() {
    let s: Settings =
        serde_json::from_str(r#"{"language":"fr","webhook":{"secretCount":99},"futureField":1}"#)
            .unwrap();
    assert_eq!(s.language, Language::Auto);
    assert_eq!(s.webhook.secret_count, 0);
    let s: Settings = serde_json::from_str(r#"{"language":"ja"}"#).unwrap();
    assert_eq!(s.language, Language::Ja);
}

#[test]
fn each_field_boundary() {
    type Case = (&'static str, fn(&mut Settings), Option<&'static str>);
    let cases: &[Case] = &[
        ("name 40 chars", |s| s.store_name = "あ".repeat(40), None),
        (
            "name 41 chars",
            |s| s.store_name = "あ".repeat(41),
            Some("storeName"),
        ),
        (
            "name blank",
            |s| s.store_name = "   ".into(),
            Some("storeName"),
        ),
        (
            "name newline",
            |s| s.store_name = "a\nb".into(),
            Some("storeName"),
        ),
        ("register ok", |s| s.register_id = "S01-R2".into(), None),
        (
            "register lower",
            |s| s.register_id = "r1".into(),
            Some("registerId"),
        ),
        (
            "register empty",
            |s| s.register_id = String::new(),
            Some("registerId"),
        ),
        (
            "location 32",
            |s| s.location_id = Some("a".repeat(32)),
            None,
        ),
        (
            "location 33",
            |s| s.location_id = Some("a".repeat(33)),
            Some("locationId"),
        ),
        (
            "location space",
            |s| s.location_id = Some("a b".into()),
            Some("locationId"),
        ),
        (
            "location 非ASCII",
            |s| s.location_id = Some("店".into()),
            Some("locationId"),
        ),
        (
            "location empty",
            |s| s.location_id = Some(String::new()),
            Some("locationId"),
        ),
        (
            "front template",
            |s| s.front_url = Some("https://shop.example.jp/thanks?order={orderNo}".into()),
            None,
        ),
        (
            "front http ip",
            |s| s.front_url = Some("http://192.168.1.5:8080/done".into()),
            None,
        ),
        (
            "front ftp",
            |s| s.front_url = Some("ftp://a.jp/x".into()),
            Some("frontUrl"),
        ),
        (
            "front relative",
            |s| s.front_url = Some("/thanks".into()),
            Some("frontUrl"),
        ),
        (
            "front space",
            |s| s.front_url = Some("https://a.jp/a b".into()),
            Some("frontUrl"),
        ),
        (
            "front trailing dot",
            |s| s.front_url = Some("https://a.jp/x.".into()),
            Some("frontUrl"),
        ),
        (
            "front other braces",
            |s| s.front_url = Some("https://a.jp/{amount}".into()),
            Some("frontUrl"),
        ),
        (
            "front no host",
            |s| s.front_url = Some("https://:80/x".into()),
            Some("frontUrl"),
        ),
        ("expiry 3", |s| s.expiry_minutes = 3, None),
        ("expiry 30", |s| s.expiry_minutes = 30, None),
        ("expiry 2", |s| s.expiry_minutes = 2, Some("expiryMinutes")),
        (
            "expiry 31",
            |s| s.expiry_minutes = 31,
            Some("expiryMinutes"),
        ),
        ("poll 250", |s| s.poll_interval_ms = 250, None),
        ("poll 10000", |s| s.poll_interval_ms = 10_000, None),
        (
            "poll 249",
            |s| s.poll_interval_ms = 249,
            Some("pollIntervalMs"),
        ),
        (
            "poll 10001",
            |s| s.poll_interval_ms = 10_001,
            Some("pollIntervalMs"),
        ),
        (
            "addr any",
            |s| s.webhook.address = "0.0.0.0:8791".into(),
            None,
        ),
        ("addr v6", |s| s.webhook.address = "[::1]:8791".into(), None),
        (
            "addr no port",
            |s| s.webhook.address = "127.0.0.1".into(),
            Some("webhook.address"),
        ),
        (
            "addr port 0",
            |s| s.webhook.address = "127.0.0.1:0".into(),
            Some("webhook.address"),
        ),
        (
            "addr name",
            |s| s.webhook.address = "localhost:8791".into(),
            Some("webhook.address"),
        ),
    ];
    for (name, edit, want) in cases {
        let mut s = Settings::default();
        edit(&mut s);
        let got = fields(&s);
        match want {
            None => assert!(got.is_empty(), "{name}: unexpected {got:?}"),
            Some(f) => assert_eq!(got, vec![*f], "{name}"),
        }
    }
}

#[test]
fn all_errors_are_reported_with_readable_messages() {
    let s = Settings {
        store_name: String::new(),
        register_id: "bad id".into(),
        expiry_minutes: 0,
        poll_interval_ms: 0,
        webhook: WebhookSettings {
            address: "nope".into(),
            ..Default::default()
        },
        front_url: Some("x".into()),
        location_id: Some(" ".into()),
        ..Default::default()
    };
    let errs = s.validate().unwrap_err();
    let names: Vec<_> = errs.iter().map(|e| e.field).collect();
    assert_eq!(
        names,
        [
            "storeName",
            "registerId",
            "locationId",
            "frontUrl",
            "expiryMinutes",
            "pollIntervalMs",
            "webhook.address"
        ]
    );
    let expiry = errs.iter().find(|e| e.field == "expiryMinutes").unwrap();
    assert_eq!(
        expiry.to_string(),
        "expiryMinutes: a whole number of minutes from 3 to 30"
    );
    let reg = errs.iter().find(|e| e.field == "registerId").unwrap();
    assert!(reg.allowed.contains("A-Z"), "{reg}");
}

#[test]
fn sanitized_resets_only_bad_fields() {
    let s = Settings {
        store_name: "Kept".into(),
        expiry_minutes: 99,
        front_url: Some("nope".into()),
        ..Default::default()
    };
    let (fixed, reset) = s.sanitized();
    assert_eq!(fixed.store_name, "Kept");
    assert_eq!(fixed.expiry_minutes, 10);
    assert_eq!(fixed.front_url, None);
    assert_eq!(reset.len(), 2);
    assert_eq!(fixed.validate(), Ok(()));
}

#[test]
fn store_missing_file_gives_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let l = SettingsStore::new(dir.path()).load().unwrap();
    assert_eq!(l.settings, Settings::default());
    assert!(l.recovered.is_none());
    assert!(l.reset_fields.is_empty());
}

#[test]
fn store_round_trip_and_no_tmp_left() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::new(dir.path().join("nested"));
    let s = Settings {
        store_name: "新宿店".into(),
        register_id: "S01R2".into(),
        location_id: Some("loc_123".into()),
        front_url: Some("https://shop.example.jp/t?o={orderNo}".into()),
        customer_monitor: Some(1),
        language: Language::En,
        demo_lan: true,
        ..Default::default()
    };
    store.save(&s).unwrap();
    assert_eq!(store.load().unwrap().settings, s);
    assert!(!dir.path().join("nested/settings.json.tmp").exists());
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(text.contains("\"registerId\": \"S01R2\""), "{text}");
}

#[test]
fn save_refuses_invalid_and_keeps_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::new(dir.path());
    store.save(&Settings::default()).unwrap();
    let bad = Settings {
        expiry_minutes: 1,
        poll_interval_ms: 1,
        ..Default::default()
    };
    let e = store.save(&bad).unwrap_err();
    assert!(matches!(e, SettingsError::Invalid(_)), "{:?}", e);
    let msg = e.to_string();
    assert!(
        msg.contains("expiryMinutes") && msg.contains("pollIntervalMs"),
        "{msg}"
    );
    assert_eq!(store.load().unwrap().settings, Settings::default());
}

#[test]
fn unparsable_file_is_kept_aside_and_defaults_used() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::new(dir.path());
    std::fs::write(store.path(), b"{\"storeName\": \"half").unwrap();
    let l = store.load().unwrap();
    assert_eq!(l.settings, Settings::default());
    let err = l.recovered.unwrap();
    assert!(matches!(err, SettingsError::Unparsable { .. }), "{:?}", err);
    let msg = err.to_string();
    assert!(msg.contains("settings.json"), "{msg}");
    let SettingsError::Unparsable { kept_as, .. } = err else {
        panic!("wrong variant")
    };
    let kept_name = kept_as.file_name().unwrap().to_string_lossy().into_owned();
    let ms = kept_name.strip_prefix("settings.json.bad-").unwrap();
    assert!(ms.parse::<i64>().unwrap() > 1_600_000_000_000);
    assert_eq!(std::fs::read(&kept_as).unwrap(), b"{\"storeName\": \"half");
    assert!(!store.path().exists());
    // A wrong type is unparsable too (serde cannot give a partial value).
    std::fs::write(store.path(), br#"{"expiryMinutes":"ten"}"#).unwrap();
    assert!(store.load().unwrap().recovered.is_some());
    let bad_files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(bad_files, 2, "both bad files kept");
}

#[test]
fn invalid_values_in_file_are_reset_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::new(dir.path());
    std::fs::write(store.path(), br#"{"storeName":"Mine","expiryMinutes":99}"#).unwrap();
    let l = store.load().unwrap();
    assert_eq!(l.settings.store_name, "Mine");
    assert_eq!(l.settings.expiry_minutes, 10);
    assert_eq!(l.reset_fields[0].field, "expiryMinutes");
    assert!(store.path().exists(), "a parsable file is not moved");
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

#[test]
fn env_overrides_parse() {
    let mut o = EnvOverrides::from_lookup(env(&[
        ("EASYQR_DATA_DIR", "/srv/pos"),
        ("EASYQR_API_BASE", "http://127.0.0.1:8790"),
        ("ELEPAY_SECRET_KEY", "sk_test_envkey12345678"),
    ]))
    .unwrap();
    assert_eq!(o.data_dir, Some(PathBuf::from("/srv/pos")));
    assert_eq!(o.api_base.as_ref().unwrap().port(), Some(8790));
    assert!(o.secret_key_set());
    let dbg = format!("{o:?}");
    assert!(!dbg.contains("envkey1234"), "{dbg}");
    assert_eq!(o.take_secret_key().unwrap().last4(), "5678");
    assert!(!o.secret_key_set());

    let o = EnvOverrides::from_lookup(env(&[("EASYQR_DATA_DIR", ""), ("ELEPAY_SECRET_KEY", " ")]))
        .unwrap();
    assert!(o.data_dir.is_none() && o.api_base.is_none() && !o.secret_key_set());
}

#[test]
fn env_errors_name_the_variable_and_never_echo_the_value() {
    let errs = EnvOverrides::from_lookup(env(&[
        ("EASYQR_API_BASE", "not a url"),
        ("ELEPAY_SECRET_KEY", "pk_live_leakyvalue999"),
    ]))
    .unwrap_err();
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].variable, "EASYQR_API_BASE");
    assert_eq!(errs[1].variable, "ELEPAY_SECRET_KEY");
    let msg = errs[1].to_string();
    assert!(
        msg.starts_with("ELEPAY_SECRET_KEY: this is a publishable key"),
        "{msg}"
    );
    for e in &errs {
        assert!(!format!("{e} {e:?}").contains("leakyvalue"));
    }
    let errs =
        EnvOverrides::from_lookup(env(&[("EASYQR_API_BASE", "file:///etc/passwd")])).unwrap_err();
    assert_eq!(errs[0].variable, "EASYQR_API_BASE");
}

#[test]
fn data_dir_follows_xdg() {
    let look = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| PathBuf::from(v))
        }
    };
    assert_eq!(
        default_data_dir_from(look(&[("XDG_DATA_HOME", "/x/data"), ("HOME", "/home/u")])),
        Some(PathBuf::from("/x/data/easyqr-pos"))
    );
    assert_eq!(
        default_data_dir_from(look(&[("XDG_DATA_HOME", "rel"), ("HOME", "/home/u")])),
        Some(PathBuf::from("/home/u/.local/share/easyqr-pos"))
    );
    assert_eq!(default_data_dir_from(look(&[])), None);
}
