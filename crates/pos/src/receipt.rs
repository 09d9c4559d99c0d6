//! Issuing receipts: a paid sale's レシート (the simplified invoice), its
//! 領収書, or a refund's 返金明細, always in Japanese, from what the ledger
//! recorded with the sale (never recomputed), to the store's printer, to
//! text (the CLI's stdout) or to the OS print dialog. Every issue is
//! journaled before its bytes leave, so the next one says 再発行.

use easyqr_app_core::settings::Settings;
use easyqr_ledger::{Attempt, AttemptState, ReceiptKind as Kind, ReceiptRequest, SaleRecord};
use easyqr_receipt::{
    encode, layout, Doc, DocLine, Issuer, PrinterUrl, Receipt, ReceiptKind, RefundFacts, SaleFacts,
};
use easyqr_tax::Line;
use serde::{Deserialize, Serialize};

use crate::books::{AttemptRef, Books};
use crate::error::{ErrorCode, PosError, Result};

mod time;
pub use time::receipt_time;

/// The 但し書き when none is given.
pub const DEFAULT_PURPOSE: &str = "お品代として";
const NAME_MAX: usize = 40;

/// What the caller asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptOrder {
    /// `invoice` (the default), `ryoshusho`, or `refund` (a refund's slip).
    #[serde(default)]
    pub kind: Option<String>,
    /// 宛名 of a 領収書 ("… 様").
    #[serde(default)]
    pub to: Option<String>,
    /// 但し書き of a 領収書.
    #[serde(default, rename = "for")]
    pub purpose: Option<String>,
    /// The refund of a refund slip (default: the sale's latest).
    #[serde(default)]
    pub refund: Option<i64>,
}

/// Where a receipt goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Printer(PrinterUrl),
    /// Written out as text (the CLI with no printer).
    Text,
    /// Drawn by the app for the OS print dialog.
    Dialog,
}

impl Destination {
    /// `printer` if given, else the store's printer, else `fallback`.
    pub fn choose(
        printer: Option<&str>,
        settings: &Settings,
        fallback: Destination,
    ) -> Result<Destination> {
        if let Some(p) = printer.map(str::trim).filter(|p| !p.is_empty()) {
            return Ok(Destination::Printer(PrinterUrl::parse("printer", p)?));
        }
        Ok(match settings.printer.printer_url()? {
            Some(url) => Destination::Printer(url),
            None => fallback,
        })
    }

    fn target(&self) -> &'static str {
        match self {
            Destination::Printer(_) => "printer",
            Destination::Text => "stdout",
            Destination::Dialog => "os",
        }
    }
}

/// A receipt issued.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    pub order_no: String,
    pub kind: Kind,
    pub copy: i64,
    pub reprint: bool,
    /// The printer it went to, if any.
    pub printer: Option<String>,
    /// The paper width it was laid out for (mm).
    pub width_mm: u16,
    /// The receipt's lines, to draw (print dialog) or write out.
    pub lines: Vec<DocLine>,
    pub text: String,
}

impl ReceiptOrder {
    fn kind(&self) -> Result<Kind> {
        match self.kind.as_deref().map(str::trim) {
            None | Some("") if self.refund.is_some() => Ok(Kind::Refund),
            None | Some("") | Some("invoice") => Ok(Kind::Invoice),
            Some("ryoshusho") => Ok(Kind::Ryoshusho),
            Some("refund") => Ok(Kind::Refund),
            Some(_) => Err(PosError::invalid(
                "kind",
                "kind: invoice (レシート), ryoshusho (領収書) or refund (返金明細)",
            )),
        }
    }

    fn text(field: &str, v: Option<&str>) -> Result<Option<String>> {
        let v = v.map(str::trim).filter(|v| !v.is_empty());
        if let Some(t) = v {
            if t.chars().count() > NAME_MAX || t.chars().any(char::is_control) {
                return Err(PosError::invalid(
                    field,
                    format!("{field}: at most {NAME_MAX} characters on one line"),
                ));
            }
        }
        Ok(v.map(str::to_owned))
    }
}

