//! The decoder and the renderer on hand-built streams. Shift_JIS comes from
//! encoding_rs here, never from the app's encoder: these tests are the
//! independent check of it.

use super::decode::{Decoder, Event};
use super::*;

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const FS: u8 = 0x1C;
const LF: u8 = 0x0A;

/// `s` in Shift_JIS; every character must be encodable.
pub(super) fn sjis(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!unmappable, "{s:?} is not Shift_JIS");
    bytes.into_owned()
}

/// A Japanese receipt as an app should send it.
pub(super) fn receipt() -> Vec<u8> {
    let mut b = vec![ESC, b'@', ESC, b'R', 8, ESC, b't', 1, FS, b'C', 1, FS, b'&'];
    b.extend([ESC, b'a', 1, GS, b'!', 0x11]);
    b.extend(sjis("領収書"));
    b.extend([LF, GS, b'!', 0x00, ESC, b'a', 0]);
    b.extend(sjis("ｺｰﾋｰ"));
    b.extend([LF, ESC, b'a', 2]);
    b.extend(b"\\480\n");
    b.extend([ESC, b'a', 0, ESC, b'E', 1]);
    b.extend(sjis("合計 \\480"));
    b.extend([LF, ESC, b'E', 0, ESC, b'd', 3, GS, b'V', 66, 0]);
    b
}

fn line(text: &str, align: Align) -> PrintedLine {
    PrintedLine {
        text: text.into(),
        bold: false,
        width: 1,
        height: 1,
        align,
        underline: false,
    }
}

fn decode_err(bytes: &[u8]) -> DecodeError {
    decode(bytes).expect_err("the stream must be rejected")
}

#[test]
fn receipt_decodes_to_lines_with_their_modes() {
    let bytes = receipt();
    let jobs = decode(&bytes).unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    let title = PrintedLine {
        width: 2,
        height: 2,
        ..line("領収書", Align::Center)
    };
    let total = PrintedLine {
        bold: true,
        ..line("合計 ¥480", Align::Left)
    };
    let empty = line("", Align::Left);
    let expected = vec![
        title,
        line("ｺｰﾋｰ", Align::Left),
        line("¥480", Align::Right),
        total,
        empty.clone(),
        empty.clone(),
        empty,
    ];
    assert_eq!(job.lines, expected);
    assert!(job.cut);
    assert_eq!(job.raw, bytes);
    assert_eq!(job.text()[0], "領収書");
    assert_eq!(job.lines[0].columns(), 12);
    assert_eq!(job.lines[1].columns(), 4);
}

#[test]
fn backslash_is_yen_only_with_the_japan_character_set() {
    let jobs = decode(b"\\1\n\x1bR\x08\\2\n\x1bR\x00\\3\n").unwrap();
    assert_eq!(jobs[0].text(), ["\\1", "¥2", "\\3"]);
    assert!(!jobs[0].cut);
}

#[test]
fn kanji_and_alphanumeric_modes_are_separate() {
    // ESC ! doubles alphanumerics only, FS ! kanji only; GS ! both.
    let mut b = vec![FS, b'C', 1, FS, b'&', ESC, b'!', 0x30];
    b.extend(sjis("税\nA\n"));
    b.extend([FS, b'!', 0x8C]);
    b.extend(sjis("税\nA\n"));
    b.extend([GS, b'!', 0x21]);
    b.extend(sjis("税\nA\n"));
    let lines = &decode(&b).unwrap()[0].lines;
    let modes: Vec<(u8, u8, bool)> = lines
        .iter()
        .map(|l| (l.width, l.height, l.underline))
        .collect();
    assert_eq!(
        modes,
        [
            (1, 1, false),
            (2, 2, false),
            (2, 2, true),
            (2, 2, false),
            (3, 2, true),
            (3, 2, false)
        ]
    );
}

#[test]
fn a_line_keeps_the_modes_of_its_first_character() {
    let jobs = decode(b"\x1bE\x01A\x1bE\x00B\n\x1bE\x01\n").unwrap();
    let lines = &jobs[0].lines;
    assert_eq!((lines[0].text.as_str(), lines[0].bold), ("AB", true));
    assert_eq!((lines[1].text.as_str(), lines[1].bold), ("", true));
}

#[test]
fn esc_d_ends_the_line_in_progress_then_feeds() {
    let jobs = decode(b"A\x1bd\x02B\n\x1bd\x00\x1bd\x01").unwrap();
    assert_eq!(jobs[0].text(), ["A", "", "B", ""]);
}

#[test]
fn lead_byte_outside_kanji_mode_is_an_error() {
    let mut b = vec![FS, b'C', 1, b'A'];
    b.extend(sjis("円"));
    let e = decode_err(&b);
    assert_eq!(e.offset, 4);
    assert!(e.message.contains("outside kanji mode"), "{e}");
    // FS . ends kanji mode.
    let mut b = vec![FS, b'C', 1, FS, b'&', FS, b'.'];
    b.extend(sjis("円"));
    assert_eq!(decode_err(&b).offset, 7);
}

#[test]
fn double_byte_text_needs_shift_jis_selected() {
    let mut b = vec![FS, b'&'];
    b.extend(sjis("円"));
    assert!(decode_err(&b).message.contains("FS C 1"));
    let e = decode_err(&[FS, b'C', 0]);
    assert!(e.message.contains("JIS"), "{e}");
}

