//! The Japanese receipt layouts, built from what the ledger recorded:
//!
//! - [`ReceiptKind::Invoice`]: 「レシート」, a 適格簡易請求書 when the store
//!   has a registration number (said plainly when it has none);
//! - [`ReceiptKind::Ryoshusho`]: 「領収書」 to an addressee, for a purpose;
//! - [`ReceiptKind::Refund`]: 「返金明細」, what was returned and the tax in
//!   it, per rate.
//!
//! Figures are printed as recorded, never recomputed: a sale whose rates
//! were not recorded says so instead of guessing its tax.

mod blocks;
#[cfg(test)]
mod tests;

use easyqr_tax::{Breakdown, Line};
use serde::{Deserialize, Serialize};

use crate::doc::{Align, Doc, Size, Style, Width};
use blocks::{header, item_lines, meta, rate_lines, register_line, totals, Totals};

pub use blocks::yen;

/// Printed on a receipt of a store without a registration number.
pub const NOT_AN_INVOICE: &str = "※本書は適格請求書ではありません";

/// The store, as its receipts name it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issuer {
    pub name: String,
    /// Already validated: `T` + 13 digits.
    pub registration_number: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// Free text under the store's details.
    pub header: Option<String>,
    /// Free text at the end of the receipt.
    pub footer: Option<String>,
}

/// A sale as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleFacts {
    /// Local date and time, already formatted: `2026年12月05日(土) 14:03`.
    pub at: String,
    pub register: String,
    pub cashier: Option<String>,
    pub order_no: String,
    /// Empty for an amount-only sale.
    pub lines: Vec<Line>,
    /// `None`: an older sale whose rate was not recorded.
    pub breakdown: Option<Breakdown>,
    pub total: i64,
    /// The wallet's display name (`PayPay`), when known.
    pub wallet: Option<String>,
}

/// A refund of (part of) a sale, as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundFacts {
    pub refund_no: i64,
    /// Local date and time of the refund, already formatted.
    pub at: String,
    /// The lines returned; empty for a refund by amount.
    pub lines: Vec<Line>,
    pub breakdown: Option<Breakdown>,
    pub amount: i64,
    /// The sale's total minus all its refunds so far, this one included.
    pub sale_net_after: i64,
}

/// Which document to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum ReceiptKind {
    Invoice,
    #[serde(rename_all = "camelCase")]
    Ryoshusho {
        /// `山田商事` (printed as 「山田商事 様」); `None`: a blank to fill in.
        addressee: Option<String>,
        /// `お品代` (printed as 「但し お品代として」).
        purpose: String,
    },
    Refund(RefundFacts),
}

/// Everything one printed document shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub issuer: Issuer,
    pub sale: SaleFacts,
    pub kind: ReceiptKind,
    /// 1: the first issue; 2 and more: a reprint.
    pub copy: u32,
}

/// The receipt as lines for `width`.
pub fn layout(r: &Receipt, width: Width) -> Doc {
    let mut doc = Doc::new(width);
    if r.copy >= 2 {
        doc.line("＊＊ 再発行 ＊＊", big().align(Align::Center))
            .blank();
    }
    header(&mut doc, &r.issuer);
    let invoice = r.issuer.registration_number.is_some();
    match &r.kind {
        ReceiptKind::Invoice => sale_receipt(&mut doc, r, invoice),
        ReceiptKind::Ryoshusho { addressee, purpose } => {
            ryoshusho(&mut doc, r, invoice, addressee.as_deref(), purpose);
        }
        ReceiptKind::Refund(refund) => refund_slip(&mut doc, r, invoice, refund),
    }
    if let Some(footer) = r.issuer.footer.as_deref().filter(|f| !f.trim().is_empty()) {
        doc.blank().center(footer.trim());
    }
    doc
}

/// Double size, bold.
fn big() -> Style {
    Style::NORMAL.bold().size(Size::Double)
}

