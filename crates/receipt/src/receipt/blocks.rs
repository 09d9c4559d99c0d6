//! The pieces every receipt kind shares: the store's header, the sale's
//! date and register, item lines, totals and the tax per rate.

use easyqr_tax::{Breakdown, Line, Pricing, TaxRate};

use super::{Issuer, SaleFacts};
use crate::doc::{Doc, Size, Style};

/// Printed after the rate lines when an item is marked ※.
pub(super) const REDUCED_LEGEND: &str = "※は軽減税率対象";
/// Printed instead of tax figures for a sale whose rates were not recorded.
const RATES_NOT_RECORDED: &str = "税率区分の記録なし";

/// Yen as receipts print it: `¥1,358`, `-¥500`.
pub fn yen(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 6);
    if n < 0 {
        out.push('-');
    }
    out.push('¥');
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The store: name (title size), free header text, address, phone and
/// registration number, each when given.
pub(super) fn header(doc: &mut Doc, issuer: &Issuer) {
    if let Some(name) = given(Some(&issuer.name)) {
        doc.title(name);
    }
    if let Some(text) = given(issuer.header.as_ref()) {
        doc.center(text);
    }
    if let Some(address) = given(issuer.address.as_ref()) {
        doc.center(address);
    }
    if let Some(phone) = given(issuer.phone.as_ref()) {
        doc.center(&format!("TEL {phone}"));
    }
    if let Some(number) = given(issuer.registration_number.as_ref()) {
        doc.center(&format!("登録番号 {number}"));
    }
}

/// `text` trimmed, when there is any.
fn given(text: Option<&String>) -> Option<&str> {
    text.map(|t| t.trim()).filter(|t| !t.is_empty())
}

/// 「レジ S01R1  担当 佐藤」 (担当 only when known).
pub(super) fn register_line(sale: &SaleFacts) -> String {
    match given(sale.cashier.as_ref()) {
        Some(cashier) => format!("レジ {}  担当 {cashier}", sale.register),
        None => format!("レジ {}", sale.register),
    }
}

/// The sale's date and time, register and cashier, and order number.
pub(super) fn meta(doc: &mut Doc, sale: &SaleFacts) {
    doc.text(&sale.at)
        .text(&register_line(sale))
        .text(&format!("注文番号 {}", sale.order_no));
}

/// The item lines, or one 「お品代」 line for `amount` when there are none.
/// A reduced-rate item is marked ※, only when the rates were recorded.
/// Answers whether anything was marked.
pub(super) fn item_lines(
    doc: &mut Doc,
    lines: &[Line],
    amount: i64,
    breakdown: Option<&Breakdown>,
) -> bool {
    if lines.is_empty() {
        let reduced = breakdown.and_then(Breakdown::single_rate) == Some(TaxRate::Reduced);
        doc.row(&marked("お品代", reduced), &yen(amount));
        return reduced;
    }
    let mut any = false;
    for line in lines {
        let reduced = breakdown.is_some() && line.rate == TaxRate::Reduced;
        any |= reduced;
        let name = marked(line.name.trim(), reduced);
        if line.qty > 1 {
            doc.text(&name).row(
                &format!("  {} × {}", line.qty, yen(line.unit_price)),
                &yen(line.amount()),
            );
        } else {
            doc.row(&name, &yen(line.amount()));
        }
    }
    any
}

fn marked(name: &str, reduced: bool) -> String {
    if reduced {
        format!("{name}※")
    } else {
        name.to_owned()
    }
}

/// The figures under the item lines.
#[derive(Debug)]
pub(super) struct Totals<'a> {
    /// 「合計」, 「返金額」.
    pub label: &'a str,
    pub amount: i64,
    pub breakdown: Option<&'a Breakdown>,
    /// Whether item lines were printed (else one 「お品代」 line).
    pub itemised: bool,
    /// Whether to explain the ※ mark.
    pub legend: bool,
}

/// Tax-included: the total (big), then each rate's amount and the tax in
/// it. Tax-excluded: 小計 (Σ net), each rate's amount and its tax, then the
/// total.
pub(super) fn totals(doc: &mut Doc, t: &Totals<'_>) {
    let total = Style::NORMAL.bold().size(Size::Tall);
    match t.breakdown.filter(|_| t.itemised) {
        Some(b) if b.pricing == Pricing::Excluded => {
            let net: i64 = b.rates.iter().map(|r| r.net).sum();
            doc.row("小計", &yen(net));
            rate_lines(doc, Some(b), true);
            doc.row_styled(t.label, &yen(t.amount), total);
        }
        _ => {
            doc.row_styled(t.label, &yen(t.amount), total);
            rate_lines(doc, t.breakdown, t.itemised);
        }
    }
    if t.legend {
        doc.text(REDUCED_LEGEND);
    }
}

/// Per rate present, in [`TaxRate::ALL`] order: 「10%対象 ¥960 内消費税 ¥87」
/// (「消費税」 when tax was added to itemised prices), 「非課税 ¥220」; or
/// 「税率区分の記録なし」 when the rates were not recorded.
pub(super) fn rate_lines(doc: &mut Doc, breakdown: Option<&Breakdown>, itemised: bool) {
    let Some(b) = breakdown else {
        doc.text(RATES_NOT_RECORDED);
        return;
    };
    // An amount-only sale's amount includes the tax, whatever the pricing.
    let tax = if itemised && b.pricing == Pricing::Excluded {
        "消費税"
    } else {
        "内消費税"
    };
    for rate in TaxRate::ALL {
        let Some(r) = b.rate(rate) else { continue };
        if rate == TaxRate::Free {
            doc.text(&format!("非課税 {}", yen(r.gross)));
        } else {
            doc.row(
                // " 8%対象" under "10%対象": the amounts line up.
                &format!("{:>3}対象 {}", rate.label(), yen(r.gross)),
                &format!("{tax} {}", yen(r.tax)),
            );
        }
    }
}
