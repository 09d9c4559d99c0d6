//! One ESC/POS command or character at a time (Epson, Japanese models), as
//! the virtual printer understands them. Anything else is an error.

use super::decode::{hex, Decoder, Event};
use super::model::{Align, DecodeError, PrintedLine};
use super::text;

const LF: u8 = 0x0A;
const CR: u8 = 0x0D;
const ESC: u8 = 0x1B;
const FS: u8 = 0x1C;
const GS: u8 = 0x1D;

/// A decoded command: how many bytes it took and what it reports.
pub(super) struct Step {
    pub(super) len: usize,
    pub(super) event: Option<Event>,
}

impl Step {
    pub(super) fn ok(len: usize) -> Option<Step> {
        Some(Step { len, event: None })
    }

    pub(super) fn error(len: usize, offset: usize, message: String) -> Step {
        Step {
            len,
            event: Some(Event::Error(DecodeError { offset, message })),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Size {
    w: u8,
    h: u8,
}

impl Size {
    const ONE: Size = Size { w: 1, h: 1 };

    fn doubled(w: bool, h: bool) -> Size {
        Size {
            w: if w { 2 } else { 1 },
            h: if h { 2 } else { 1 },
        }
    }
}

/// Print modes; `ESC @` restores these defaults.
#[derive(Debug, Clone)]
pub(super) struct Modes {
    align: Align,
    /// `ESC E` / `ESC !` bit 3 (all characters).
    bold: bool,
    /// `ESC !` / `GS !` (alphanumeric and katakana).
    ank: Size,
    /// `FS !` / `FS W` / `GS !` (double-byte characters).
    kanji: Size,
    /// `ESC -` / `ESC !` bit 7.
    ank_underline: bool,
    /// `FS -` / `FS !` bit 7.
    kanji_underline: bool,
    /// `ESC R 8`: 0x5C prints as ¥.
    pub(super) japan: bool,
    /// `FS &` .. `FS .`
    pub(super) kanji_mode: bool,
}

impl Default for Modes {
    fn default() -> Self {
        Modes {
            align: Align::Left,
            bold: false,
            ank: Size::ONE,
            kanji: Size::ONE,
            ank_underline: false,
            kanji_underline: false,
            japan: false,
            kanji_mode: false,
        }
    }
}

impl Modes {
    /// An empty line with the modes a first character of this kind gets.
    pub(super) fn line(&self, kanji: bool) -> PrintedLine {
        let (size, underline) = if kanji {
            (self.kanji, self.kanji_underline)
        } else {
            (self.ank, self.ank_underline)
        };
        PrintedLine {
            text: String::new(),
            bold: self.bold,
            width: size.w,
            height: size.h,
            align: self.align,
            underline,
        }
    }
}

/// Decodes the command or character at the start of `b` (`at` is its
/// stream offset). `None`: `b` ends before the command does.
pub(super) fn step(d: &mut Decoder, b: &[u8], at: usize) -> Option<Step> {
    match b[0] {
        LF => {
            d.end_line();
            Step::ok(1)
        }
        CR => Step::ok(1),
        ESC => esc(d, b, at),
        GS => gs(d, b, at),
        FS => fs(d, b, at),
        c @ (0x00..=0x1F | 0x7F) => Some(Step::error(
            1,
            at,
            format!("control byte {c:#04X} is not a command the printer knows"),
        )),
        _ => text::text(d, b, at),
    }
}

fn esc(d: &mut Decoder, b: &[u8], at: usize) -> Option<Step> {
    let cmd = *b.get(1)?;
    let bad = |len, what: &str| Some(Step::error(len, at, format!("{what}: {}", hex(&b[..len]))));
    match cmd {
        b'@' => {
            let discards = d.line.as_ref().is_some_and(|l| !l.text.is_empty());
            d.line = None;
            d.modes = Modes::default();
            if discards {
                return bad(
                    2,
                    "ESC @ discards the unprinted text of the line in progress",
                );
            }
            Step::ok(2)
        }
        b'R' => {
            let n = *b.get(2)?;
            if !matches!(n, 0..=17 | 66..=75 | 82) {
                return bad(3, "ESC R with an unknown international character set");
            }
            d.modes.japan = n == 8;
            Step::ok(3)
        }
        b't' | b'3' | b'J' => {
            b.get(2)?;
            Step::ok(3)
        }
        b'2' => Step::ok(2),
        b'!' => {
            let n = *b.get(2)?;
            d.modes.bold = n & 0x08 != 0;
            d.modes.ank = Size::doubled(n & 0x20 != 0, n & 0x10 != 0);
            d.modes.ank_underline = n & 0x80 != 0;
            if n & 0x01 != 0 {
                return bad(
                    3,
                    "ESC ! selects font B, which the virtual printer does not print",
                );
            }
            Step::ok(3)
        }
        b'E' => {
            d.modes.bold = *b.get(2)? & 1 != 0;
            Step::ok(3)
        }
        b'-' => match underline(*b.get(2)?) {
            Some(on) => {
                d.modes.ank_underline = on;
                Step::ok(3)
            }
            None => bad(3, "ESC - with an invalid argument"),
        },
        b'a' => {
            let align = match *b.get(2)? {
                0 | 48 => Align::Left,
                1 | 49 => Align::Center,
                2 | 50 => Align::Right,
                _ => return bad(3, "ESC a with an invalid argument"),
            };
            if d.line.is_some() {
                return bad(
                    3,
                    "ESC a in the middle of a line (the printer ignores it there)",
                );
            }
            d.modes.align = align;
            Step::ok(3)
        }
        b'd' => {
            let n = *b.get(2)?;
            if d.line.is_some() || n > 0 {
                d.end_line();
                for _ in 1..n {
                    d.end_line();
                }
            }
            Step::ok(3)
        }
        b'p' => {
            let m = *b.get(2)?;
            b.get(4)?;
            if !matches!(m, 0 | 1 | 48 | 49) {
                return bad(5, "ESC p with an invalid drawer pin");
            }
            Step::ok(5)
        }
        _ => bad(2, "unknown command ESC"),
    }
}

fn gs(d: &mut Decoder, b: &[u8], at: usize) -> Option<Step> {
    let cmd = *b.get(1)?;
    let bad = |len, what: &str| Some(Step::error(len, at, format!("{what}: {}", hex(&b[..len]))));
    match cmd {
        b'!' => {
            let n = *b.get(2)?;
            let (w, h) = (n >> 4, n & 0x0F);
            if w > 7 || h > 7 {
                return bad(3, "GS ! with a size above 8");
            }
            let size = Size { w: w + 1, h: h + 1 };
            d.modes.ank = size;
            d.modes.kanji = size;
            Step::ok(3)
        }
        b'V' => {
            let len = match *b.get(2)? {
                0 | 1 | 48 | 49 => 3,
                65 | 66 => {
                    b.get(3)?;
                    4
                }
                _ => return bad(3, "GS V with an unknown cut function"),
            };
            d.cut = true;
            if d.line.is_some() {
                d.end_line();
                return bad(
                    len,
                    "GS V in the middle of a line (the printer ignores it there)",
                );
            }
            Step::ok(len)
        }
        b'B' => {
            b.get(2)?;
            Step::ok(3)
        }
        _ => bad(2, "unknown command GS"),
    }
}

fn fs(d: &mut Decoder, b: &[u8], at: usize) -> Option<Step> {
    let cmd = *b.get(1)?;
    let bad = |len, what: &str| Some(Step::error(len, at, format!("{what}: {}", hex(&b[..len]))));
    match cmd {
        b'C' => match *b.get(2)? {
            1 | 0x31 => {
                d.shift_jis = true;
                Step::ok(3)
            }
            0 | 0x30 => bad(3, "FS C selects JIS; only Shift_JIS (FS C 1) is supported"),
            _ => bad(3, "FS C with an unknown kanji code system"),
        },
        b'&' => {
            d.modes.kanji_mode = true;
            Step::ok(2)
        }
        b'.' => {
            d.modes.kanji_mode = false;
            Step::ok(2)
        }
        b'!' => {
            let n = *b.get(2)?;
            d.modes.kanji = Size::doubled(n & 0x04 != 0, n & 0x08 != 0);
            d.modes.kanji_underline = n & 0x80 != 0;
            Step::ok(3)
        }
        b'W' => {
            let on = *b.get(2)? & 1 != 0;
            d.modes.kanji = Size::doubled(on, on);
            Step::ok(3)
        }
        b'-' => match underline(*b.get(2)?) {
            Some(on) => {
                d.modes.kanji_underline = on;
                Step::ok(3)
            }
            None => bad(3, "FS - with an invalid argument"),
        },
        _ => bad(2, "unknown command FS"),
    }
}

/// `ESC -` / `FS -` argument: off, 1-dot or 2-dot underline.
fn underline(n: u8) -> Option<bool> {
    match n {
        0 | 48 => Some(false),
        1 | 2 | 49 | 50 => Some(true),
        _ => None,
    }
}
