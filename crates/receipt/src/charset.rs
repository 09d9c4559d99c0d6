//! The printer's character set: what one character becomes on an Epson
//! Japanese TM printer in kanji mode with Shift_JIS selected (`FS C 1`) and
//! the Japan international set (`ESC R 8`).
//!
//! This is the one char → bytes function: the encoder sends these bytes and
//! the layout ([`crate::doc::columns`]) counts one column per byte (a
//! double-byte character is full-width, two columns; ASCII and half-width
//! katakana one).
//!
//! encoding_rs's `SHIFT_JIS` is the WHATWG encoding, that is Windows-31J: it
//! also produces NEC row 13 (①, ㈱, lead byte 0x87) and the IBM extensions
//! (lead bytes 0xED–0xEE, 0xFA–0xFC), which a printer's JIS X 0208 font
//! lacks. Only JIS X 0208 is kept; everything else becomes 〓 (geta),
//! visibly, never dropped.

use encoding_rs::{EncoderResult, SHIFT_JIS};

/// 〓 (U+3013), printed in place of a character the printer cannot print.
pub const REPLACEMENT: char = '\u{3013}';
const REPLACEMENT_BYTES: PrinterChar = PrinterChar {
    bytes: [0x81, 0xAC],
    len: 2,
};

/// One character as the printer receives it: one or two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrinterChar {
    bytes: [u8; 2],
    len: u8,
}

