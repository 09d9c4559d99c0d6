//! The paper width: how many columns a line has.

use easyqr_tax::InputError;
use serde::{Deserialize, Serialize};

/// Paper width, as the printer setting names it (`80` or `58`, in mm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum Width {
    /// 80 mm paper: 48 columns (Font A, 576 dots).
    #[default]
    Mm80,
    /// 58 mm paper: 32 columns.
    Mm58,
}

impl Width {
    /// Half-width columns per line at normal size.
    pub fn cols(self) -> usize {
        match self {
            Width::Mm80 => 48,
            Width::Mm58 => 32,
        }
    }

    /// The paper width in mm: 80 or 58.
    pub fn mm(self) -> u16 {
        match self {
            Width::Mm80 => 80,
            Width::Mm58 => 58,
        }
    }

    /// Reads `80` or `58`; anything else names `field` and the two values.
    pub fn parse(field: &str, text: &str) -> Result<Width, InputError> {
        match text.trim() {
            "80" => Ok(Width::Mm80),
            "58" => Ok(Width::Mm58),
            other => Err(not_a_width(field, other)),
        }
    }
}

fn not_a_width(field: &str, value: &str) -> InputError {
    let shown: String = value.chars().take(24).collect();
    InputError::new(
        field,
        format!("80 (80 mm paper, 48 columns) or 58 (58 mm paper, 32 columns), not {shown:?}"),
    )
}

impl TryFrom<u16> for Width {
    type Error = InputError;

    fn try_from(mm: u16) -> Result<Width, InputError> {
        Width::parse("width", &mm.to_string())
    }
}

impl From<Width> for u16 {
    fn from(w: Width) -> u16 {
        w.mm()
    }
}