/// Issues a receipt for the paid payment of `which`. A printer's status is
/// read first: one that cannot print refuses before anything is recorded.
pub async fn issue(
    books: &Books,
    settings: &Settings,
    utc_offset_minutes: i32,
    which: &AttemptRef,
    order: &ReceiptOrder,
    dest: Destination,
) -> Result<Issued> {
    let kind = order.kind()?;
    let to = ReceiptOrder::text("to", order.to.as_deref())?;
    let purpose = ReceiptOrder::text("for", order.purpose.as_deref())?;
    if kind != Kind::Ryoshusho && (to.is_some() || purpose.is_some()) {
        return Err(PosError::invalid(
            "to",
            "to / for: only on a 領収書 (kind ryoshusho)",
        ));
    }
    let width = settings.printer.paper()?;
    let paid = books.attempt_in(which, AttemptState::Captured)?;
    let ledger = books.ledger();
    let sale = ledger.sale_record(paid.sale_id)?;
    let refund = match kind {
        Kind::Refund => Some(refund_facts(
            books,
            &paid,
            &sale,
            order.refund,
            utc_offset_minutes,
        )?),
        _ => None,
    };
    if let Destination::Printer(url) = &dest {
        // A printer that says it cannot print refuses before anything is
        // recorded (one that does not answer is printed to anyway).
        let status = easyqr_receipt::status(url).await.map_err(printer_error)?;
        if let Some(e) = status.and_then(|s| s.error(url)) {
            return Err(printer_error(e));
        }
    }
    let issued = ledger.record_receipt(
        &ReceiptRequest {
            sale: sale.sale_id,
            kind,
            refund: refund.as_ref().map(|r| r.refund_no),
            addressee: to.as_deref(),
            purpose: purpose
                .as_deref()
                .or((kind == Kind::Ryoshusho).then_some(DEFAULT_PURPOSE)),
            target: dest.target(),
        },
        books.now_ms(),
    )?;
    let receipt = Receipt {
        issuer: issuer(settings),
        sale: sale_facts(books, &paid, &sale, utc_offset_minutes)?,
        kind: match (kind, refund) {
            (Kind::Refund, Some(r)) => ReceiptKind::Refund(r),
            (Kind::Ryoshusho, _) => ReceiptKind::Ryoshusho {
                addressee: to,
                purpose: purpose.unwrap_or_else(|| DEFAULT_PURPOSE.to_owned()),
            },
            _ => ReceiptKind::Invoice,
        },
        copy: u32::try_from(issued.copy).unwrap_or(u32::MAX),
    };
    let doc = layout(&receipt, width);
    let printer = match &dest {
        Destination::Printer(url) => {
            send(url, &doc).await.map_err(|mut e| {
                e.message.push_str(
                    " — it is recorded as issued: printing it again gives a copy marked 再発行",
                );
                e
            })?;
            Some(url.to_string())
        }
        _ => None,
    };
    Ok(Issued {
        order_no: paid.order_no,
        kind,
        copy: issued.copy,
        reprint: issued.is_reprint(),
        printer,
        width_mm: width.mm(),
        text: doc.plain_text(),
        lines: doc.lines,
    })
}

/// What to do with a sale's receipt once it is paid (`receipt.autoPrint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterPayment {
    Nothing,
    /// Ask the cashier.
    Ask,
    /// Print it now, to the store's printer or (none set) the print dialog.
    Print(Destination),
}

/// The one rule of automatic printing. A sale that already has a receipt
/// (a payment learnt twice, a restart) gets no second one by itself.
pub fn after_payment(settings: &Settings, receipts_issued: i64) -> AfterPayment {
    use easyqr_app_core::settings::AutoPrint;
    if receipts_issued > 0 {
        return AfterPayment::Nothing;
    }
    match settings.receipt.auto_print() {
        Ok(AutoPrint::Always) => match settings.printer.printer_url() {
            Ok(Some(url)) => AfterPayment::Print(Destination::Printer(url)),
            _ => AfterPayment::Print(Destination::Dialog),
        },
        Ok(AutoPrint::Ask) => AfterPayment::Ask,
        Ok(AutoPrint::Off) | Err(_) => AfterPayment::Nothing,
    }
}

/// What printing after a payment came to.
#[derive(Debug, Clone)]
pub enum AutoPrinted {
    Nothing,
    /// The cashier decides (`dialog`: print through the OS dialog).
    Ask {
        dialog: bool,
    },
    Printed(Issued),
    /// The printer could not print; the sale is recorded all the same.
    Failed(PosError),
}

