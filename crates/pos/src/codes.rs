//! The one vocabulary of failures and outcomes: each has a stable code (what
//! the UI switches on), a one-line meaning, and the CLI's exit code. The
//! CLI's help table is generated from [`exit_code_table`], so the three can
//! never drift apart.

use serde::Serialize;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $exit:literal, $meaning:literal; )*) => {
        /// Why an operation failed. Several variants may share an exit code;
        /// each has its own stable code string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $code)] $variant, )*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The stable identifier the UI and scripts switch on.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The CLI's exit code for this failure.
            pub fn exit_code(self) -> u8 {
                match self { $(ErrorCode::$variant => $exit,)* }
            }

            /// What it means, for help texts.
            pub fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* }
            }
        }
    };
}

codes! {
    Internal = "internal", 1, "internal error";
    LedgerError = "ledger_error", 1, "the ledger could not be read or written";
    InvalidInput = "invalid_input", 2, "bad input or configuration (the message names the field)";
    NoOpenShift = "no_open_shift", 2, "no shift is open on this register (open one first)";
    ShiftOpen = "shift_open", 2, "the register's shift is still open (close it first)";
    LedgerWrongMode = "ledger_wrong_mode", 2, "the ledger belongs to another mode (DEMO, test, live each keep their own)";
    KeyOtherApp = "key_other_app", 2, "the key belongs to another elepay app than this ledger's payments";
    AlreadyPaid = "already_paid", 2, "the sale is already paid";
    SaleBusy = "sale_busy", 2, "the sale still has a payment in progress";
    CodeShowing = "code_showing", 2, "another sale's code is still on the customer display (wait for it, or cancel it first)";
    NotCancellable = "not_cancellable", 2, "only a code being shown can be cancelled";
    DemoOnly = "demo_only", 2, "only in DEMO mode";
    KeyEmpty = "key_empty", 2, "no secret key given";
    LiveKeyUnconfirmed = "live_key_unconfirmed", 2, "a live key charges real money: it is stored only once its switch is confirmed";
    KeyMalformed = "key_malformed", 2, "not an elepay secret key (sk_test_… or sk_live_…)";
    KeyPublishable = "key_publishable", 2, "a publishable key (pk_…) was given; the secret key is needed";
    WebhookSecretInvalid = "webhook_secret_invalid", 2, "a webhook signing secret is not usable";
    WebhookSecretTooMany = "webhook_secret_too_many", 2, "too many webhook signing secrets";
    SettingsInvalid = "settings_invalid", 2, "a setting is out of range (the message names it)";
    HqNotEnrolled = "hq_not_enrolled", 2, "this register is not enrolled with a head office (easyqr-cli hq enrol)";
    HqNotInDemo = "hq_not_in_demo", 2, "DEMO sales are not real: the head-office link needs a test or live key";
    HqOtherMode = "hq_other_mode", 2, "the register was enrolled with the head office in another mode (test or live) than it runs in";
    HqTokenInvalid = "hq_token_invalid", 2, "not an enrolment token as easyqr-hq printed it";
    HqMismatch = "hq_mismatch", 2, "the head office enrolled this token for another register id or locationId (the message names which)";
    /// The create may have happened: the attempt was burned.
    OutcomeUnknown = "outcome_unknown", 5, "outcome unknown: the attempt was burned; retry uses a new order number";
    OrderNoInUse = "order_no_in_use", 5, "elepay says the order number is paid or in use (M002007); retry uses a new one";
    RefundUnknown = "refund_unknown", 5, "refund: no answer; it is looked up, never sent twice";
    Rejected = "rejected", 6, "elepay refused the payment request";
    RefundRefused = "refund_refused", 6, "elepay refused the refund";
    KeyInvalid = "key_invalid", 6, "elepay refused the secret key";
    HqRefused = "hq_refused", 6, "the head office refused the token or the request";
    HqRevoked = "hq_revoked", 6, "the head office revoked this register";
    JournalBroken = "journal_broken", 7, "the journal chain is broken: the ledger was changed outside EasyQR POS";
    HqDiverged = "hq_diverged", 7, "the head office holds another history of this register's journal";
    CancelUnconfirmed = "cancel_unconfirmed", 8, "cancel could not be confirmed; the code is still watched";
    NotFound = "not_found", 9, "nothing found (unknown order, attempt or shift)";
    /// Another process holds the ledger's writer lock.
    LedgerBusy = "ledger_busy", 11, "another EasyQR POS (the app, or a changing easyqr-cli command) is using this data folder";
    AlreadyRunning = "already_running", 11, "EasyQR POS is already running on this data folder";
    ReconcileFailed = "reconcile_failed", 1, "elepay's charges could not be read for reconciliation";
    KeyUnverified = "key_unverified", 1, "elepay could not be reached to verify the key";
    HqUnreachable = "hq_unreachable", 1, "the head office could not be reached, or failed to answer";
    KeyNotSaved = "key_not_saved", 1, "the key could not be stored";
    SecretStoreUnavailable = "secret_store_unavailable", 1, "the OS keyring (or the key file) is unavailable";
    SecretStoreIo = "secret_store_io", 1, "the key store could not be read or written";
    SecretStoreCorrupt = "secret_store_corrupt", 1, "the key store is unreadable";
    SecretNameInvalid = "secret_name_invalid", 1, "internal: a bad secret name";
    SettingsNotSaved = "settings_not_saved", 1, "the settings could not be saved";
    SettingsIo = "settings_io", 1, "the settings file could not be read or written";
    SettingsUnparsable = "settings_unparsable", 1, "the settings file is not valid";
    ExportFailed = "export_failed", 1, "the export file could not be written";
    DemoFailed = "demo_failed", 1, "the DEMO simulator could not start";
    WindowError = "window_error", 1, "a window could not be opened";
    /// Offline, cover open, out of paper, unreachable: the message says which.
    PrinterUnavailable = "printer_unavailable", 12, "the receipt printer cannot print now (offline, cover open, out of paper or unreachable: the message says which)";
}

