use serde::{Deserialize, Serialize};

use crate::rate::truncate;
use crate::{InputError, TaxRate};

/// Whether prices include the tax (総額表示, the default) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pricing {
    #[default]
    Included,
    Excluded,
}

/// How a rate's tax is rounded to the yen (elepay's `TaxCalcType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// 切り捨て.
    #[default]
    Floor,
    /// 切り上げ.
    Ceil,
    /// 四捨五入 (half up).
    Round5,
}

impl Pricing {
    pub fn as_str(self) -> &'static str {
        match self {
            Pricing::Included => "included",
            Pricing::Excluded => "excluded",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Pricing, InputError> {
        match text.trim() {
            "included" => Ok(Pricing::Included),
            "excluded" => Ok(Pricing::Excluded),
            other => Err(InputError::new(
                field,
                format!(
                    "included (prices include tax) or excluded (tax added), not {:?}",
                    truncate(other)
                ),
            )),
        }
    }
}

impl Rounding {
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Floor => "floor",
            Rounding::Ceil => "ceil",
            Rounding::Round5 => "round5",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Rounding, InputError> {
        match text.trim() {
            "floor" => Ok(Rounding::Floor),
            "ceil" => Ok(Rounding::Ceil),
            "round5" => Ok(Rounding::Round5),
            other => Err(InputError::new(
                field,
                format!(
                    "floor (round down), ceil (round up) or round5 (half up), not {:?}",
                    truncate(other)
                ),
            )),
        }
    }

    /// `num / den` rounded to an integer; both non-negative, `den` > 0.
    pub(crate) fn divide(self, num: i128, den: i128) -> i64 {
        let q = match self {
            Rounding::Floor => num / den,
            Rounding::Ceil => (num + den - 1) / den,
            Rounding::Round5 => (2 * num + den) / (2 * den),
        };
        // Inputs are bounded by the line limits, far inside i64.
        i64::try_from(q).unwrap_or(i64::MAX)
    }
}

/// The store's tax settings in force for a sale (`tax.*` in settings). A
/// sale keeps the policy it was rung up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxPolicy {
    #[serde(default)]
    pub pricing: Pricing,
    #[serde(default)]
    pub rounding: Rounding,
    /// The rate of an item or an amount-only sale that names none.
    #[serde(default)]
    pub default_rate: TaxRate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_divides_as_named() {
        // 315 × 10 / 100 = 31.5
        assert_eq!(Rounding::Floor.divide(3150, 100), 31);
        assert_eq!(Rounding::Ceil.divide(3150, 100), 32);
        assert_eq!(Rounding::Round5.divide(3150, 100), 32);
        // exact: all three agree
        for r in [Rounding::Floor, Rounding::Ceil, Rounding::Round5] {
            assert_eq!(r.divide(3000, 100), 30);
            assert_eq!(r.divide(0, 110), 0);
        }
        // 31.4 and 31.6
        assert_eq!(Rounding::Round5.divide(3140, 100), 31);
        assert_eq!(Rounding::Round5.divide(3160, 100), 32);
        assert_eq!(Rounding::Ceil.divide(3101, 100), 32);
    }

    #[test]
    fn names_parse_and_default() {
        assert_eq!(
            Pricing::parse("tax.pricing", "excluded").unwrap(),
            Pricing::Excluded
        );
        assert_eq!(
            Rounding::parse("tax.rounding", "round5").unwrap(),
            Rounding::Round5
        );
        let e = Rounding::parse("tax.rounding", "bankers").unwrap_err();
        assert_eq!(e.field, "tax.rounding");
        assert!(Pricing::parse("tax.pricing", "gross").is_err());
        let p: TaxPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(p, TaxPolicy::default());
        assert_eq!(p.default_rate, TaxRate::Standard);
        assert_eq!(p.pricing, Pricing::Included);
        assert_eq!(p.rounding, Rounding::Floor);
    }
}
