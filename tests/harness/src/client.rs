//! Typed `elepay::Client`s for a simulator, with fast retries, and its
//! admin controls over HTTP.

use std::time::Duration;

use elepay::{AuthScheme, Client, ClientConfig, Language, RetryPolicy, SecretKey};
use serde_json::{json, Value};
use url::Url;

pub const KEY: &str = "sk_test_integration0001";

/// A client configuration for `base` that retries `max_retries` times within
/// milliseconds, so fault tests run fast.
pub fn fast_config(base: &Url, max_retries: u32) -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        ..ClientConfig::with_base_url(base.clone())
    }
}

pub struct Sim {
    pub running: elepay_sim::RunningSim,
    pub base: Url,
    admin: reqwest::Client,
}

pub async fn sim() -> Sim {
    sim_with(crate::sim::live_config(KEY)).await
}

pub async fn sim_with(config: elepay_sim::SimConfig) -> Sim {
    let running = crate::sim::start(config).await;
    let base = running.base_url();
    Sim {
        running,
        base,
        admin: reqwest::Client::new(),
    }
}

impl Sim {
    pub fn config(&self) -> ClientConfig {
        fast_config(&self.base, 3)
    }

    pub fn client(&self) -> Client {
        self.client_with(KEY, |_| {})
    }

    pub fn client_with(&self, key: &str, f: impl FnOnce(&mut ClientConfig)) -> Client {
        let mut c = self.config();
        f(&mut c);
        Client::new(SecretKey::parse(key).unwrap(), c).unwrap()
    }

    pub fn basic_client(&self) -> Client {
        self.client_with(KEY, |c| c.auth = AuthScheme::Basic)
    }

    pub fn en_client(&self) -> Client {
        self.client_with(KEY, |c| c.language = Language::En)
    }

    /// POST to a `/_sim/` admin endpoint; returns status and JSON (or Null).
    pub async fn admin(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .admin
            .post(self.base.join(path).unwrap())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        self.admin
            .get(self.base.join(path).unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn pay(&self, code_id: &str, method: &str) -> Value {
        let (s, v) = self
            .admin(
                &format!("/_sim/codes/{code_id}/pay"),
                json!({ "paymentMethod": method }),
            )
            .await;
        assert_eq!(s, 200, "pay failed: {v}");
        v
    }

    pub async fn advance(&self, ms: i64) {
        let (s, _) = self.admin("/_sim/clock/advance", json!({ "ms": ms })).await;
        assert_eq!(s, 200);
    }

    pub async fn fault(&self, spec: Value) {
        let (s, v) = self.admin("/_sim/faults", spec).await;
        assert!((200..300).contains(&s), "fault refused: {v}");
    }

    /// Every code the simulator holds, as JSON objects.
    pub async fn codes(&self) -> Vec<Value> {
        let v = self.admin_get("/_sim/codes").await;
        match v {
            Value::Array(a) => a,
            Value::Object(mut o) => match o.remove("codes") {
                Some(Value::Array(a)) => a,
                _ => panic!("unexpected /_sim/codes shape"),
            },
            other => panic!("unexpected /_sim/codes shape: {other}"),
        }
    }
}

pub fn code_req(amount: i64, order_no: &str) -> elepay::CodeReq {
    elepay::CodeReq::new(
        elepay::Amount::new(amount).unwrap(),
        elepay::OrderNo::new(order_no).unwrap(),
    )
}
