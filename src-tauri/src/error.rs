//! The one error shape every command returns to the UI: a stable code to
//! switch on, a message to show, and the field to point at when the input
//! was wrong. Built from typed errors only, never from Debug output, so no
//! secret can ride along.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandError {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The sale and attempt a failed charge left behind (burned, rejected),
    /// so the cashier window can offer "try again" for the right sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<i64>,
}

impl CommandError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError {
            code: code.into(),
            message: message.into(),
            field: None,
            sale_id: None,
            attempt_id: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl From<easyqr_engine::EngineError> for CommandError {
    fn from(e: easyqr_engine::EngineError) -> Self {
        use easyqr_engine::EngineError as E;
        let field = match &e {
            E::Invalid(v) => Some(v.field.clone()),
            E::Ledger(easyqr_ledger::LedgerError::Invalid { field, .. }) => {
                Some((*field).to_owned())
            }
            _ => None,
        };
        let attempt = match &e {
            E::Rejected { attempt, .. }
            | E::OutcomeUnknown { attempt, .. }
            | E::OrderNoInUse { attempt, .. } => Some((attempt.sale_id, attempt.id)),
            _ => None,
        };
        CommandError {
            code: e.code().to_owned(),
            message: e.to_string(),
            field,
            sale_id: attempt.map(|a| a.0),
            attempt_id: attempt.map(|a| a.1),
        }
    }
}

impl From<easyqr_ledger::LedgerError> for CommandError {
    fn from(e: easyqr_ledger::LedgerError) -> Self {
        match e {
            easyqr_ledger::LedgerError::Invalid { field, .. } => {
                CommandError::new("invalid_input", e.to_string()).field(field)
            }
            other => CommandError::new("ledger_error", other.to_string()),
        }
    }
}

impl From<elepay::ValidationError> for CommandError {
    fn from(e: elepay::ValidationError) -> Self {
        let field = e.field.clone();
        CommandError::new("invalid_input", e.to_string()).field(field)
    }
}
