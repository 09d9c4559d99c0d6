//! The strict ESC/POS decoder: a streaming state machine (bytes may arrive
//! split anywhere, real-time requests are reported as they are read) and
//! the pure [`decode`] over a whole stream.

use std::mem;

use super::commands::{self, Modes, Step};
use super::model::{DecodeError, Job, PrintedLine};

const DLE: u8 = 0x10;
const EOT: u8 = 0x04;

/// What the decoder reports, in stream order.
#[derive(Debug)]
pub(crate) enum Event {
    /// `DLE EOT n`: the printer answers one byte at once.
    StatusRequest(u8),
    /// The first printable character of a job, at this stream offset.
    Printing(usize),
    Job(Job),
    Error(DecodeError),
}

/// Decodes the whole stream: every job, or the first error.
///
/// Real-time status requests are skipped (nobody is there to answer).
/// Bytes after the last cut make a job only if they contain text.
pub fn decode(bytes: &[u8]) -> Result<Vec<Job>, DecodeError> {
    let mut decoder = Decoder::default();
    let mut events = decoder.feed(bytes);
    events.extend(decoder.finish());
    let mut jobs = Vec::new();
    for event in events {
        match event {
            Event::Job(job) => jobs.push(job),
            Event::Error(e) => return Err(e),
            Event::StatusRequest(_) | Event::Printing(_) => {}
        }
    }
    Ok(jobs)
}

/// The printer's state between two bytes of one connection.
#[derive(Default)]
pub(crate) struct Decoder {
    /// Received bytes not decoded yet (an incomplete command or character).
    pending: Vec<u8>,
    /// Stream offset of `pending[0]`.
    offset: usize,
    pub(super) modes: Modes,
    /// `FS C 1` seen (Shift_JIS double-byte codes); not reset by `ESC @`.
    pub(super) shift_jis: bool,
    /// The line being printed, with the modes of its first character.
    pub(super) line: Option<PrintedLine>,
    lines: Vec<PrintedLine>,
    raw: Vec<u8>,
    /// The current job has printed at least one character.
    has_text: bool,
    /// A `GS V` was decoded: the job ends after its bytes are recorded.
    pub(super) cut: bool,
}

impl Decoder {
    /// Decodes what `data` completes; keeps an incomplete tail for later.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(data);
        let pending = mem::take(&mut self.pending);
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < pending.len() {
            let bytes = &pending[pos..];
            let at = self.offset + pos;
            let step = if bytes[0] == DLE {
                real_time(bytes, at)
            } else {
                commands::step(self, bytes, at)
            };
            let Some(Step { len, event }) = step else {
                break;
            };
            let is_status = matches!(event, Some(Event::StatusRequest(_)));
            if !is_status {
                self.raw.extend_from_slice(&bytes[..len]);
            }
            out.extend(event);
            pos += len;
            if self.cut {
                self.cut = false;
                out.push(Event::Job(self.take_job(true)));
            }
        }
        self.offset += pos;
        self.pending = pending[pos..].to_vec();
        out
    }

    /// The stream has ended: what is left becomes an error and/or a job.
    pub(crate) fn finish(mut self) -> Vec<Event> {
        let mut out = Vec::new();
        if !self.pending.is_empty() {
            out.push(Event::Error(DecodeError {
                offset: self.offset,
                message: format!(
                    "stream ends inside a command or character: {}",
                    hex(&self.pending)
                ),
            }));
            let pending = mem::take(&mut self.pending);
            self.raw.extend_from_slice(&pending);
        }
        if self.line.is_some() {
            self.end_line();
        }
        if self.has_text {
            out.push(Event::Job(self.take_job(false)));
        }
        out
    }

    /// Appends a decoded character to the line in progress (starting one
    /// with the current modes if needed).
    pub(super) fn put(&mut self, c: char, kanji: bool, at: usize) -> Option<Event> {
        let line = self.line.get_or_insert_with(|| self.modes.line(kanji));
        line.text.push(c);
        if mem::replace(&mut self.has_text, true) {
            None
        } else {
            Some(Event::Printing(at))
        }
    }

    /// Ends the line in progress, or feeds an empty line.
    pub(super) fn end_line(&mut self) {
        let line = self.line.take().unwrap_or_else(|| self.modes.line(false));
        self.lines.push(line);
    }

    fn take_job(&mut self, cut: bool) -> Job {
        self.has_text = false;
        Job {
            lines: mem::take(&mut self.lines),
            cut,
            raw: mem::take(&mut self.raw),
        }
    }
}

/// `DLE EOT n`, the only real-time command the virtual printer knows.
fn real_time(bytes: &[u8], at: usize) -> Option<Step> {
    let c = *bytes.get(1)?;
    if c != EOT {
        return Some(Step::error(
            2,
            at,
            format!("unknown real-time command DLE {}", name(c)),
        ));
    }
    let n = *bytes.get(2)?;
    Some(Step {
        len: 3,
        event: Some(Event::StatusRequest(n)),
    })
}

/// `1B 7A` for error messages.
pub(super) fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    parts.join(" ")
}

/// `0x7A 'z'` (or just `0x05`) for error messages.
pub(super) fn name(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("{b:#04X} '{}'", char::from(b))
    } else {
        format!("{b:#04X}")
    }
}
