//! The receipt settings: the store's invoice identity (`invoice.*`), its tax
//! policy (`tax.*`), its printer (`printer.*`) and when to print
//! (`receipt.autoPrint`). Kept as text in `settings.json` so a hand-edited
//! bad value resets one field, not the file; each value is checked by the
//! rule that uses it (`easyqr-tax`, `easyqr-receipt`).

use easyqr_receipt::{PrinterUrl, Width};
use easyqr_tax::{Pricing, RegistrationNumber, Rounding, TaxPolicy, TaxRate, Warning};
use serde::{Deserialize, Serialize};

use super::FieldError;

/// `invoice`: who issues the receipts. Without a registration number a
/// receipt is a plain receipt and says it is not an invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InvoiceSettings {
    /// The issuer's name on receipts; empty: the store name.
    pub issuer_name: String,
    /// `T` + 13 digits, or empty.
    pub registration_number: String,
    pub address: String,
    pub phone: String,
    /// Free text printed under the issuer (a greeting, opening hours).
    pub header: String,
    /// Free text at the end of every receipt.
    pub footer: String,
}

/// `tax`: the policy a sale is rung up under (a change applies from the
/// next sale; each sale keeps its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaxSettings {
    /// `included` (総額表示) or `excluded`.
    pub pricing: String,
    /// `floor`, `ceil` or `round5`.
    pub rounding: String,
    /// `standard`, `reduced` or `free`.
    pub default_rate: String,
}

impl Default for TaxSettings {
    fn default() -> Self {
        let p = TaxPolicy::default();
        TaxSettings {
            pricing: p.pricing.as_str().into(),
            rounding: p.rounding.as_str().into(),
            default_rate: p.default_rate.as_str().into(),
        }
    }
}

/// `printer`: the store's receipt printer; no URL: the OS print dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrinterSettings {
    /// `tcp://HOST:9100` or `file:///dev/usb/lp0`; empty: none.
    pub url: String,
    /// Paper width in mm: 80 (48 columns) or 58 (32 columns).
    pub width: u32,
}

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings {
            url: String::new(),
            width: 80,
        }
    }
}

/// `receipt`: printing after a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReceiptSettings {
    /// `off`, `ask` (the cashier is asked) or `always`.
    pub auto_print: String,
}

impl Default for ReceiptSettings {
    fn default() -> Self {
        ReceiptSettings {
            auto_print: "off".into(),
        }
    }
}

/// What happens to the receipt when a sale is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoPrint {
    Off,
    Ask,
    Always,
}

pub const AUTO_PRINT_ALLOWED: &str = "off, ask (the cashier is asked after each payment) or always";
const TEXT_MAX: usize = 80;
const FREE_TEXT_MAX: usize = 200;

impl ReceiptSettings {
    pub fn auto_print(&self) -> Result<AutoPrint, FieldError> {
        match self.auto_print.trim() {
            "off" => Ok(AutoPrint::Off),
            "ask" => Ok(AutoPrint::Ask),
            "always" => Ok(AutoPrint::Always),
            _ => Err(FieldError::new("receipt.autoPrint", AUTO_PRINT_ALLOWED)),
        }
    }
}

impl TaxSettings {
    /// The policy, each value checked by the tax rule.
    pub fn policy(&self) -> Result<TaxPolicy, FieldError> {
        let f = |field: &'static str| {
            move |e: easyqr_tax::InputError| FieldError::new(field, e.allowed)
        };
        Ok(TaxPolicy {
            pricing: Pricing::parse("tax.pricing", &self.pricing).map_err(f("tax.pricing"))?,
            rounding: Rounding::parse("tax.rounding", &self.rounding).map_err(f("tax.rounding"))?,
            default_rate: TaxRate::parse("tax.defaultRate", &self.default_rate)
                .map_err(f("tax.defaultRate"))?,
        })
    }
}

impl PrinterSettings {
    /// The printer, when one is set.
    pub fn printer_url(&self) -> Result<Option<PrinterUrl>, FieldError> {
        if self.url.trim().is_empty() {
            return Ok(None);
        }
        PrinterUrl::parse("printer.url", self.url.trim())
            .map(Some)
            .map_err(|e| FieldError::new("printer.url", e.allowed))
    }

    pub fn paper(&self) -> Result<Width, FieldError> {
        Width::parse("printer.width", &self.width.to_string())
            .map_err(|e| FieldError::new("printer.width", e.allowed))
    }
}

impl InvoiceSettings {
    /// The registration number, normalised, with a check-digit warning.
    pub fn registration(
        &self,
    ) -> Result<Option<(RegistrationNumber, Option<Warning>)>, FieldError> {
        if self.registration_number.trim().is_empty() {
            return Ok(None);
        }
        RegistrationNumber::parse("invoice.registrationNumber", &self.registration_number)
            .map(Some)
            .map_err(|e| FieldError::new("invoice.registrationNumber", e.allowed))
    }

    /// Writes the registration number the way receipts print it.
    pub(super) fn normalize(&mut self) {
        if let Ok(Some((n, _))) = self.registration() {
            self.registration_number = n.as_str().to_owned();
        }
    }

    fn check(&self, errs: &mut Vec<FieldError>) {
        let texts: [(&'static str, &str, usize, bool); 5] = [
            ("invoice.issuerName", &self.issuer_name, 40, false),
            ("invoice.address", &self.address, TEXT_MAX, false),
            ("invoice.phone", &self.phone, 20, false),
            ("invoice.header", &self.header, FREE_TEXT_MAX, true),
            ("invoice.footer", &self.footer, FREE_TEXT_MAX, true),
        ];
        for (field, text, max, lines) in texts {
            let bad_char = |c: char| c.is_control() && !(lines && c == '\n');
            if text.chars().count() > max || text.chars().any(bad_char) {
                let breaks = if lines {
                    ", line breaks allowed"
                } else {
                    ", on one line"
                };
                errs.push(FieldError::new(
                    field,
                    format!("empty or at most {max} characters{breaks}, no control characters"),
                ));
            }
        }
        if !self
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || "-+() ".contains(c))
        {
            errs.push(FieldError::new(
                "invoice.phone",
                "empty or a phone number: digits, spaces and - + ( )",
            ));
        }
        if let Err(e) = self.registration() {
            errs.push(e);
        }
    }
}

/// Checks the receipt sections into `errs`.
pub(super) fn validate(s: &super::Settings, errs: &mut Vec<FieldError>) {
    s.invoice.check(errs);
    if let Err(e) = s.tax.policy() {
        errs.push(e);
    }
    if let Err(e) = s.printer.printer_url() {
        errs.push(e);
    }
    if let Err(e) = s.printer.paper() {
        errs.push(e);
    }
    if let Err(e) = s.receipt.auto_print() {
        errs.push(e);
    }
}
