//! Checkout engine of EasyQR POS, free of Tauri: charge → create code →
//! commit → show → watch until captured / closed / expired; cancel; webhook
//! intake; crash recovery; refunds; reconciliation. See PRODUCT.md §3–4.
//!
//! `decision` holds what the engine decides (pure, table-tested); each use
//! case is one module around it; [`Engine`] itself only holds the shared
//! state and the event channel. [`receiver`] is the optional HTTP webhook
//! receiver.

mod cancel;
mod charge;
mod clock;
mod config;
mod decision;
mod engine;
mod error;
mod events;
mod inbox;
pub mod receiver;
mod reconcile;
mod recovery;
mod refund;
mod throttle;
mod watch;
mod webhook_apply;

pub use cancel::CancelOutcome;
pub use charge::Checkout;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{EngineConfig, PUSH_POLL_INTERVAL, PUSH_SILENCE_LIMIT, PUSH_SLOW_POLL_INTERVAL};
pub use decision::WebhookOutcome;
pub use engine::Engine;
pub use error::EngineError;
pub use events::{CashierEvent, CustomerEvent, EngineEvent};
pub use reconcile::{Difference, Reconciliation};
pub use recovery::RecoveryReport;