impl PrinterChar {
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Columns on paper at normal size: the number of bytes.
    pub fn columns(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether this is 〓 (put in place of an unprintable character, or
    /// typed as such).
    pub fn is_replacement(&self) -> bool {
        *self == REPLACEMENT_BYTES
    }

    fn one(b: u8) -> PrinterChar {
        PrinterChar {
            bytes: [b, 0],
            len: 1,
        }
    }
}

/// What `c` becomes on the printer (〓 when it has no JIS X 0208 code).
pub fn printer_char(c: char) -> PrinterChar {
    match c {
        // Printable ASCII, except the backslash: under ESC R 8, 0x5C is ¥.
        '\\' => two(0x81, 0x5F), // ＼ (full-width reverse solidus)
        ' '..='~' => PrinterChar::one(c as u8),
        '¥' => PrinterChar::one(0x5C),
        // Half-width katakana: U+FF61..=U+FF9F is 0xA1..=0xDF.
        '\u{FF61}'..='\u{FF9F}' => PrinterChar::one((u32::from(c) - 0xFF61 + 0xA1) as u8),
        c if c.is_control() => REPLACEMENT_BYTES,
        c => windows_31j(jis_alias(c))
            .filter(is_jis_x_0208)
            .unwrap_or(REPLACEMENT_BYTES),
    }
}

fn two(lead: u8, trail: u8) -> PrinterChar {
    PrinterChar {
        bytes: [lead, trail],
        len: 2,
    }
}

/// JIS X 0208 characters that Unicode maps two ways: the JIS mapping (as a
/// Mac or a Japanese text file produces them) turned into the Windows-31J
/// one that encoding_rs knows. Same code, same glyph on the printer.
fn jis_alias(c: char) -> char {
    match c {
        '\u{301C}' => '\u{FF5E}', // 〜 wave dash (0x8160)
        '\u{2016}' => '\u{2225}', // ‖ double vertical line (0x8161)
        '\u{2014}' => '\u{2015}', // — em dash (0x815C)
        '\u{00A2}' => '\u{FFE0}', // ¢ (0x8191)
        '\u{00A3}' => '\u{FFE1}', // £ (0x8192)
        '\u{00AC}' => '\u{FFE2}', // ¬ (0x81CA)
        // ‾ overline: encoding_rs gives 0x7E, which prints as ~.
        '\u{203E}' => '\u{FFE3}', // ￣ (0x8150)
        c => c,
    }
}

/// `c` in Windows-31J, if it has a code there.
fn windows_31j(c: char) -> Option<PrinterChar> {
    let mut utf8 = [0u8; 4];
    let mut out = [0u8; 4];
    // Shift_JIS's encoder is stateless: a fresh one per character is free.
    let mut encoder = SHIFT_JIS.new_encoder();
    let (result, _, written) =
        encoder.encode_from_utf8_without_replacement(c.encode_utf8(&mut utf8), &mut out, true);
    match (result, written) {
        (EncoderResult::InputEmpty, 1) => Some(PrinterChar::one(out[0])),
        (EncoderResult::InputEmpty, 2) => Some(two(out[0], out[1])),
        _ => None,
    }
}

/// Single bytes the printer prints as ASCII or half-width katakana, and
/// double-byte codes in JIS X 0208's rows (lead bytes 0x81–0x84 symbols,
/// 0x88–0x9F and 0xE0–0xEA kanji).
fn is_jis_x_0208(p: &PrinterChar) -> bool {
    match p.as_bytes() {
        [b] => matches!(b, 0x20..=0x7E | 0xA1..=0xDF),
        [lead, _] => matches!(lead, 0x81..=0x84 | 0x88..=0x9F | 0xE0..=0xEA),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(c: char) -> Vec<u8> {
        printer_char(c).as_bytes().to_vec()
    }

    #[test]
    fn yen_is_0x5c_and_backslash_is_full_width() {
        assert_eq!(bytes('¥'), [0x5C]);
        assert_eq!(bytes('\\'), [0x81, 0x5F]);
        assert_eq!(bytes('A'), [0x41]);
        assert_eq!(bytes('ｱ'), [0xB1]);
        assert_eq!(bytes('ﾟ'), [0xDF]);
        assert_eq!(bytes('｡'), [0xA1]);
        assert_eq!(bytes('あ'), [0x82, 0xA0]);
        // 〓 is 0x81AC in JIS X 0208 (0x81A6 is ※).
        assert_eq!(bytes('〓'), [0x81, 0xAC]);
        assert_eq!(bytes('※'), [0x81, 0xA6]);
        assert_eq!(bytes('熙'), [0xEA, 0xA4]); // the last JIS X 0208 code
    }

    #[test]
    fn outside_jis_x_0208_is_geta_never_dropped() {
        for c in [
            '𠮷',    // not in Shift_JIS at all
            '①',     // NEC row 13 (0x8740)
            '㈱',    // NEC row 13
            'ⅰ',     // IBM extension (0xFA40)
            '髙',    // IBM extension (0xFBFC)
            '😀',    // emoji
            '\u{7}', // control characters
            '\t', '\n', '\u{80}', // C1: Windows-31J maps it to 0x80
            'é',      // Latin-1, unmapped
        ] {
            assert_eq!(bytes(c), [0x81, 0xAC], "{c:?}");
            assert!(printer_char(c).is_replacement());
            assert_eq!(printer_char(c).columns(), 2, "{c:?}");
        }
    }

    #[test]
    fn common_shop_symbols_are_kept() {
        for c in [
            '～', '－', '・', '★', '♪', '＠', '（', '）', '「', '」', '℃', '−',
        ] {
            assert!(!printer_char(c).is_replacement(), "{c:?}");
            assert_eq!(printer_char(c).columns(), 2, "{c:?}");
        }
    }

    #[test]
    fn jis_characters_unicode_maps_two_ways_print_as_jis() {
        let cases = [
            ('〜', [0x81, 0x60]),
            ('～', [0x81, 0x60]),
            ('‖', [0x81, 0x61]),
            ('—', [0x81, 0x5C]),
            ('¢', [0x81, 0x91]),
            ('£', [0x81, 0x92]),
            ('¬', [0x81, 0xCA]),
            ('‾', [0x81, 0x50]),
        ];
        for (c, want) in cases {
            assert_eq!(bytes(c), want, "{c:?}");
        }
    }
}
