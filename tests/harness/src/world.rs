//! A real simulator on loopback, a real ledger file, an engine over both.

use std::sync::Arc;
use std::time::Duration;

use easyqr_engine::*;
use easyqr_ledger::{Attempt, AttemptId, AttemptState, Ledger, OrderPrefix};
use elepay::{Client, ClientConfig, SecretKey};
use serde_json::{json, Value};

pub const KEY: &str = "sk_test_engine00001";

pub struct World {
    pub sim: elepay_sim::RunningSim,
    pub control: elepay_sim::SimControl,
    pub engine: Engine,
    pub ledger: Arc<Ledger>,
    pub dir: tempfile::TempDir,
}

pub fn client_for(sim: &elepay_sim::RunningSim) -> Client {
    Client::new(
        SecretKey::parse(KEY).unwrap(),
        ClientConfig {
            timeout: Duration::from_millis(800),
            ..crate::client::fast_config(&sim.base_url(), 2)
        },
    )
    .unwrap()
}

pub fn config() -> EngineConfig {
    let mut c = EngineConfig::new(OrderPrefix::new("S01R1").unwrap(), "R1");
    c.poll_interval = Duration::from_millis(20);
    c.max_backoff = Duration::from_millis(100);
    c.expiry_minutes = 3;
    c.location_id = Some("loc_store1".into());
    c.front_url_template = Some("https://shop.example.jp/thanks?order={orderNo}".into());
    c
}

pub async fn world() -> World {
    world_with(config()).await
}

/// A world whose register R1 has a shift open (no sale happens outside one).
pub async fn world_with(cfg: EngineConfig) -> World {
    let w = world_without_shift(cfg).await;
    w.ledger
        .open_shift("R1", "テスト", SystemClock.now_ms())
        .unwrap();
    w
}

/// A world where no shift is open yet.
pub async fn world_without_shift(cfg: EngineConfig) -> World {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap());
    let engine = Engine::new(ledger.clone(), client_for(&sim), Arc::new(SystemClock), cfg).unwrap();
    World {
        control: sim.control(),
        sim,
        engine,
        ledger,
        dir,
    }
}

impl World {
    /// A second engine over the same ledger and simulator: the app "after a
    /// restart" (the first engine's pollers may still run).
    pub fn restarted(&self) -> Engine {
        self.restarted_with_clock(Arc::new(SystemClock))
    }

    /// [`World::restarted`] on a clock the test moves.
    pub fn restarted_with_clock(&self, clock: Arc<dyn Clock>) -> Engine {
        Engine::new(self.ledger.clone(), client_for(&self.sim), clock, config()).unwrap()
    }

    /// The shift open on R1.
    pub fn shift(&self) -> easyqr_ledger::ShiftId {
        self.ledger
            .current_shift("R1")
            .unwrap()
            .expect("a shift is open")
    }

    /// Closes R1's shift and opens the next one (cashier `cashier`).
    pub fn next_shift(&self, cashier: &str) -> easyqr_ledger::ShiftId {
        let now = self.engine.now_ms();
        self.ledger.close_shift("R1", now).unwrap();
        self.ledger.open_shift("R1", cashier, now).unwrap()
    }

    /// Waits (bounded) until the attempt reaches `state`.
    pub async fn wait_state(&self, id: AttemptId, state: AttemptState) -> Attempt {
        for _ in 0..500 {
            let a = self.ledger.attempt(id).unwrap();
            if a.state == state {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "attempt {id} never became {state}; it is {}",
            self.ledger.attempt(id).unwrap().state
        );
    }

    pub fn fault(&self, endpoint: &str, kind: elepay_sim::FaultKind, count: u32) {
        let mut f = elepay_sim::FaultSpec::new(endpoint, kind);
        f.count = count;
        self.control.add_fault(f).unwrap();
    }

    pub fn sim_codes(&self) -> Vec<Value> {
        self.control.codes()
    }

    /// The status the simulator holds for code `code_id`.
    pub fn sim_status(&self, code_id: &str) -> Value {
        self.sim_codes()
            .into_iter()
            .find(|c| c["id"] == code_id)
            .map(|c| c["status"].clone())
            .unwrap_or_else(|| panic!("the simulator has no code {code_id}"))
    }

    /// Journal rows recording a move of `id` to `state`.
    pub fn journal_moves_to(&self, id: AttemptId, state: &str) -> i64 {
        self.ledger.with_connection(|c| {
            c.query_row(
                "SELECT count(*) FROM journal WHERE attempt_id = ?1 AND json_extract(payload, '$.to') = ?2",
                rusqlite::params![id, state],
                |r| r.get(0),
            )
            .unwrap()
        })
    }
}

pub fn amount(y: i64) -> elepay::Amount {
    elepay::Amount::new(y).unwrap()
}

pub fn json_body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

pub fn event_json(id: &str, order_no: &str, amount: i64, location: &str) -> Value {
    json!({
        "id": id, "object": "event", "createTime": 0, "liveMode": false, "type": "charge.succeeded",
        "data": { "object": { "id": "cha_forged", "object": "charge", "amount": amount, "status": "captured",
                               "orderNo": order_no, "location": { "id": location } } }
    })
}
