//! Japanese receipts for the register, in three layers, each a plain
//! function of the one before:
//!
//! - [`layout`]: what a sale or refund recorded → a [`Doc`] (lines of text
//!   with alignment, emphasis and size) for a paper [`Width`]: the
//!   レシート (適格簡易請求書), the 領収書 and the 返金明細, always in
//!   Japanese;
//! - [`encode`]: a [`Doc`] → ESC/POS bytes for Epson's Japanese TM printers
//!   (Shift_JIS restricted to JIS X 0208; anything else prints as 〓);
//! - [`print`]: bytes → the printer at a [`PrinterUrl`] (`tcp://` or a
//!   device file), after asking a TCP printer whether it can print.
//!
//! No Tauri, no ledger: the caller hands in what the ledger recorded.

mod charset;
mod doc;
mod escpos;
mod receipt;
mod transport;

pub use charset::{printer_char, PrinterChar, REPLACEMENT};
pub use doc::{columns, wrap, Align, Doc, DocLine, Size, Style, Width};
pub use escpos::encode;
pub use receipt::{
    layout, yen, Issuer, Receipt, ReceiptKind, RefundFacts, SaleFacts, NOT_AN_INVOICE,
};
pub use transport::{print, status, PrinterError, PrinterStatus, PrinterUrl, DEFAULT_PORT};