#[test]
fn unknown_or_misplaced_commands_are_errors_at_their_offset() {
    let cases: &[(&[u8], usize, &str)] = &[
        (b"\x1b@AB\x1bz\n", 4, "ESC: 1B 7A"),
        (b"AB\x1d(k\n", 2, "GS: 1D 28"),
        (b"\x1c\x70\x01\x00", 0, "FS: 1C 70"),
        (b"A\tB\n", 1, "0x09"),
        (b"\x10\x14\x01", 0, "DLE 0x14"),
        (b"\x1da\x00", 0, "GS: 1D 61"),
        (b"\x1dV\x02", 0, "cut function: 1D 56 02"),
        (b"\x1d!\x80", 0, "size above 8"),
        (b"\x1ba\x03", 0, "ESC a with an invalid argument"),
        (b"A\x1ba\x01B\n", 1, "middle of a line"),
        (b"A\x1dV\x00", 1, "middle of a line"),
        (b"A\x1b@", 1, "discards"),
        (b"\x1b!\x01", 0, "font B"),
        (b"\x80", 0, "not printable"),
        (b"\x1c\x26\x1cC\x01\x81\x0a", 5, "Shift_JIS code 81 0A"),
        (b"AB\x1b", 2, "stream ends inside a command"),
    ];
    for (bytes, offset, message) in cases {
        let e = decode_err(bytes);
        assert_eq!(e.offset, *offset, "{bytes:02X?}: {e}");
        assert!(e.message.contains(message), "{bytes:02X?}: {e}");
    }
}

#[test]
fn job_ends_at_a_cut_and_trailing_modes_make_no_job() {
    let jobs = decode(b"A\n\x1dV\x00\x1b@\x1bd\x02").unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].raw, b"A\n\x1dV\x00");
    let jobs = decode(b"A\n\x1dVA\x05\x1dV\x31B").unwrap();
    let summary: Vec<(Vec<String>, bool)> = jobs.iter().map(|j| (j.text(), j.cut)).collect();
    assert_eq!(
        summary,
        [
            (vec!["A".into()], true),
            (vec![], true),
            (vec!["B".into()], false)
        ]
    );
}

#[test]
fn status_requests_are_neither_printed_nor_raw() {
    let jobs = decode(b"\x10\x04\x01A\x10\x04\x04\n\x1dV\x00").unwrap();
    assert_eq!(jobs[0].text(), ["A"]);
    assert_eq!(jobs[0].raw, b"A\n\x1dV\x00");
}

#[test]
fn a_stream_split_anywhere_decodes_the_same() {
    let mut bytes = vec![0x10, 0x04, 0x02];
    bytes.extend(receipt());
    bytes.extend(receipt());
    let whole = decode(&bytes).unwrap();
    let mut decoder = Decoder::default();
    let mut events = Vec::new();
    for b in &bytes {
        events.extend(decoder.feed(std::slice::from_ref(b)));
    }
    events.extend(decoder.finish());
    let mut jobs = Vec::new();
    let mut requests = Vec::new();
    for event in events {
        match event {
            Event::Job(j) => jobs.push(j),
            Event::StatusRequest(n) => requests.push(n),
            Event::Printing(_) => {}
            Event::Error(e) => panic!("{e}"),
        }
    }
    assert_eq!(requests, [2]);
    assert_eq!(jobs, whole);
    assert_eq!(jobs.len(), 2);
}

#[test]
fn status_answers_follow_the_epson_bits() {
    use PrinterStatus::*;
    // (status, answers to DLE EOT 1, 2, 3, 4)
    let table = [
        (Ready, [0x16, 0x12, 0x12, 0x12]),
        (Offline, [0x1E, 0x12, 0x12, 0x12]),
        (CoverOpen, [0x1E, 0x16, 0x12, 0x12]),
        (PaperOut, [0x1E, 0x32, 0x12, 0x72]),
    ];
    for (status, answers) in table {
        let got: Vec<u8> = (1..=4).map(|n| status.answer(n).unwrap()).collect();
        assert_eq!(got, answers, "{status:?}");
        assert_eq!(status.answer(5), None);
    }
}

#[test]
fn render_png_is_576_dots_wide_with_centred_title_and_cut_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipt.png");
    let job = decode(&receipt()).unwrap().remove(0);
    job.render_png(&path).unwrap();
    let img = image::open(&path).unwrap().to_luma8();
    assert_eq!(img.width(), 576);
    // 12 + title 60 + 6 lines of 30 + 24.
    assert_eq!(img.height(), 12 + 60 + 180 + 24);
    let dark_columns = |y0: u32, y1: u32| -> Vec<u32> {
        (0..img.width())
            .filter(|&x| (y0..y1).any(|y| img.get_pixel(x, y).0[0] < 128))
            .collect()
    };
    // The title (3 full-width, double-width characters: 144 dots) is centred.
    let title = dark_columns(12, 72);
    let (first, last) = (title[0], *title.last().unwrap());
    assert!(
        (216..240).contains(&first) && (336..360).contains(&last),
        "{first}..{last}"
    );
    // The right-aligned ¥480 ends near the right edge.
    assert!(*dark_columns(102, 132).last().unwrap() > 560);
    // The cut is a dashed line across the paper.
    assert!(dark_columns(img.height() - 13, img.height() - 10).len() > 300);
}

#[test]
fn render_draws_a_box_for_a_character_without_a_glyph() {
    let job = Job {
        lines: vec![line("\u{10FFFD}", Align::Left)],
        cut: false,
        raw: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("box.png");
    job.render_png(&path).unwrap();
    let img = image::open(&path).unwrap().to_luma8();
    let dark = img.pixels().filter(|p| p.0[0] < 128).count();
    assert!(dark > 40, "{dark} dark pixels");
}
