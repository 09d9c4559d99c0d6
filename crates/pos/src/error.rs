//! [`PosError`]: what every use case returns. A stable [`ErrorCode`], a
//! message for people, the field to point at, and the sale a failed charge
//! left behind. Built from typed errors only, never from `Debug` output, so
//! no secret can ride along.

use easyqr_app_core::secrets::{KeyCheckError, SecretError, WebhookSecretError};
use easyqr_app_core::settings::SettingsError;
use easyqr_engine::EngineError;
use easyqr_ledger::LedgerError;
use serde::Serialize;

pub use crate::codes::ErrorCode;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct PosError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The sale and attempt a failed charge left behind (burned, rejected),
    /// so the cashier can try the right sale again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<i64>,
    /// A finer reason within `code` the UI has its own words for (a
    /// printer's `printer_paper_out`, `printer_cover_open`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'static str>,
}

pub type Result<T, E = PosError> = std::result::Result<T, E>;

impl PosError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        PosError {
            code,
            message: message.into(),
            field: None,
            sale_id: None,
            attempt_id: None,
            cause: None,
        }
    }

    /// Bad input in `field`; the message says what is allowed.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        PosError::new(ErrorCode::InvalidInput, message).field(field)
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn exit_code(&self) -> u8 {
        self.code.exit_code()
    }
}

impl From<EngineError> for PosError {
    fn from(e: EngineError) -> Self {
        use EngineError as E;
        let code = match &e {
            E::Ledger(l) => return PosError::from_ledger(l, e.to_string()),
            E::Invalid(_) => ErrorCode::InvalidInput,
            E::Rejected { .. } => ErrorCode::Rejected,
            E::OutcomeUnknown { .. } => ErrorCode::OutcomeUnknown,
            E::OrderNoInUse { .. } => ErrorCode::OrderNoInUse,
            E::AlreadyPaid { .. } => ErrorCode::AlreadyPaid,
            E::SaleBusy { .. } => ErrorCode::SaleBusy,
            E::NotCancellable { .. } => ErrorCode::NotCancellable,
            E::CancelUnconfirmed(_) => ErrorCode::CancelUnconfirmed,
            E::ReconcileFailed(_) => ErrorCode::ReconcileFailed,
            E::RefundRefused { .. } => ErrorCode::RefundRefused,
            E::RefundUnknown { .. } => ErrorCode::RefundUnknown,
        };
        let mut out = PosError::new(code, e.to_string());
        out.field = e.field().map(str::to_owned);
        if let E::Rejected { attempt, .. }
        | E::OutcomeUnknown { attempt, .. }
        | E::OrderNoInUse { attempt, .. } = &e
        {
            out.sale_id = Some(attempt.sale_id);
            out.attempt_id = Some(attempt.id);
        }
        out
    }
}

impl PosError {
    fn from_ledger(e: &LedgerError, message: String) -> Self {
        match e {
            LedgerError::Invalid { field, .. } => PosError::invalid(*field, message),
            LedgerError::Locked { .. } => PosError::new(ErrorCode::LedgerBusy, message),
            LedgerError::NotFound { .. } => PosError::new(ErrorCode::NotFound, message),
            LedgerError::WrongMode { .. } => PosError::new(ErrorCode::LedgerWrongMode, message),
            LedgerError::NoOpenShift { .. } => {
                PosError::new(ErrorCode::NoOpenShift, message).field("shift")
            }
            _ => PosError::new(ErrorCode::LedgerError, message),
        }
    }
}

impl From<LedgerError> for PosError {
    fn from(e: LedgerError) -> Self {
        let message = e.to_string();
        PosError::from_ledger(&e, message)
    }
}

impl From<elepay::ValidationError> for PosError {
    fn from(e: elepay::ValidationError) -> Self {
        let field = e.field.clone();
        PosError::invalid(field, e.to_string())
    }
}

impl From<elepay::KeyError> for PosError {
    fn from(e: elepay::KeyError) -> Self {
        let code = match e {
            elepay::KeyError::Publishable => ErrorCode::KeyPublishable,
            elepay::KeyError::Empty => ErrorCode::KeyEmpty,
            elepay::KeyError::Malformed => ErrorCode::KeyMalformed,
        };
        PosError::new(code, e.to_string()).field("key")
    }
}

