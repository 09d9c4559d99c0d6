//! Printable characters: ASCII (0x5C as ¥ under `ESC R 8`), half-width
//! katakana, and Shift_JIS double-byte characters in kanji mode.

use super::commands::Step;
use super::decode::{hex, name, Decoder};

/// A printable character: ASCII, half-width katakana, or (in kanji mode,
/// Shift_JIS selected) a double-byte character.
pub(super) fn text(d: &mut Decoder, b: &[u8], at: usize) -> Option<Step> {
    let c = b[0];
    let (ch, kanji, len) = match c {
        b'\\' if d.modes.japan => ('¥', false, 1),
        0x20..=0x7E => (char::from(c), false, 1),
        0xA1..=0xDF => (halfwidth_katakana(c), false, 1),
        0x81..=0x9F | 0xE0..=0xFC => {
            if !d.modes.kanji_mode {
                let msg = format!(
                    "double-byte text outside kanji mode (FS & not sent): lead byte {}",
                    name(c)
                );
                return Some(Step::error(1, at, msg));
            }
            let trail = *b.get(1)?;
            if !d.shift_jis {
                let msg = "double-byte text before FS C 1 selected Shift_JIS";
                return Some(Step::error(2, at, format!("{msg}: {}", hex(&b[..2]))));
            }
            match shift_jis_pair(c, trail) {
                Some(ch) => (ch, true, 2),
                None => {
                    let msg = format!("invalid or unmapped Shift_JIS code {}", hex(&b[..2]));
                    // A bad trail byte may be a command: decode it next.
                    let len = if matches!(trail, 0x40..=0x7E | 0x80..=0xFC) {
                        2
                    } else {
                        1
                    };
                    return Some(Step::error(len, at, msg));
                }
            }
        }
        _ => {
            let msg = format!("byte {} is not printable here", name(c));
            return Some(Step::error(1, at, msg));
        }
    };
    Some(Step {
        len,
        event: d.put(ch, kanji, at),
    })
}

/// Shift_JIS 0xA1..=0xDF is U+FF61..=U+FF9F.
fn halfwidth_katakana(c: u8) -> char {
    char::from_u32(0xFF61 + u32::from(c - 0xA1)).expect("half-width katakana is in the BMP")
}

/// One double-byte Shift_JIS character; `None` if invalid, unmapped or a
/// user-defined (private use) code.
fn shift_jis_pair(lead: u8, trail: u8) -> Option<char> {
    let bytes = [lead, trail];
    let (s, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes);
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !had_errors && !('\u{E000}'..='\u{F8FF}').contains(&c) => Some(c),
        _ => None,
    }
}