/// Prints a just-paid attempt's receipt as `receipt.autoPrint` says: the
/// one path of the app's auto-print (and its benchmark).
pub async fn print_after_payment(
    books: &Books,
    settings: &Settings,
    utc_offset_minutes: i32,
    paid: &Attempt,
) -> AutoPrinted {
    if paid.state != AttemptState::Captured {
        return AutoPrinted::Nothing;
    }
    let issued = books.ledger().receipts_issued(paid.sale_id).unwrap_or(1);
    match after_payment(settings, issued) {
        AfterPayment::Nothing => AutoPrinted::Nothing,
        AfterPayment::Ask => AutoPrinted::Ask { dialog: false },
        AfterPayment::Print(dest @ Destination::Printer(_)) => {
            let which = AttemptRef::Id(paid.id);
            let order = ReceiptOrder::default();
            match issue(books, settings, utc_offset_minutes, &which, &order, dest).await {
                Ok(r) => AutoPrinted::Printed(r),
                Err(e) => AutoPrinted::Failed(e),
            }
        }
        AfterPayment::Print(_) => AutoPrinted::Ask { dialog: true },
    }
}

/// Sends a laid-out document (a receipt, an X/Z report) to a printer.
pub async fn send(url: &PrinterUrl, doc: &Doc) -> Result<()> {
    easyqr_receipt::print(url, &encode(doc))
        .await
        .map_err(printer_error)
}

/// A printer that cannot print, in the use cases' vocabulary.
pub fn printer_error(e: easyqr_receipt::PrinterError) -> PosError {
    let mut out = PosError::new(ErrorCode::PrinterUnavailable, e.to_string()).field("printer.url");
    out.cause = Some(e.code());
    out
}

fn issuer(s: &Settings) -> Issuer {
    let opt = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    Issuer {
        name: s.issuer_name().to_owned(),
        registration_number: match s.invoice.registration() {
            Ok(Some((n, _))) => Some(n.as_str().to_owned()),
            _ => None,
        },
        address: opt(&s.invoice.address),
        phone: opt(&s.invoice.phone),
        header: opt(&s.invoice.header),
        footer: opt(&s.invoice.footer),
    }
}

fn sale_facts(books: &Books, paid: &Attempt, sale: &SaleRecord, offset: i32) -> Result<SaleFacts> {
    let shift = match sale.shift_id {
        Some(id) => Some(books.ledger().shift(id)?),
        None => None,
    };
    let at = paid.paid_time.unwrap_or(sale.created_at);
    Ok(SaleFacts {
        at: receipt_time(at, offset),
        register: shift
            .as_ref()
            .map(|s| s.register_id.clone())
            .unwrap_or_default(),
        cashier: shift.map(|s| s.cashier),
        order_no: paid.order_no.clone(),
        lines: sale.lines.clone(),
        breakdown: sale.breakdown.clone(),
        total: paid.amount,
        wallet: paid
            .payment_method
            .as_deref()
            .map(|m| elepay::PaymentMethod::new(m).display_name().to_owned()),
    })
}

/// The refund a slip is for: the one named, else the payment's latest.
fn refund_facts(
    books: &Books,
    paid: &Attempt,
    sale: &SaleRecord,
    which: Option<i64>,
    offset: i32,
) -> Result<RefundFacts> {
    let ledger = books.ledger();
    let refunds = ledger.refunds_of(paid.id)?;
    let r = match which {
        Some(id) => refunds.iter().find(|r| r.id == id),
        None => refunds.last(),
    }
    .ok_or_else(|| PosError::new(ErrorCode::NotFound, "no such refund of that order"))?;
    let tax = ledger.refund_tax(r.id)?;
    let lines: Vec<Line> = tax
        .as_ref()
        .map(|t| {
            t.lines
                .iter()
                .filter_map(|back| {
                    let l = sale.lines.get(usize::try_from(back.line).ok()?)?;
                    Some(Line {
                        qty: back.qty,
                        ..l.clone()
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let refunded_so_far: i64 = refunds
        .iter()
        .filter(|o| o.id <= r.id && o.status != easyqr_ledger::RefundState::Failed)
        .map(|o| o.amount)
        .sum();
    Ok(RefundFacts {
        refund_no: r.id,
        at: receipt_time(r.created_at, offset),
        lines,
        breakdown: tax.map(|t| t.breakdown),
        amount: r.amount,
        sale_net_after: paid.amount - refunded_so_far,
    })
}