impl From<KeyCheckError> for PosError {
    fn from(e: KeyCheckError) -> Self {
        let code = match e {
            KeyCheckError::Refused { .. } => ErrorCode::KeyInvalid,
            KeyCheckError::Unreachable { .. } => ErrorCode::KeyUnverified,
        };
        PosError::new(code, e.to_string()).field("key")
    }
}

impl From<SecretError> for PosError {
    fn from(e: SecretError) -> Self {
        let code = match e {
            SecretError::Unavailable { .. } => ErrorCode::SecretStoreUnavailable,
            SecretError::Io { .. } => ErrorCode::SecretStoreIo,
            SecretError::Corrupt { .. } => ErrorCode::SecretStoreCorrupt,
            SecretError::BadName(_) => ErrorCode::SecretNameInvalid,
        };
        PosError::new(code, e.to_string())
    }
}

impl From<WebhookSecretError> for PosError {
    fn from(e: WebhookSecretError) -> Self {
        let message = e.to_string();
        let code = match e {
            WebhookSecretError::Invalid => ErrorCode::WebhookSecretInvalid,
            WebhookSecretError::TooMany { .. } => ErrorCode::WebhookSecretTooMany,
            WebhookSecretError::Store(s) => return PosError::from(s),
        };
        PosError::new(code, message).field("webhook.secrets")
    }
}

/// A setting refused by its rule: bad input naming the setting.
impl From<easyqr_app_core::settings::FieldError> for PosError {
    fn from(e: easyqr_app_core::settings::FieldError) -> Self {
        PosError::invalid(e.field, e.to_string())
    }
}

/// A tax or receipt input rule's refusal: bad input naming the field.
impl From<easyqr_tax::InputError> for PosError {
    fn from(e: easyqr_tax::InputError) -> Self {
        let field = e.field.clone();
        PosError::invalid(field, e.to_string())
    }
}

impl From<SettingsError> for PosError {
    fn from(e: SettingsError) -> Self {
        let code = match e {
            SettingsError::Io { .. } => ErrorCode::SettingsIo,
            SettingsError::Unparsable { .. } => ErrorCode::SettingsUnparsable,
            SettingsError::Invalid(_) => ErrorCode::SettingsInvalid,
        };
        PosError::new(code, e.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_ui_codes_of_key_and_store_failures_stay_what_the_ui_knows() {
        let cases: Vec<(PosError, &str)> = vec![
            (elepay::KeyError::Publishable.into(), "key_publishable"),
            (elepay::KeyError::Empty.into(), "key_empty"),
            (elepay::KeyError::Malformed.into(), "key_malformed"),
            (KeyCheckError::Refused { status: 401 }.into(), "key_invalid"),
            (
                KeyCheckError::Unreachable { reason: "x".into() }.into(),
                "key_unverified",
            ),
            (
                SecretError::BadName("a b".into()).into(),
                "secret_name_invalid",
            ),
            (WebhookSecretError::Invalid.into(), "webhook_secret_invalid"),
            (
                WebhookSecretError::TooMany { max: 5 }.into(),
                "webhook_secret_too_many",
            ),
            (
                WebhookSecretError::Store(SecretError::Corrupt {
                    what: "f".into(),
                    reason: "r".into(),
                })
                .into(),
                "secret_store_corrupt",
            ),
            (SettingsError::Invalid(vec![]).into(), "settings_invalid"),
        ];
        for (e, code) in cases {
            assert_eq!(e.code.as_str(), code, "{}", e.message);
        }
    }

    #[test]
    fn ledger_errors_keep_their_field_and_exit_code() {
        let e: PosError = LedgerError::Invalid {
            field: "cashier",
            allowed: "a name".into(),
        }
        .into();
        assert_eq!(
            (e.code, e.field.as_deref(), e.exit_code()),
            (ErrorCode::InvalidInput, Some("cashier"), 2)
        );
        let e: PosError = LedgerError::Locked { path: "/x".into() }.into();
        assert_eq!(e.exit_code(), 11);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "ledger_busy");
        assert!(json.get("field").is_none());
    }
}
