//! The register's side of the head-office link (docs/HQ-PROTOCOL.md):
//! enrolment, the journal shipper, HQ's event stream into the webhook inbox,
//! and the link's one status value.
//!
//! - [`client`]: the HTTP calls and their typed answers and errors;
//! - [`batch`]: how many journal rows go in one batch (bytes), and how a
//!   refused batch is split (pure);
//! - [`sse`]: the Server-Sent Events parser (pure);
//! - [`status`]: [`HqStatus`] and how each fact moves it (pure);
//! - [`shipper`], [`stream`]: the two tasks of a running link;
//! - [`link`]: [`HqLink`], a running link (usable without a `Station`);
//! - [`enrol`]: enrol / unenrol, and the CLI's one-shot status and ship.
//!
//! The token is an `HqToken`: it never prints itself, and it only leaves
//! Rust in an `Authorization` header.

pub mod batch;
pub mod client;
pub mod enrol;
pub mod link;
pub mod shipper;
pub mod sse;
pub mod status;
mod stream;

pub use batch::{BatchLimit, MAX_BATCH_BYTES, MAX_BATCH_ROWS};
pub use client::{Diverged, HqClient, HqError, Me, MeStore, ShipAnswer};
pub use enrol::{check_enrolment, identity_mismatch, probe_status, ship_once, Enrolment};
pub use link::HqLink;
pub use shipper::{ship_backlog, ship_backlog_within, ShipReport};
pub use status::{HqStatus, LinkState};
