//! Japanese consumption tax (消費税) for a register, as one pure rule:
//!
//! - [`TaxRate`]: standard 10 %, reduced 8 %, free 0 % (elepay's
//!   `TaxRateType` names);
//! - [`TaxPolicy`]: tax-included (総額表示) or tax-excluded prices, and the
//!   rounding (`floor`, `ceil`, `round5`: elepay's `TaxCalcType` names);
//! - [`Breakdown::compute`]: the tax of a receipt, computed **once per
//!   rate over the receipt's lines, never per line** (消費税法施行令 70条の10);
//!   a refund's tax is the same rule over the returned lines alone;
//! - [`RegistrationNumber`]: the store's invoice registration number
//!   (`T` + 13 digits, with the 法人番号 check digit warned about).
//!
//! Nothing here does I/O: the ledger records what this computes, and every
//! receipt, report and export reads that record.

mod breakdown;
mod error;
mod line;
mod policy;
mod rate;
mod regno;

pub use breakdown::{Breakdown, RateTotal};
pub use error::InputError;
pub use line::{Line, LINES_MAX, NAME_MAX, QTY_MAX, UNIT_PRICE_MAX};
pub use policy::{Pricing, Rounding, TaxPolicy};
pub use rate::TaxRate;
pub use regno::{RegistrationNumber, Warning};
