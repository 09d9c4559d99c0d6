//! A [`Doc`] as ESC/POS bytes for Epson's Japanese TM printers (TM-m30
//! class): Shift_JIS text in kanji mode, 0x5C printed as ¥.
//!
//! The stream starts from a reset every time (`ESC @`), so a printer left in
//! any mode by another program prints this receipt as laid out, and sends a
//! mode command only when a line needs a different mode than the line
//! before.

use crate::charset::printer_char;
use crate::doc::{Align, Doc, Size};

const LF: u8 = 0x0A;
const ESC: u8 = 0x1B;
const FS: u8 = 0x1C;
const GS: u8 = 0x1D;

/// `ESC @` reset, `ESC R 8` Japan character set (0x5C is ¥), `ESC t 1`
/// katakana code table (single bytes 0xA1–0xDF are half-width katakana,
/// whatever a memory switch made the default), `FS C 1` Shift_JIS, `FS &`
/// kanji mode on.
const START: [u8; 13] = [ESC, b'@', ESC, b'R', 8, ESC, b't', 1, FS, b'C', 1, FS, b'&'];

/// Lines fed after the last line (`ESC d`), so it clears the tear bar and
/// the cut leaves a margin under it.
const FEED_LINES: u8 = 4;

/// `ESC d n`, then `GS V 66 0`: feed to the cutter and cut partially (the
/// slip stays attached by a tab, so it does not fall on the floor).
const END: [u8; 7] = [ESC, b'd', FEED_LINES, GS, b'V', 66, 0];

/// The modes in force; `ESC @` sets these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Modes {
    align: Align,
    bold: bool,
    size: Size,
}

const RESET: Modes = Modes {
    align: Align::Left,
    bold: false,
    size: Size::Normal,
};

/// The bytes that print `doc` and cut the paper.
pub fn encode(doc: &Doc) -> Vec<u8> {
    let text: usize = doc.lines.iter().map(|l| l.text.len() + 8).sum();
    let mut out = Vec::with_capacity(START.len() + text + END.len());
    out.extend_from_slice(&START);
    let mut modes = RESET;
    for line in &doc.lines {
        // An empty line only feeds: its modes would print nothing.
        if !line.text.is_empty() {
            let want = Modes {
                align: line.align,
                bold: line.bold,
                size: line.size,
            };
            switch(&mut out, modes, want);
            modes = want;
            for c in line.text.chars() {
                out.extend_from_slice(printer_char(c).as_bytes());
            }
        }
        out.push(LF);
    }
    out.extend_from_slice(&END);
    out
}

/// The commands that change `from` into `to`, and only those.
fn switch(out: &mut Vec<u8>, from: Modes, to: Modes) {
    if from.align != to.align {
        let n = match to.align {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        };
        out.extend_from_slice(&[ESC, b'a', n]);
    }
    if from.bold != to.bold {
        out.extend_from_slice(&[ESC, b'E', u8::from(to.bold)]);
    }
    if from.size != to.size {
        // GS ! sizes every character; FS ! the double-byte ones again, for
        // models where kanji follow FS ! only (bit 2 double width, bit 3
        // double height).
        let (gs, fs) = match to.size {
            Size::Normal => (0x00, 0x00),
            Size::Double => (0x11, 0x0C),
            Size::Tall => (0x01, 0x08),
        };
        out.extend_from_slice(&[GS, b'!', gs, FS, b'!', fs]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Style, Width};

    #[test]
    fn a_small_doc_byte_for_byte() {
        let mut doc = Doc::new(Width::Mm58);
        doc.title("ｺｰﾋｰ")
            .title("店")
            .center("¥1")
            .blank()
            .text("a\\")
            .line("b", Style::NORMAL.bold().size(Size::Tall))
            .line("c", Style::NORMAL.bold().size(Size::Tall));
        let want: Vec<u8> = [
            &START[..],
            // title: centre, bold, double (GS ! and FS !), text
            &[ESC, b'a', 1, ESC, b'E', 1, GS, b'!', 0x11, FS, b'!', 0x0C],
            &[0xBA, 0xB0, 0xCB, 0xB0, LF],
            // same modes: nothing but the text (店 = 0x93 0x58)
            &[0x93, 0x58, LF],
            // bold off, size normal; still centred; ¥ is 0x5C
            &[ESC, b'E', 0, GS, b'!', 0, FS, b'!', 0, 0x5C, b'1', LF],
            // an empty line changes no mode
            &[LF],
            // left; backslash as full-width ＼ (0x815F)
            &[ESC, b'a', 0, b'a', 0x81, 0x5F, LF],
            // bold, tall
            &[ESC, b'E', 1, GS, b'!', 0x01, FS, b'!', 0x08, b'b', LF],
            &[b'c', LF],
            &END[..],
        ]
        .concat();
        assert_eq!(encode(&doc), want);
    }

    #[test]
    fn starts_with_reset_japan_katakana_shift_jis_kanji_mode_and_ends_with_a_cut() {
        let bytes = encode(&Doc::new(Width::Mm80));
        assert_eq!(
            bytes,
            [
                0x1B, 0x40, 0x1B, 0x52, 0x08, 0x1B, 0x74, 0x01, // reset, Japan, katakana
                0x1C, 0x43, 0x01, 0x1C, 0x26, // Shift_JIS, kanji mode
                0x1B, 0x64, 0x04, 0x1D, 0x56, 0x42, 0x00, // feed 4, partial cut
            ]
        );
    }

    #[test]
    fn unprintable_characters_go_out_as_geta() {
        let mut doc = Doc::new(Width::Mm80);
        doc.text("𠮷野家①😀");
        let bytes = encode(&doc);
        let text = &bytes[START.len()..bytes.len() - END.len() - 1];
        // 〓 (0x81AC) 野 (0x96EC) 家 (0x89C6) 〓 〓
        assert_eq!(
            text,
            [0x81, 0xAC, 0x96, 0xEC, 0x89, 0xC6, 0x81, 0xAC, 0x81, 0xAC]
        );
    }
}
