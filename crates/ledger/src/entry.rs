//! What a journal row says, typed: one variant per `kind`, its payload a
//! struct. The ledger writes only these ([`crate::journal::append`] takes a
//! [`JournalEntry`]), the verification replays them, and the per-sale
//! timeline hands them to the UI, so the format is defined here once.
//!
//! Compatibility: every ledger written so far must still read. `kind`
//! strings and field names never change; a field added later is an
//! `Option` (or has a `#[serde(default)]`) because older rows lack it, and
//! fields this build does not know are ignored. The hash chain covers the
//! stored text, never a re-serialisation, so reading a row never changes
//! what it hashes to.

use serde::{Deserialize, Serialize};

use crate::{AttemptState, Figures, RefundState, ShiftId};

/// One journal row's content. Serialised (e.g. in a [`crate::TimelineEntry`])
/// as `{"kind": "attempt.changed", "payload": {…}}`.
// A Z's figures make `shift.closed` large; entries are built one per row
// written or read, so boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "payload")]
pub enum JournalEntry {
    #[serde(rename = "shift.opened")]
    ShiftOpened(ShiftOpened),
    #[serde(rename = "shift.closed")]
    ShiftClosed(ShiftClosed),
    #[serde(rename = "sale.created")]
    SaleCreated(SaleCreated),
    #[serde(rename = "attempt.reserved")]
    AttemptReserved(AttemptReserved),
    #[serde(rename = "attempt.changed")]
    AttemptChanged(AttemptChanged),
    #[serde(rename = "attempt.chargeFound")]
    ChargeFound(ChargeFound),
    #[serde(rename = "refund.requested")]
    RefundRequested(RefundRequested),
    #[serde(rename = "refund.changed")]
    RefundChanged(RefundChanged),
    #[serde(rename = "sale.taxed")]
    SaleTaxed(SaleTaxed),
    #[serde(rename = "refund.taxed")]
    RefundTaxed(RefundTaxed),
    #[serde(rename = "receipt.issued")]
    ReceiptIssued(ReceiptIssued),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftOpened {
    pub shift_id: ShiftId,
    pub register_id: String,
    pub cashier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftClosed {
    pub shift_id: ShiftId,
    pub closed_at: i64,
    pub z_number: i64,
    /// The Z report's figures at the close. Not journaled before schema v5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
}

/// A sale rung up (the amount the cashier entered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleCreated {
    pub amount: i64,
    pub shift_id: Option<ShiftId>,
    pub description: Option<String>,
}

/// An orderNo reserved for a new attempt (`to` is always `reserved`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptReserved {
    pub to: AttemptState,
    pub order_no: String,
    pub amount: i64,
}

/// An attempt moved from `from` to the state its [`Transition`] names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptChanged {
    pub from: AttemptState,
    pub order_no: String,
    /// The target (`to`) with what that state needs, in the same object.
    #[serde(flatten)]
    pub to: Transition,
}

/// elepay's charge id of a paid attempt whose payment was recorded without
/// it (a code read that carried no charge), found later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeFound {
    pub order_no: String,
    pub charge_id: String,
    /// Who found it: "refund", "reconciliation".
    pub source: String,
}

/// The target state of an [`AttemptChanged`] and its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "lowercase")]
pub enum Transition {
    Creating,
    #[serde(rename_all = "camelCase")]
    Pending {
        code_id: String,
        /// Not journaled by the first ledger (schema v1): `None` there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code_url: Option<String>,
        expiry_time: i64,
        /// Not journaled by the first ledger (schema v1): `None` there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_last4: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Captured {
        charge_id: Option<String>,
        payment_method: Option<String>,
        paid_time: Option<i64>,
        /// Where we learned it: "poll", "webhook", "cancel", "recovery",
        /// "reconciliation", …
        source: String,
        amount: i64,
    },
    Closed,
    Expired,
    Burned {
        reason: String,
    },
    #[serde(rename_all = "camelCase")]
    Rejected {
        error_code: String,
        message: String,
    },
}

impl Transition {
    pub fn target(&self) -> AttemptState {
        match self {
            Transition::Creating => AttemptState::Creating,
            Transition::Pending { .. } => AttemptState::Pending,
            Transition::Captured { .. } => AttemptState::Captured,
            Transition::Closed => AttemptState::Closed,
            Transition::Expired => AttemptState::Expired,
            Transition::Burned { .. } => AttemptState::Burned,
            Transition::Rejected { .. } => AttemptState::Rejected,
        }
    }
}

/// A refund recorded before it is sent (`refund` is the ledger's refund id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequested {
    pub refund: i64,
    pub amount: i64,
    pub reason: Option<String>,
    /// The shift it counts in. Not journaled before schema v5: `None` there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_id: Option<ShiftId>,
}

/// elepay's answer about a refund; `refund_id` is elepay's id when this
/// answer brought it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundChanged {
    pub refund: i64,
    pub refund_id: Option<String>,
    pub status: RefundState,
}

