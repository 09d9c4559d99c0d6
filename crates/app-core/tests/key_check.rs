//! `verify_key` against the real simulator over HTTP, plus the rule that the
//! raw key never shows up anywhere a person or the UI could see it.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use easyqr_app_core::secrets::{
    verify_key, FileStore, KeyCheckError, KeyManager, MemoryStore, SecretStore, StorableKey,
    WebhookSecrets,
};
use elepay_sim::{FaultKind, FaultSpec, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GOOD: &str = "sk_test_appcoreGOOD7731";
const UNKNOWN: &str = "sk_test_appcoreNOPE4242";
const T0: i64 = 1_800_000_000_000;

async fn sim() -> elepay_sim::RunningSim {
    elepay_sim::start(
        SimConfig {
            secret_keys: vec![GOOD.into()],
            ..Default::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

fn key(s: &str) -> StorableKey {
    StorableKey::parse(s).unwrap()
}

#[tokio::test]
async fn accepted_key_verifies() {
    let sim = sim().await;
    verify_key(&sim.base_url(), key(GOOD).key()).await.unwrap();
}

#[tokio::test]
async fn unknown_key_is_refused_with_400_or_401() {
    let sim = sim().await;
    for status in [400, 401] {
        sim.control().set_auth_error_status(status).unwrap();
        let e = verify_key(&sim.base_url(), key(UNKNOWN).key())
            .await
            .unwrap_err();
        assert_eq!(e, KeyCheckError::Refused { status });
        assert!(matches!(e, KeyCheckError::Refused { .. }), "{:?}", e);
        assert!(e.to_string().starts_with("elepay refused this key"), "{e}");
    }
}

#[tokio::test]
async fn rotated_out_key_is_refused_after_elepays_overlap() {
    let sim = sim().await;
    let new = "sk_test_appcoreNEW00009";
    sim.control().rotate_key(new, 1000).unwrap();
    // Both valid during the overlap, as elepay documents.
    verify_key(&sim.base_url(), key(GOOD).key()).await.unwrap();
    verify_key(&sim.base_url(), key(new).key()).await.unwrap();
    sim.control().advance_clock(1001).unwrap();
    let e = verify_key(&sim.base_url(), key(GOOD).key())
        .await
        .unwrap_err();
    assert!(matches!(e, KeyCheckError::Refused { .. }), "{:?}", e);
    verify_key(&sim.base_url(), key(new).key()).await.unwrap();
}

#[tokio::test]
async fn server_trouble_is_unverified_not_invalid() {
    let sim = sim().await;
    let mut f = FaultSpec::new("listCodePaymentMethods", FaultKind::Http5xx);
    f.count = 5;
    sim.control().add_fault(f).unwrap();
    let e = verify_key(&sim.base_url(), key(GOOD).key())
        .await
        .unwrap_err();
    assert!(matches!(e, KeyCheckError::Unreachable { .. }), "{:?}", e);
    assert!(e.to_string().contains("HTTP 500"), "{e}");
}

#[tokio::test]
async fn nothing_listening_is_unverified() {
    // Bind then drop to get a port that refuses connections.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let e = verify_key(&base, key(GOOD).key()).await.unwrap_err();
    assert!(matches!(e, KeyCheckError::Unreachable { .. }), "{e:?}");
    assert!(matches!(e, KeyCheckError::Unreachable { .. }), "{:?}", e);
    assert!(e.to_string().contains("127.0.0.1"), "{e}");
}

/// A wrong API address pointing at something that echoes the request (a
/// debugging proxy, httpbin) must not turn the Authorization header into
/// an error message.
async fn echo_server(status: &'static str) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                let body = serde_json::json!({
                    "errorCode": "X999999",
                    "message": req,
                    "requestId": req,
                    "parameterName": req,
                })
                .to_string();
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    url::Url::parse(&format!("http://{addr}/")).unwrap()
}

#[tokio::test]
async fn echoed_key_never_reaches_an_error() {
    for status in ["400 Bad Request", "500 Internal Server Error", "200 OK"] {
        let base = echo_server(status).await;
        let k = key(GOOD);
        let result = verify_key(&base, k.key()).await;
        if status.starts_with("200") {
            // An echo of the right shape is not an elepay answer either; if
            // it ever decodes, there is simply no error to leak through.
            if let Err(e) = &result {
                assert!(matches!(e, KeyCheckError::Unreachable { .. }), "{:?}", e);
            }
        } else {
            assert!(
                matches!(
                    result.as_ref().unwrap_err(),
                    KeyCheckError::Unreachable { .. }
                ),
                "{:?}",
                result.as_ref().unwrap_err()
            );
        }
        if let Err(e) = result {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("GOOD7731"), "{status}: {shown}");
            assert!(!shown.contains("appcore"), "{status}: {shown}");
        }
    }
}

/// Everything the UI or a log could receive, for a store holding a current
/// and a previous key.
#[test]
fn raw_keys_never_appear_in_debug_status_json_or_errors() {
    let secret_part = ["appcoreOLD", "appcoreNEW", "pk_live_appcoreNOPE"];
    let mut shown: Vec<String> = Vec::new();

    let dir = tempfile::tempdir().unwrap();
    for store in [
        Arc::new(MemoryStore::default()) as Arc<dyn SecretStore>,
        Arc::new(FileStore::new(dir.path())),
    ] {
        let m = KeyManager::new(store.clone());
        let old = key("sk_live_appcoreOLD0001");
        let new = key("sk_test_appcoreNEW0002");
        shown.push(format!("{old:?} {new:?} {m:?}"));
        m.install(old, T0).unwrap();
        let status = m.install(new, T0 + 1).unwrap();
        shown.push(format!("{status:?}"));
        shown.push(serde_json::to_string(&status).unwrap());
        shown.push(format!("{:?}", m.current().unwrap()));
        shown.push(format!("{:?}", m.previous(T0 + 2).unwrap()));
        shown.push(format!("{:?}", store.get("elepay.current").unwrap()));
        shown.push(format!(
            "{}",
            store.get("elepay.previous").unwrap().unwrap()
        ));
        let w = WebhookSecrets::new(store.clone());
        w.add("whsec_appcoreOLD_hook").unwrap();
        shown.push(format!(
            "{w:?} {:?} {:?}",
            w.list().unwrap(),
            w.signing_secrets().unwrap()
        ));
        assert_eq!(status.previous_last4.as_deref(), Some("0001"));
        assert_eq!(status.mode, Some("test"));
        assert_eq!(status.previous_mode, Some("live"));
    }

    // Refusals and damaged stores.
    let e = StorableKey::parse("pk_live_appcoreNOPE9999").unwrap_err();
    shown.push(format!("{e} {e:?}"));
    let mem = MemoryStore::default();
    mem.set("elepay.current", "sk_live appcoreOLD0001").unwrap();
    let e = KeyManager::new(Arc::new(mem)).status(T0).unwrap_err();
    shown.push(format!("{e} {e:?}"));
    let file = FileStore::new(dir.path());
    std::fs::write(file.path(), "\"sk_live_appcoreOLD0001\"").unwrap();
    let e = file.get("elepay.current").unwrap_err();
    shown.push(format!("{e} {e:?}"));
    let env = easyqr_app_core::EnvOverrides::from_lookup(|n| {
        (n == "ELEPAY_SECRET_KEY").then(|| "pk_live_appcoreNOPE9999".to_string())
    })
    .unwrap_err();
    shown.push(format!("{env:?}"));
    let env = easyqr_app_core::EnvOverrides::from_lookup(|n| {
        (n == "ELEPAY_SECRET_KEY").then(|| "sk_live_appcoreOLD0001".to_string())
    })
    .unwrap();
    shown.push(format!("{env:?}"));

    for s in &shown {
        for p in secret_part {
            assert!(!s.contains(p), "leaked {p:?} in {s}");
        }
    }
    // And the check is not vacuous: the tails are there.
    assert!(shown.iter().any(|s| s.contains("0002")));
}
