//! A printed document independent of any printer: lines of text with an
//! alignment, emphasis and size, laid out for a paper width.
//!
//! This is the one place text is measured: a character takes as many
//! columns as the bytes it becomes on the printer ([`printer_char`]), and
//! every line the builder makes fits the paper — long text is wrapped, a
//! character is never cut, and a double-size line has half the columns.

mod width;

use serde::Serialize;

use crate::charset::printer_char;

pub use width::Width;

/// Horizontal position of a line on the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// Character size of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    #[default]
    Normal,
    /// Double width and double height: half the columns.
    Double,
    /// Double height only: all the columns.
    Tall,
}

impl Size {
    /// How many paper columns one column of text takes.
    pub fn width_factor(self) -> usize {
        match self {
            Size::Double => 2,
            Size::Normal | Size::Tall => 1,
        }
    }
}

/// How a line is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub align: Align,
    pub bold: bool,
    pub size: Size,
}

impl Style {
    pub const NORMAL: Style = Style {
        align: Align::Left,
        bold: false,
        size: Size::Normal,
    };

    pub fn align(self, align: Align) -> Style {
        Style { align, ..self }
    }

    pub fn bold(self) -> Style {
        Style { bold: true, ..self }
    }

    pub fn size(self, size: Size) -> Style {
        Style { size, ..self }
    }
}

/// One printed line. The builder guarantees it fits the paper. Serialised
/// for the app's print-dialog view (`{"text","align","bold","size"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocLine {
    pub text: String,
    pub align: Align,
    pub bold: bool,
    pub size: Size,
}

impl DocLine {
    /// Paper columns the line takes (its text's columns, doubled for a
    /// double-size line).
    pub fn columns(&self) -> usize {
        columns(&self.text) * self.size.width_factor()
    }
}

/// A receipt as lines, for one paper width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub lines: Vec<DocLine>,
    pub width: Width,
}

impl Doc {
    pub fn new(width: Width) -> Doc {
        Doc {
            lines: Vec::new(),
            width,
        }
    }

    /// Columns of text a line of `size` holds.
    pub fn cols(&self, size: Size) -> usize {
        self.width.cols() / size.width_factor()
    }

    /// `text` in `style`: one line per `\n`-separated part, each wrapped
    /// at the width.
    pub fn line(&mut self, text: &str, style: Style) -> &mut Doc {
        let cols = self.cols(style.size);
        for part in text.split('\n') {
            for piece in wrap(part.trim_end_matches('\r'), cols) {
                self.push(piece, style);
            }
        }
        self
    }

    /// Left-aligned normal text.
    pub fn text(&mut self, text: &str) -> &mut Doc {
        self.line(text, Style::NORMAL)
    }

    /// Centred normal text.
    pub fn center(&mut self, text: &str) -> &mut Doc {
        self.line(text, Style::NORMAL.align(Align::Center))
    }

    /// Centred, bold, double size.
    pub fn title(&mut self, text: &str) -> &mut Doc {
        self.line(
            text,
            Style::NORMAL.align(Align::Center).bold().size(Size::Double),
        )
    }

    /// `left` at the left and `right` right-aligned on the same line, in
    /// normal style.
    pub fn row(&mut self, left: &str, right: &str) -> &mut Doc {
        self.row_styled(left, right, Style::NORMAL)
    }

    /// A row in `style` (its alignment is not used). The right part always
    /// fits whole: a long left part is wrapped, and when its last piece
    /// leaves no room the right part goes on a line of its own.
    pub fn row_styled(&mut self, left: &str, right: &str, style: Style) -> &mut Doc {
        let style = style.align(Align::Left);
        let cols = self.cols(style.size);
        let right_cols = columns(right);
        if right_cols > cols {
            // Not a row any more; still print every character.
            self.line(left, style);
            return self.line(right, style.align(Align::Right));
        }
        let mut pieces = if left.is_empty() {
            Vec::new()
        } else {
            wrap(left, cols)
        };
        let last = pieces.pop();
        for piece in pieces {
            self.push(piece, style);
        }
        let mut line = match last {
            Some(last) if columns(&last) + 1 + right_cols <= cols => last,
            Some(last) => {
                self.push(last, style);
                String::new()
            }
            None => String::new(),
        };
        let gap = cols - columns(&line) - right_cols;
        line.extend(std::iter::repeat_n(' ', gap));
        line.push_str(right);
        self.push(line, style);
        self
    }

    /// A line of `-` the full width.
    pub fn rule(&mut self) -> &mut Doc {
        let line = "-".repeat(self.width.cols());
        self.push(line, Style::NORMAL)
    }

    /// An empty line.
    pub fn blank(&mut self) -> &mut Doc {
        self.push(String::new(), Style::NORMAL)
    }

    /// The document as plain UTF-8 lines (for stdout and tests): centred and
    /// right-aligned lines padded with spaces to the paper width, double-size
    /// lines as normal text.
    pub fn plain_text(&self) -> String {
        let cols = self.width.cols();
        let mut out = String::new();
        for line in &self.lines {
            let text = line.text.trim_end();
            let free = cols.saturating_sub(columns(text));
            let pad = match line.align {
                Align::Left => 0,
                Align::Center => free / 2,
                Align::Right => free,
            };
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(text);
            out.push('\n');
        }
        out
    }

    fn push(&mut self, text: String, style: Style) -> &mut Doc {
        self.lines.push(DocLine {
            text,
            align: style.align,
            bold: style.bold,
            size: style.size,
        });
        self
    }
}

/// Columns `text` takes at normal size: one per byte it becomes on the
/// printer (full-width 2; ASCII, ¥ and half-width katakana 1; 〓 for an
/// unprintable character, 2).
pub fn columns(text: &str) -> usize {
    text.chars().map(|c| printer_char(c).columns()).sum()
}

/// `text` cut into lines of at most `cols` columns, never inside a
/// character. A line breaks after a space when one allows: before a Latin
/// word or number it would otherwise cut, or in the second half of the
/// line (Japanese text puts spaces between phrases). Always at least one
/// line.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for c in text.chars() {
        let width = printer_char(c).columns();
        if used + width > cols && !line.is_empty() {
            let carried = if c == ' ' {
                String::new()
            } else {
                carry_after_space(&mut line, is_word(c), cols / 2)
            };
            lines.push(line.trim_end().to_owned());
            line = carried;
            used = columns(&line);
            if c == ' ' {
                continue;
            }
        }
        line.push(c);
        used += width;
    }
    lines.push(line);
    lines
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Removes from `line` what follows its last space and answers it, when
/// that space ends a word being cut (`in_word`) or comes at `half` columns
/// or later; otherwise leaves `line` whole.
fn carry_after_space(line: &mut String, in_word: bool, half: usize) -> String {
    let Some(space) = line.rfind(' ') else {
        return String::new();
    };
    let after = &line[space + 1..];
    let whole_word = in_word && !after.is_empty() && after.chars().all(is_word);
    let late = columns(&line[..space]) >= half;
    if space > 0 && (whole_word || late) {
        let carried = line[space + 1..].to_owned();
        line.truncate(space);
        carried
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests;