/// A sale's item lines and its tax by rate, journaled with its
/// `sale.created` in the same transaction (schema v6; older sales have
/// none: their rate was not recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleTaxed {
    /// Empty for an amount-only sale.
    pub lines: Vec<easyqr_tax::Line>,
    pub breakdown: easyqr_tax::Breakdown,
}

/// A refund's returned lines (by the sale's line number, from 0) and its
/// tax by rate, journaled with its `refund.requested`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundTaxed {
    pub refund: i64,
    /// Empty for a refund by amount.
    pub lines: Vec<ReturnedLine>,
    pub breakdown: easyqr_tax::Breakdown,
}

/// So many of a sale's line `line` came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnedLine {
    pub line: i64,
    pub qty: i64,
}

/// A receipt issued for a sale (or a refund slip for one of its refunds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptIssued {
    pub receipt: i64,
    /// "invoice" (レシート), "ryoshusho" (領収書) or "refund" (返金明細).
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<i64>,
    /// 1 for the first; a higher copy is a reprint (再発行).
    pub copy: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addressee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Where it went: "printer", "stdout", "os" (the print dialog).
    pub target: String,
}

/// A stored row that does not read as a [`JournalEntry`].
#[derive(Debug, thiserror::Error)]
pub enum BadEntry {
    #[error("unknown journal entry kind {0:?}")]
    UnknownKind(String),
    #[error("{kind} payload does not read: {source}")]
    Payload {
        kind: &'static str,
        source: serde_json::Error,
    },
}

