//! Epson's real-time status bytes (`DLE EOT n`) and what they mean for a
//! print job. Pure.

use super::{PrinterError, PrinterUrl};

/// `DLE EOT 1`, bit 3: the printer is offline.
const OFFLINE: u8 = 0x08;
/// `DLE EOT 2`, bit 2: the cover is open.
const COVER_OPEN: u8 = 0x04;
/// `DLE EOT 2`, bit 5: printing stopped at the paper end.
const STOPPED_BY_PAPER_END: u8 = 0x20;
/// `DLE EOT 4`, bits 5 and 6: the roll paper end sensor sees no paper.
const PAPER_END: u8 = 0x60;

/// What the printer said about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterStatus {
    Ready,
    /// Offline for another reason (an error, the feed button held, …).
    Offline,
    CoverOpen,
    PaperOut,
}

impl PrinterStatus {
    /// The error that stops a print job, `None` when ready.
    pub fn error(self, url: &PrinterUrl) -> Option<PrinterError> {
        let url = url.to_string();
        match self {
            PrinterStatus::Ready => None,
            PrinterStatus::Offline => Some(PrinterError::Offline { url }),
            PrinterStatus::CoverOpen => Some(PrinterError::CoverOpen { url }),
            PrinterStatus::PaperOut => Some(PrinterError::PaperOut { url }),
        }
    }
}

/// Every `DLE EOT` answer has bit 1 and bit 4 set, bits 0 and 7 clear;
/// anything else is not a status byte (an old printer's noise).
pub(super) fn is_status_byte(b: u8) -> bool {
    b & 0x93 == 0x12
}

pub(super) fn is_offline(printer: u8) -> bool {
    printer & OFFLINE != 0
}

/// The status from `DLE EOT 1` (`printer`) and, when it says offline, the
/// answers to `DLE EOT 2` (`cause`) and `DLE EOT 4` (`paper`), if any came.
/// The cover is named first: with it open the paper cannot be judged.
pub(super) fn classify(printer: u8, cause: Option<u8>, paper: Option<u8>) -> PrinterStatus {
    let cause = cause.unwrap_or(0);
    let paper = paper.unwrap_or(0);
    if !is_offline(printer) {
        PrinterStatus::Ready
    } else if cause & COVER_OPEN != 0 {
        PrinterStatus::CoverOpen
    } else if cause & STOPPED_BY_PAPER_END != 0 || paper & PAPER_END != 0 {
        PrinterStatus::PaperOut
    } else {
        PrinterStatus::Offline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PrinterStatus::*;

    #[test]
    fn the_status_table() {
        let cases = [
            // (DLE EOT 1, 2, 4) -> status
            (0x16, None, None, Ready),
            (0x12, None, None, Ready),
            (0x1E, Some(0x12), Some(0x12), Offline),
            (0x1E, None, None, Offline),
            (0x1E, Some(0x16), Some(0x12), CoverOpen),
            (0x1E, Some(0x32), Some(0x72), PaperOut),
            (0x1E, Some(0x32), None, PaperOut),
            (0x1E, Some(0x12), Some(0x72), PaperOut),
            (0x1E, Some(0x12), Some(0x32), PaperOut),
            (0x1E, Some(0x12), Some(0x52), PaperOut),
            // Cover open and paper out: the cover first.
            (0x1E, Some(0x36), Some(0x72), CoverOpen),
            // Paper near end (DLE EOT 4 bits 2, 3) does not stop printing.
            (0x1E, Some(0x12), Some(0x1E), Offline),
        ];
        for (printer, cause, paper, want) in cases {
            assert_eq!(
                classify(printer, cause, paper),
                want,
                "{printer:#04X} {cause:02X?} {paper:02X?}"
            );
        }
    }

    #[test]
    fn status_bytes_have_their_fixed_bits() {
        for b in [0x12, 0x16, 0x1E, 0x32, 0x72, 0x7E] {
            assert!(is_status_byte(b), "{b:#04X}");
        }
        for b in [0x00, 0x10, 0x13, 0x92, 0xFF, b'A'] {
            assert!(!is_status_byte(b), "{b:#04X}");
        }
    }
}
