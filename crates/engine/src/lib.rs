//! Checkout engine of EasyQR POS, free of Tauri: charge → create code →
//! commit → show → watch until captured / closed / expired; cancel; webhook
//! intake; crash recovery. See PRODUCT.md §3–4.

mod clock;
mod config;
mod engine;
mod events;
mod reconcile;
mod refund;
pub mod webhook;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::EngineConfig;
pub use engine::{CancelOutcome, Checkout, Engine, EngineError, RecoveryReport, WebhookOutcome};
pub use events::{CashierEvent, CustomerEvent, EngineEvent};
pub use reconcile::{Difference, Reconciliation};