impl JournalEntry {
    /// The `kind` column (the same string as the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            JournalEntry::ShiftOpened(_) => "shift.opened",
            JournalEntry::ShiftClosed(_) => "shift.closed",
            JournalEntry::SaleCreated(_) => "sale.created",
            JournalEntry::AttemptReserved(_) => "attempt.reserved",
            JournalEntry::AttemptChanged(_) => "attempt.changed",
            JournalEntry::ChargeFound(_) => "attempt.chargeFound",
            JournalEntry::RefundRequested(_) => "refund.requested",
            JournalEntry::RefundChanged(_) => "refund.changed",
            JournalEntry::SaleTaxed(_) => "sale.taxed",
            JournalEntry::RefundTaxed(_) => "refund.taxed",
            JournalEntry::ReceiptIssued(_) => "receipt.issued",
        }
    }

    /// Reads a stored row from its `kind` and `payload` columns.
    pub fn parse(kind: &str, payload: &str) -> Result<JournalEntry, BadEntry> {
        fn read<'a, T: Deserialize<'a>>(kind: &'static str, p: &'a str) -> Result<T, BadEntry> {
            serde_json::from_str(p).map_err(|source| BadEntry::Payload { kind, source })
        }
        Ok(match kind {
            "shift.opened" => JournalEntry::ShiftOpened(read("shift.opened", payload)?),
            "shift.closed" => JournalEntry::ShiftClosed(read("shift.closed", payload)?),
            "sale.created" => JournalEntry::SaleCreated(read("sale.created", payload)?),
            "attempt.reserved" => JournalEntry::AttemptReserved(read("attempt.reserved", payload)?),
            "attempt.changed" => JournalEntry::AttemptChanged(read("attempt.changed", payload)?),
            "attempt.chargeFound" => {
                JournalEntry::ChargeFound(read("attempt.chargeFound", payload)?)
            }
            "refund.requested" => JournalEntry::RefundRequested(read("refund.requested", payload)?),
            "refund.changed" => JournalEntry::RefundChanged(read("refund.changed", payload)?),
            "sale.taxed" => JournalEntry::SaleTaxed(read("sale.taxed", payload)?),
            "refund.taxed" => JournalEntry::RefundTaxed(read("refund.taxed", payload)?),
            "receipt.issued" => JournalEntry::ReceiptIssued(read("receipt.issued", payload)?),
            other => return Err(BadEntry::UnknownKind(other.to_owned())),
        })
    }

    /// The `payload` column: the payload object with its keys sorted, the
    /// text the hand-built payloads of earlier builds had.
    pub(crate) fn payload_text(&self) -> Result<String, serde_json::Error> {
        let mut v = serde_json::to_value(self)?;
        Ok(v["payload"].take().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payloads as earlier builds wrote them (keys sorted, as stored).
    const STORED: &[(&str, &str)] = &[
        (
            "shift.opened",
            r#"{"cashier":"Aiko","registerId":"R1","shiftId":1}"#,
        ),
        (
            "shift.closed",
            r#"{"closedAt":1795825560000,"shiftId":1,"zNumber":1}"#,
        ),
        (
            "sale.created",
            r#"{"amount":1280,"description":"Coffee","shiftId":1}"#,
        ),
        (
            "sale.created",
            r#"{"amount":760,"description":null,"shiftId":null}"#,
        ),
        (
            "attempt.reserved",
            r#"{"amount":1280,"orderNo":"S1-20261128-0001","to":"reserved"}"#,
        ),
        (
            "attempt.changed",
            r#"{"from":"reserved","orderNo":"S1-20261128-0001","to":"creating"}"#,
        ),
        (
            "attempt.changed",
            r#"{"codeId":"cod_1","codeUrl":"https://x/cod_1","expiryTime":1795824660000,"from":"creating","keyLast4":"3f9a","orderNo":"S1-20261128-0001","to":"pending"}"#,
        ),
        (
            "attempt.changed",
            r#"{"amount":1280,"chargeId":"cha_1","from":"pending","orderNo":"S1-20261128-0001","paidTime":1795824079000,"paymentMethod":"paypay","source":"poll","to":"captured"}"#,
        ),
        (
            "attempt.changed",
            r#"{"amount":1280,"chargeId":null,"from":"burned","orderNo":"S1-20261128-0001","paidTime":null,"paymentMethod":null,"source":"reconcile","to":"captured"}"#,
        ),
        (
            "attempt.changed",
            r#"{"from":"pending","orderNo":"S1-20261128-0001","to":"closed"}"#,
        ),
        (
            "attempt.changed",
            r#"{"from":"pending","orderNo":"S1-20261128-0001","to":"expired"}"#,
        ),
        (
            "attempt.changed",
            r#"{"from":"creating","orderNo":"S1-20261128-0001","reason":"create timed out","to":"burned"}"#,
        ),
        (
            "attempt.changed",
            r#"{"errorCode":"20201","from":"creating","message":"too small","orderNo":"S1-20261128-0001","to":"rejected"}"#,
        ),
        (
            "attempt.chargeFound",
            r#"{"chargeId":"cha_1","orderNo":"S1-20261128-0001","source":"refund"}"#,
        ),
        (
            "refund.requested",
            r#"{"amount":280,"reason":"returned","refund":1}"#,
        ),
        (
            "refund.requested",
            r#"{"amount":100,"reason":null,"refund":2}"#,
        ),
        (
            "refund.requested",
            r#"{"amount":100,"reason":null,"refund":3,"shiftId":2}"#,
        ),
        (
            "refund.changed",
            r#"{"refund":1,"refundId":"rfd_1","status":"pending"}"#,
        ),
        (
            "refund.changed",
            r#"{"refund":1,"refundId":null,"status":"refunded"}"#,
        ),
        (
            "sale.taxed",
            r#"{"breakdown":{"pricing":"included","rates":[{"gross":960,"net":873,"rate":"standard","tax":87},{"gross":398,"net":369,"rate":"reduced","tax":29}],"rounding":"floor","total":1358},"lines":[{"name":"コーヒー豆","qty":2,"rate":"standard","unitPrice":480},{"name":"サンドイッチ","qty":1,"rate":"reduced","unitPrice":398}]}"#,
        ),
        (
            "refund.taxed",
            r#"{"breakdown":{"pricing":"included","rates":[{"gross":480,"net":437,"rate":"standard","tax":43}],"rounding":"floor","total":480},"lines":[{"line":0,"qty":1}],"refund":1}"#,
        ),
        (
            "receipt.issued",
            r#"{"copy":2,"kind":"ryoshusho","purpose":"お品代として","receipt":3,"target":"printer"}"#,
        ),
    ];

    #[test]
    fn every_stored_payload_reads_and_writes_back_the_same_text() {
        for (kind, text) in STORED {
            let e = JournalEntry::parse(kind, text).unwrap();
            assert_eq!(e.kind(), *kind);
            assert_eq!(&e.payload_text().unwrap(), text, "{kind}");
            // The serde tag is the kind column.
            assert_eq!(serde_json::to_value(&e).unwrap()["kind"], *kind);
        }
    }

    #[test]
    fn older_and_newer_rows_read() {
        // Schema v1 did not journal the code URL or the key's last digits.
        let v1 = r#"{"codeId":"cod_1","expiryTime":5,"from":"creating","orderNo":"S1-1","to":"pending"}"#;
        let JournalEntry::AttemptChanged(c) = JournalEntry::parse("attempt.changed", v1).unwrap()
        else {
            panic!("not an attempt change");
        };
        assert_eq!(
            c.to,
            Transition::Pending {
                code_id: "cod_1".into(),
                code_url: None,
                expiry_time: 5,
                key_last4: None
            }
        );
        // ...and writes back without inventing them.
        let e = JournalEntry::AttemptChanged(c);
        assert_eq!(e.payload_text().unwrap(), v1);
        // A field a later build adds is ignored here.
        let later = r#"{"amount":5,"description":null,"shiftId":1,"items":[{"sku":"A"}]}"#;
        assert!(JournalEntry::parse("sale.created", later).is_ok());
    }

    #[test]
    fn what_does_not_read_says_why() {
        assert!(matches!(
            JournalEntry::parse("sale.deleted", "{}"),
            Err(BadEntry::UnknownKind(_))
        ));
        for (kind, text) in [
            ("refund.requested", r#"{"amount":1}"#),
            (
                "attempt.changed",
                r#"{"from":"pending","orderNo":"X","to":"paid"}"#,
            ),
            ("shift.opened", "not json"),
        ] {
            assert!(
                matches!(
                    JournalEntry::parse(kind, text),
                    Err(BadEntry::Payload { .. })
                ),
                "{kind} {text}"
            );
        }
    }
}
