//! Server-Sent Events, as a register reads its stream: lines into events
//! (`id`, `event`, `data`), comments skipped. Pure, so it is table-tested.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// Longest line kept (the register's own limit, twice HQ's webhook limit).
const MAX_LINE: usize = 512 * 1024;

#[derive(Debug, Default)]
pub struct Parser {
    line: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds bytes as they arrive; the events they complete. `Err` when a
    /// line outgrows the limit (the stream is then reopened).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Message>, String> {
        let mut out = Vec::new();
        for &b in bytes {
            if b != b'\n' {
                if self.line.len() >= MAX_LINE {
                    return Err(format!("an event line over {MAX_LINE} bytes"));
                }
                self.line.push(b);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line);
            if line.is_empty() {
                if let Some(data) = self.data.take() {
                    out.push(Message {
                        id: self.id.take(),
                        event: self.event.take().unwrap_or_else(|| "message".into()),
                        data,
                    });
                }
                self.id = None;
                self.event = None;
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((&line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
            match field {
                "id" => self.id = Some(value),
                "event" => self.event = Some(value),
                "data" => match &mut self.data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(&value);
                    }
                    None => self.data = Some(value),
                },
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_and_comments_are_skipped() {
        let wire = b": keep-alive\n\nid: 36\nevent: webhook\ndata: {\"id\":\"evt_1\"}\n\nid:37\r\nevent:webhook\r\ndata:a\r\ndata:b\r\n\r\n";
        for cut in 0..wire.len() {
            let mut p = Parser::default();
            let mut got = p.feed(&wire[..cut]).unwrap();
            got.extend(p.feed(&wire[cut..]).unwrap());
            assert_eq!(
                got,
                vec![
                    Message {
                        id: Some("36".into()),
                        event: "webhook".into(),
                        data: "{\"id\":\"evt_1\"}".into()
                    },
                    Message {
                        id: Some("37".into()),
                        event: "webhook".into(),
                        data: "a\nb".into()
                    },
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = Parser::default();
        assert!(p.feed(&vec![b'x'; MAX_LINE + 1]).is_err());
    }
}
