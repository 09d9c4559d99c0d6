//! What the virtual printer prints: jobs, lines, and why a stream is wrong.

use std::fmt;

/// Printable width of 80 mm paper in half-width columns (Font A, 12 dots).
pub const PAPER_COLUMNS: usize = 48;

/// One piece of paper: everything up to a cut (or to the end of a
/// connection that sent text but no cut).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub lines: Vec<PrintedLine>,
    /// Ended by `GS V` (false: the connection closed with text pending).
    pub cut: bool,
    /// The job's bytes as received, real-time status requests (`DLE EOT`)
    /// excepted, so they compare equal to what the app's encoder produced.
    pub raw: Vec<u8>,
}

impl Job {
    /// Just the lines' text, empty lines included.
    pub fn text(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.text.clone()).collect()
    }
}

/// One printed line, with the modes in force when its first character was
/// printed (for an empty line: when it was fed).
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedLine {
    pub text: String,
    pub bold: bool,
    /// Character width multiplier, 1..=8.
    pub width: u8,
    /// Character height multiplier, 1..=8.
    pub height: u8,
    pub align: Align,
    pub underline: bool,
}

impl PrintedLine {
    /// Width of the line on paper in half-width columns (a full-width
    /// character counts 2, times the width multiplier). More than
    /// [`PAPER_COLUMNS`] means the real printer would wrap the line.
    pub fn columns(&self) -> usize {
        let cols: usize = self.text.chars().map(char_columns).sum();
        cols * usize::from(self.width)
    }
}

/// Half-width columns a decoded character takes: 1 for ASCII and half-width
/// katakana, 2 for everything that came from a double-byte code.
pub fn char_columns(c: char) -> usize {
    if c.is_ascii() || c == '¥' || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
        1
    } else {
        2
    }
}

/// Justification (`ESC a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A byte stream the printer would not print as intended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Offset of the offending command or character in the stream.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for DecodeError {}
