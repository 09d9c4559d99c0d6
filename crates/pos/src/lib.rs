//! EasyQR POS use cases, free of Tauri: every operation the desktop app and
//! `easyqr-cli` offer is one function here, so a rule about money has one
//! home and every shell (IPC, flags, HTTP) only maps its transport.
//!
//! - [`config`]: data folder, mode and its ledger, settings → engine config;
//! - [`books`]: shifts, X/Z reports, the log, a sale's history, the journal check;
//! - [`export`]: CSV exports written atomically;
//! - [`counter`]: one sale on the customer display at a time;
//! - [`limits`]: the input limits a screen presents, from the rules' constants;
//! - [`register`]: charge (item lines taxed by rate), retry, cancel, refund, reconcile, recovery;
//! - [`receipt`]: receipts (レシート, 領収書, 返金明細) to the printer, text or the print dialog;
//! - [`report_doc`]: an X/Z report laid out for the printer;
//! - [`refund`]: what a refund returns (items or an amount) and its tax;
//! - [`settings_keys`]: settings by dotted key, for scripts;
//! - [`station`]: the app's start-up, settings, keys and webhook receiver;
//! - [`hq`]: the head-office link (enrolment, journal shipping, HQ's events);
//! - [`codes`] and [`error`]: the one vocabulary of error codes and exit codes.

pub mod books;
pub mod codes;
pub mod config;
pub mod counter;
pub mod error;
pub mod export;
pub mod hq;
pub mod limits;
pub mod receipt;
pub mod refund;
pub mod register;
pub mod report_doc;
pub mod settings_keys;
pub mod station;

pub use books::{AttemptRef, Books, ShiftStatus};
pub use codes::{exit_code_table, ErrorCode, Outcome};
pub use config::{Access, Mode, RegisterConfig};
pub use error::{PosError, Result};
pub use export::Export;
pub use hq::{HqLink, HqStatus, LinkState};
pub use limits::InputLimits;
pub use refund::{RefundRequest, ReturnItem};
pub use register::{CancelResult, ChargeRequest, CheckedCharge, Item, Register};
pub use station::{StartOptions, StartupChecks, Station};
