//! Server-Sent Events, parsed from bytes as they arrive (the WHATWG
//! "event stream interpretation"): lines end in LF, CRLF or CR (a CRLF may
//! be split across chunks); `:` starts a comment; `data:` lines join with
//! `\n`; `id:` sets the last event id even when no event follows; a blank
//! line dispatches. Pure, so every case is tested without a server.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The last event id at dispatch (ids carry over to later events).
    pub id: Option<String>,
    /// `event:`, or `"message"` when none was given.
    pub event: String,
    pub data: String,
}

/// A line or an event longer than this ends the stream with an error: a
/// webhook body is a few kilobytes, and a stream that never ends a line
/// must not eat the memory. Twice HQ's own limit on a webhook (256 KiB),
/// so no event HQ accepted can stall the stream.
pub const MAX_EVENT_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event of the head office's stream is longer than {MAX_EVENT_BYTES} bytes")]
pub struct SseTooLong;

#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in CR: a leading LF now ends nothing.
    after_cr: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// The id to resume from (`Last-Event-ID`).
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Feeds a chunk; answers the events it completed, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseTooLong> {
        let mut out = Vec::new();
        for &b in chunk {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(ev) = self.line_done(&line) {
                        out.push(ev);
                    }
                }
                _ => {
                    if self.line.len() >= MAX_EVENT_BYTES {
                        return Err(SseTooLong);
                    }
                    self.line.push(b);
                }
            }
        }
        if self.data.len() > MAX_EVENT_BYTES {
            return Err(SseTooLong);
        }
        Ok(out)
    }

    fn line_done(&mut self, raw: &[u8]) -> Option<SseEvent> {
        let mut line = String::from_utf8_lossy(raw);
        if !self.started {
            // A byte-order mark may open the stream.
            self.started = true;
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_owned().into();
            }
        }
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None; // comment (keep-alive)
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // An id with NUL is ignored, per the standard.
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {} // retry, unknown fields
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseEvent {
            id: self.last_id.clone(),
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<SseEvent> {
        SseParser::new().push(input).unwrap()
    }

    fn ev(id: Option<&str>, event: &str, data: &str) -> SseEvent {
        SseEvent {
            id: id.map(str::to_owned),
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn a_webhook_event_as_hq_sends_it() {
        use easyqr_ledger::wire::{event_id, parse_event_id, EVENT_WEBHOOK};
        let got = all(b"id: 36\nevent: webhook\ndata: {\"id\":\"evt_1\"}\n\n");
        assert_eq!(got, [ev(Some("36"), EVENT_WEBHOOK, r#"{"id":"evt_1"}"#)]);
        assert_eq!(got[0].id.as_deref().and_then(parse_event_id), Some(36));
        assert_eq!(event_id(36), "36");
    }

    #[test]
    fn multi_line_data_joins_with_newlines_and_keeps_inner_spaces() {
        let got = all(b"data: first\ndata:second\ndata:  third\ndata\n\n");
        assert_eq!(got, [ev(None, "message", "first\nsecond\n third\n")]);
    }

    #[test]
    fn comments_and_unknown_fields_are_skipped() {
        let got = all(b": keep-alive\n\n:another\nretry: 10\nfoo: bar\nid: 2\ndata: x\n\n: bye\n");
        assert_eq!(got, [ev(Some("2"), "message", "x")]);
    }

    #[test]
    fn an_id_without_data_moves_the_cursor_but_dispatches_nothing() {
        let mut p = SseParser::new();
        assert!(p.push(b"id: 40\nevent: webhook\n\n").unwrap().is_empty());
        assert_eq!(p.last_event_id(), Some("40"));
        // The event type does not leak into the next event; the id carries over.
        assert_eq!(
            p.push(b"data: y\n\n").unwrap(),
            [ev(Some("40"), "message", "y")]
        );
        assert!(p.push(b"id: a\0b\n\n").unwrap().is_empty());
        assert_eq!(p.last_event_id(), Some("40"), "an id with NUL is ignored");
    }

    #[test]
    fn crlf_and_cr_line_ends_even_split_across_chunks() {
        assert_eq!(
            all(b"id: 1\r\nevent: webhook\r\ndata: a\r\n\r\n"),
            [ev(Some("1"), "webhook", "a")]
        );
        assert_eq!(all(b"data: a\rdata: b\r\r"), [ev(None, "message", "a\nb")]);
        let mut p = SseParser::new();
        let mut got = p.push(b"data: a\r").unwrap();
        got.extend(p.push(b"\n\r").unwrap());
        got.extend(p.push(b"\n").unwrap());
        assert_eq!(got, [ev(None, "message", "a")], "CR|LF is one line end");
    }

    #[test]
    fn events_split_anywhere_come_out_whole_and_in_order() {
        let stream = b"\xEF\xBB\xBFid: 7\nevent: webhook\ndata: {\"a\":1}\n\nid: 8\nevent: webhook\ndata: {\"b\":\"\xE6\x97\xA5\"}\n\n";
        for cut in 0..stream.len() {
            let mut p = SseParser::new();
            let mut got = p.push(&stream[..cut]).unwrap();
            got.extend(p.push(&stream[cut..]).unwrap());
            assert_eq!(
                got,
                [
                    ev(Some("7"), "webhook", r#"{"a":1}"#),
                    ev(Some("8"), "webhook", r#"{"b":"日"}"#)
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = SseParser::new();
        let big = vec![b'x'; MAX_EVENT_BYTES + 1];
        assert_eq!(p.push(&big).unwrap_err(), SseTooLong);
    }
}
