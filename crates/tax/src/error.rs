/// Input refused by a tax rule: the field and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {allowed}")]
pub struct InputError {
    /// The field as the caller named it (`items[2].rate`, `tax.rounding`, …).
    pub field: String,
    /// What is allowed, in plain words.
    pub allowed: String,
}

impl InputError {
    pub fn new(field: impl Into<String>, allowed: impl Into<String>) -> InputError {
        InputError {
            field: field.into(),
            allowed: allowed.into(),
        }
    }
}
