//! An X/Z report laid out for the receipt printer (and the print dialog),
//! in Japanese like every receipt: the figures the ledger kept, by rate
//! with their tax, then 総売上 / 返金 / 純売上, 客数 and 客単価.

use easyqr_app_core::settings::Settings;
use easyqr_ledger::{local_time, ByRate, ShiftId, ShiftReport, StateTotal, TaxFigures};
use easyqr_receipt::{yen, Doc, DocLine, Width};
use serde::Serialize;

use crate::books::Books;
use crate::error::Result;
use crate::receipt::{send, Destination};

/// An X/Z report printed: the printer it went to, or (none) its lines for
/// the print dialog or stdout.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintedReport {
    /// "X" or "Z".
    pub kind: &'static str,
    pub shift_id: ShiftId,
    pub printer: Option<String>,
    pub width_mm: u16,
    pub lines: Vec<DocLine>,
    #[serde(skip)]
    pub text: String,
}

/// Prints a shift's report (the one use case of the app and the CLI): on
/// the printer of `dest`, else laid out for the caller to show.
pub async fn print_report(
    books: &Books,
    settings: &Settings,
    shift_id: ShiftId,
    utc_offset_minutes: i32,
    dest: Destination,
) -> Result<PrintedReport> {
    let report = books.shift_report(shift_id)?;
    let width = settings.printer.paper()?;
    let doc = report_doc(&report, settings.issuer_name(), width, utc_offset_minutes);
    let printer = match &dest {
        Destination::Printer(url) => {
            send(url, &doc).await?;
            Some(url.to_string())
        }
        _ => None,
    };
    Ok(PrintedReport {
        kind: report.kind(),
        shift_id,
        printer,
        width_mm: width.mm(),
        text: doc.plain_text(),
        lines: doc.lines,
    })
}

/// The report as a printed document.
pub fn report_doc(r: &ShiftReport, store: &str, width: Width, utc_offset_minutes: i32) -> Doc {
    let time = |ms: i64| local_time(ms, utc_offset_minutes)[..16].replace('-', "/");
    let mut d = Doc::new(width);
    let title = match r.shift.z_number {
        Some(z) => format!("Zレポート No.{z}"),
        None => "Xレポート".to_owned(),
    };
    d.title(&title).center(store).blank();
    d.row("レジ", &r.shift.register_id)
        .row("担当", &r.shift.cashier)
        .row("開始", &time(r.shift.opened_at));
    if let Some(c) = r.shift.closed_at {
        d.row("締め", &time(c));
    }
    d.row("印刷", &time(r.at));
    if let (Some(a), Some(b)) = (&r.first_order_no, &r.last_order_no) {
        d.text("注文番号").row("", a).row("", &format!("〜 {b}"));
    }
    d.rule();
    let by_rate = r
        .by_rate
        .unwrap_or_else(|| TaxFigures::unrecorded(r.paid, r.refunds.deducted()));
    headline(&mut d, &by_rate);
    d.rule().text("税率別 売上（税込）と消費税額");
    rates(&mut d, &by_rate.sales);
    if by_rate.refunds != ByRate::default() {
        d.text("税率別 返金");
        rates(&mut d, &by_rate.refunds);
        d.text("税率別 純売上");
        rates(&mut d, &by_rate.net);
    }
    d.rule();
    let count = |d: &mut Doc, name: &str, t: StateTotal| {
        if t.count != 0 {
            d.row(&format!("{name} {}件", t.count), &yen(t.amount));
        }
    };
    for (wallet, t) in &r.paid_by_wallet {
        let name = elepay::PaymentMethod::new(wallet.as_str())
            .display_name()
            .to_owned();
        count(&mut d, if wallet.is_empty() { "不明" } else { &name }, *t);
    }
    count(&mut d, "遅延入金", r.late);
    count(&mut d, "取消", r.cancelled);
    count(&mut d, "期限切れ", r.expired);
    count(&mut d, "未確定", r.unresolved);
    count(&mut d, "返金中", r.refunds.in_progress);
    count(&mut d, "返金失敗", r.refunds.failed);
    if let Some(since) = &r.since_close {
        d.rule().text("締め後の変動");
        if let Some(t) = &since.by_rate {
            headline(&mut d, t);
        }
    }
    if let Some(h) = &r.shift.journal_head {
        d.rule().row("ジャーナル", &h.printed);
    }
    d
}

fn headline(d: &mut Doc, t: &TaxFigures) {
    d.row("総売上", &yen(t.gross_sales))
        .row("返金", &yen(t.refunded))
        .row("純売上", &yen(t.net_sales))
        .row("客数", &format!("{}人", t.customers))
        .row("客単価", &yen(t.average_sale));
}

fn rates(d: &mut Doc, by: &ByRate) {
    for (key, _, a) in by.buckets() {
        match key {
            "standard" => d.row(
                &format!(" 10%対象 {}", yen(a.gross)),
                &format!("税 {}", yen(a.tax)),
            ),
            "reduced" => d.row(
                &format!(" 8%対象 {}", yen(a.gross)),
                &format!("税 {}", yen(a.tax)),
            ),
            "free" => d.row(" 非課税", &yen(a.gross)),
            _ if a.gross != 0 => d.row(" 税率区分の記録なし", &yen(a.gross)),
            _ => d,
        };
    }
}
