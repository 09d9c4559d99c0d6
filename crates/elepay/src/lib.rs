//! Typed client for elepay's Code (EasyQR) API.
//!
//! - [`Client`]: createCode / retrieveCode / closeCode, charges, refunds and
//!   the EasyQR payment-method list, with Basic or Bearer auth.
//! - [`Error`]: separates "the API said no" from "outcome unknown" from
//!   "never sent" from "undecodable", which is what a caller handling money
//!   has to know.
//! - [`webhook`]: event envelope and `elepay-signature` verification.
//!
//! Nothing here knows about Tauri, SQLite or the UI.

mod client;
mod error;
mod key;
mod model;
mod retry;
mod validate;
pub mod webhook;

pub use client::{BuildError, Client, ClientConfig, Language, DEFAULT_BASE_URL};
pub use error::{ApiError, Error, ErrorCode, Operation, ProviderError};
pub use key::{AuthScheme, KeyError, Mode, SecretKey};
pub use model::*;
pub use retry::{backoff, RetryPolicy};
pub use validate::{
    check_description, check_location_id, is_elepay_url, Amount, OrderNo, ValidationError,
    DESCRIPTION_MAX, LOCATION_ID_MAX,
};