/// 「レシート」: a 適格簡易請求書 when the store is registered.
fn sale_receipt(doc: &mut Doc, r: &Receipt, invoice: bool) {
    let sale = &r.sale;
    doc.blank().title("レシート");
    doc.center(if invoice {
        "適格簡易請求書"
    } else {
        NOT_AN_INVOICE
    });
    doc.blank();
    meta(doc, sale);
    doc.rule();
    let marked = item_lines(doc, &sale.lines, sale.total, sale.breakdown.as_ref());
    doc.rule();
    totals(
        doc,
        &Totals {
            label: "合計",
            amount: sale.total,
            breakdown: sale.breakdown.as_ref(),
            itemised: !sale.lines.is_empty(),
            legend: marked,
        },
    );
    if let Some(wallet) = sale.wallet.as_deref() {
        doc.row(&format!("お支払い {wallet}"), &yen(sale.total));
    }
}

/// 「領収書」: to an addressee (or a blank to fill in), the amount big, the
/// purpose, and the tax per rate.
fn ryoshusho(doc: &mut Doc, r: &Receipt, invoice: bool, addressee: Option<&str>, purpose: &str) {
    let sale = &r.sale;
    doc.blank().title("領収書");
    if !invoice {
        doc.center(NOT_AN_INVOICE);
    }
    doc.blank();
    let to = match addressee.map(str::trim).filter(|a| !a.is_empty()) {
        Some(name) => format!("{name} 様"),
        // Room for a name written by hand.
        None => format!("{}様", "\u{3000}".repeat(10)),
    };
    doc.line(&to, Style::NORMAL.bold().size(Size::Tall)).rule();
    doc.blank()
        .line(&format!("{}-", yen(sale.total)), big().align(Align::Center))
        .blank();
    // 「但し …として」, whether the purpose was given with its として or not.
    let purpose = match purpose.trim() {
        "" => "お品代",
        p => p.strip_suffix("として").unwrap_or(p),
    };
    doc.text(&format!("但し {purpose}として"))
        .text("上記正に領収いたしました")
        .blank();
    meta(doc, sale);
    doc.rule();
    // 取引内容: a 領収書 is a simplified invoice too, so it lists what was
    // bought, reduced-rate items marked, not only 「お品代」.
    let mut marked = false;
    if !sale.lines.is_empty() {
        marked = item_lines(doc, &sale.lines, sale.total, sale.breakdown.as_ref());
        doc.rule();
    }
    rate_lines(doc, sale.breakdown.as_ref(), !sale.lines.is_empty());
    if marked {
        doc.text(blocks::REDUCED_LEGEND);
    }
    if let Some(wallet) = sale.wallet.as_deref() {
        doc.row(&format!("お支払い {wallet}"), &yen(sale.total));
    }
}

/// 「返金明細」: which sale, what was returned, the amount and tax returned
/// per rate, and what the sale comes to now.
fn refund_slip(doc: &mut Doc, r: &Receipt, invoice: bool, refund: &RefundFacts) {
    let sale = &r.sale;
    doc.blank().title("返金明細");
    if !invoice {
        doc.center(NOT_AN_INVOICE);
    }
    doc.blank();
    doc.text(&refund.at)
        .text(&format!("返金番号 {}", refund.refund_no))
        .text(&format!("元の注文番号 {}", sale.order_no))
        .row("元のお取引", &sale.at)
        .text(&register_line(sale))
        .rule();
    let marked = item_lines(doc, &refund.lines, refund.amount, refund.breakdown.as_ref());
    doc.rule();
    totals(
        doc,
        &Totals {
            label: "返金額",
            amount: refund.amount,
            breakdown: refund.breakdown.as_ref(),
            itemised: !refund.lines.is_empty(),
            legend: marked,
        },
    );
    if let Some(wallet) = sale.wallet.as_deref() {
        doc.text(&format!("返金先 {wallet}"));
    }
    doc.rule()
        .row("返金後のお取引金額", &yen(refund.sale_net_after));
}