/// How a CLI command ended when it did not fail: what a script waiting on
/// a payment, a cancel or a reconciliation needs to tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// charge: paid; with --no-wait: the code is being shown.
    Done,
    Cancelled,
    Expired,
    /// The customer paid before the cancel took effect (recorded as paid).
    PaidMeanwhile,
    /// Still unresolved when the wait ended; resolved at the next recover.
    GaveUpWaiting,
    /// The ledger and elepay differ (each difference is printed).
    Differences,
}

impl Outcome {
    pub const ALL: &'static [Outcome] = &[
        Outcome::Done,
        Outcome::Cancelled,
        Outcome::Expired,
        Outcome::PaidMeanwhile,
        Outcome::GaveUpWaiting,
        Outcome::Differences,
    ];

    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Cancelled => 3,
            Outcome::Expired => 4,
            Outcome::PaidMeanwhile => 10,
            Outcome::GaveUpWaiting => 12,
            Outcome::Differences => 13,
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Done => "success (charge: paid; with --no-wait: the code is being shown; cancel: closed)",
            Outcome::Cancelled => "the payment was cancelled (code closed)",
            Outcome::Expired => "the code expired unpaid",
            Outcome::PaidMeanwhile => "cancel: the customer paid before the cancel took effect (recorded as paid)",
            Outcome::GaveUpWaiting => "gave up waiting (recover --wait, refund): still unresolved; resolved at the next recover",
            Outcome::Differences => "reconcile: the ledger and elepay differ",
        }
    }
}

/// The exit code of a command that waited for an attempt to be final.
pub fn exit_code_of_state(state: easyqr_ledger::AttemptState) -> u8 {
    use easyqr_ledger::AttemptState as S;
    match state {
        S::Captured => Outcome::Done.exit_code(),
        S::Closed => Outcome::Cancelled.exit_code(),
        S::Expired => Outcome::Expired.exit_code(),
        S::Burned => ErrorCode::OutcomeUnknown.exit_code(),
        S::Rejected => ErrorCode::Rejected.exit_code(),
        S::Reserved | S::Creating | S::Pending => ErrorCode::Internal.exit_code(),
    }
}

/// The exit-code table of the CLI's help, one line per code, generated from
/// [`Outcome`] and [`ErrorCode`].
pub fn exit_code_table() -> String {
    let mut rows: Vec<(u8, String)> = Outcome::ALL
        .iter()
        .map(|o| (o.exit_code(), o.meaning().to_owned()))
        .collect();
    for code in ErrorCode::ALL {
        rows.push((
            code.exit_code(),
            format!("{} ({})", code.meaning(), code.as_str()),
        ));
    }
    rows.sort_by_key(|(exit, _)| *exit);
    let mut out = String::from("Exit codes:\n");
    for (exit, meaning) in rows {
        out.push_str(&format!("  {exit:<3}{meaning}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_string_is_unique_and_snake_case() {
        let mut seen = HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn success_is_zero_and_no_failure_exits_zero() {
        assert_eq!(Outcome::Done.exit_code(), 0);
        assert!(ErrorCode::ALL.iter().all(|c| c.exit_code() != 0));
    }

    #[test]
    fn the_help_table_lists_every_code() {
        let table = exit_code_table();
        for c in ErrorCode::ALL {
            assert!(table.contains(c.as_str()), "{} missing", c.as_str());
        }
        assert!(table.contains("  13 reconcile"));
    }
}
