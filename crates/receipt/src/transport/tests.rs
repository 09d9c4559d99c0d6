//! The transport against a tiny printer on 127.0.0.1 that answers
//! `DLE EOT` as told, and a file.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::*;

/// What the test printer received apart from status requests, and which
/// status requests (`n` of `DLE EOT n`) it saw.
#[derive(Debug, Default)]
struct Received {
    data: Vec<u8>,
    asked: Vec<u8>,
}

/// How the test printer answers `DLE EOT n` (silent on `None`).
type Answer = fn(u8) -> Option<u8>;

/// A printer that answers status requests with `answer`, takes one
/// connection, and keeps what it received until the client closes.
async fn printer(answer: Answer) -> (PrinterUrl, JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = tcp(listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut got = Received::default();
        let mut pending = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&buf[..n]);
            // Receipt bytes never hold 0x10 (Shift_JIS trail bytes start at
            // 0x40), so DLE is always a status request.
            while let Some(i) = pending.iter().position(|&b| b == 0x10) {
                if pending.len() < i + 3 {
                    break;
                }
                got.data.extend(pending.drain(..i));
                let request: Vec<u8> = pending.drain(..3).collect();
                assert_eq!(request[1], 0x04, "DLE EOT");
                got.asked.push(request[2]);
                if let Some(byte) = answer(request[2]) {
                    socket.write_all(&[byte]).await.unwrap();
                }
            }
            if !pending.contains(&0x10) {
                got.data.append(&mut pending);
            }
        }
        got.data.append(&mut pending);
        got
    });
    (url, task)
}

fn tcp(addr: SocketAddr) -> PrinterUrl {
    PrinterUrl::Tcp {
        host: addr.ip().to_string(),
        port: addr.port(),
    }
}

const RECEIPT: &[u8] = b"\x1b@\x1bR\x08\x1cC\x01\x1c&\x93\x58\x5c1\n\x1bd\x04\x1dVB\x00";

/// Answers as an Epson TM with the given bytes for DLE EOT 1, 2 and 4.
macro_rules! answering {
    ($one:expr, $two:expr, $four:expr) => {
        |n| match n {
            1 => Some($one),
            2 => Some($two),
            4 => Some($four),
            _ => None,
        }
    };
}

#[tokio::test]
async fn a_ready_printer_gets_every_byte_after_one_status_request() {
    let (url, task) = printer(answering!(0x16, 0x12, 0x12)).await;
    print(&url, RECEIPT).await.unwrap();
    let got = task.await.unwrap();
    assert_eq!(got.asked, [1]);
    assert_eq!(got.data, RECEIPT);
}

#[tokio::test]
async fn a_printer_that_cannot_print_gets_nothing_and_the_cashier_is_told_why() {
    let cases: [(Answer, &str); 4] = [
        (answering!(0x1E, 0x12, 0x12), "printer_offline"),
        (answering!(0x1E, 0x16, 0x12), "printer_cover_open"),
        (answering!(0x1E, 0x32, 0x72), "printer_paper_out"),
        (answering!(0x1E, 0x12, 0x72), "printer_paper_out"),
    ];
    for (answer, code) in cases {
        let (url, task) = printer(answer).await;
        let e = print(&url, RECEIPT).await.unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert!(e.to_string().contains(&url.to_string()), "{e}");
        drop(e);
        let got = task.await.unwrap();
        assert_eq!(got.asked, [1, 2, 4]);
        assert!(got.data.is_empty(), "printed {:02X?}", got.data);
    }
}

#[tokio::test]
async fn a_printer_that_never_answers_status_is_printed_to_anyway() {
    let (url, task) = printer(|_| None).await;
    print(&url, RECEIPT).await.unwrap();
    let got = task.await.unwrap();
    assert_eq!(got.asked, [1]);
    assert_eq!(got.data, RECEIPT);
}

#[tokio::test]
async fn an_answer_that_is_no_status_byte_is_ignored() {
    let (url, task) = printer(|_| Some(0x00)).await;
    print(&url, RECEIPT).await.unwrap();
    assert_eq!(task.await.unwrap().data, RECEIPT);
}

#[tokio::test]
async fn status_reports_without_printing() {
    let (url, task) = printer(answering!(0x1E, 0x16, 0x12)).await;
    assert_eq!(status(&url).await.unwrap(), Some(PrinterStatus::CoverOpen));
    assert!(task.await.unwrap().data.is_empty());
    let (url, task) = printer(answering!(0x16, 0x12, 0x12)).await;
    assert_eq!(status(&url).await.unwrap(), Some(PrinterStatus::Ready));
    assert_eq!(task.await.unwrap().asked, [1]);
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = tcp(listener.local_addr().unwrap());
    drop(listener);
    let e = print(&url, RECEIPT).await.unwrap_err();
    assert!(matches!(e, PrinterError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.code(), "printer_unreachable");
    assert!(e
        .to_string()
        .starts_with(&format!("the printer at {url} cannot be reached")));
    assert!(e.to_string().contains("switched on"), "{e}");
}

#[tokio::test]
async fn a_file_url_appends_the_bytes_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lp0");
    std::fs::write(&path, b"").unwrap();
    let url = PrinterUrl::parse("printer.url", &format!("file://{}", path.display())).unwrap();
    print(&url, RECEIPT).await.unwrap();
    print(&url, RECEIPT).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), [RECEIPT, RECEIPT].concat());
    assert_eq!(status(&url).await.unwrap(), None);

    // No such device: the printer is unplugged.
    let gone = PrinterUrl::File {
        path: dir.path().join("lp9"),
    };
    let e = print(&gone, RECEIPT).await.unwrap_err();
    assert_eq!(e.code(), "printer_unreachable", "{e}");
}

#[test]
fn urls_parse_and_display_back() {
    let ok = [
        ("tcp://192.168.1.50:9100", "tcp://192.168.1.50:9100"),
        ("tcp://192.168.1.50", "tcp://192.168.1.50:9100"),
        (" TCP://tm-m30.local:9101/ ", "tcp://tm-m30.local:9101"),
        ("tcp://[fe80::1]:9100", "tcp://[fe80::1]:9100"),
        ("file:///dev/usb/lp0", "file:///dev/usb/lp0"),
        ("file://localhost/dev/usb/lp0", "file:///dev/usb/lp0"),
    ];
    for (text, shown) in ok {
        let url = PrinterUrl::parse("printer.url", text).unwrap();
        assert_eq!(url.to_string(), shown);
        assert_eq!(PrinterUrl::parse("printer.url", shown).unwrap(), url);
    }
    assert_eq!(
        PrinterUrl::parse("printer.url", "tcp://10.0.0.7").unwrap(),
        PrinterUrl::Tcp {
            host: "10.0.0.7".into(),
            port: DEFAULT_PORT
        }
    );
    assert_eq!(
        PrinterUrl::parse("printer.url", "file:///dev/usb/lp0").unwrap(),
        PrinterUrl::File {
            path: "/dev/usb/lp0".into()
        }
    );
}

#[test]
fn anything_else_is_refused_naming_the_field_and_what_is_allowed() {
    for bad in [
        "",
        "192.168.1.50:9100",
        "192.168.1.50",
        "/dev/usb/lp0",
        "http://192.168.1.50/",
        "tcp://",
        "tcp://:9100",
        "tcp://printer:0",
        "tcp://printer:99999",
        "tcp://printer:9100/print",
        "tcp://user@printer:9100",
        "tcp://printer:9100?x=1",
        "file://dev/usb/lp0",
        "file://printer/dev/usb/lp0",
        "file:///dev/usb/lp0#x",
        "file:///",
        "usb",
    ] {
        let e = PrinterUrl::parse("printer.url", bad).unwrap_err();
        assert_eq!(e.field, "printer.url", "{bad}");
        assert!(e.allowed.contains("tcp://HOST:PORT"), "{bad}: {e}");
        assert!(e.allowed.contains("file:///dev/usb/lp0"), "{bad}: {e}");
    }
}

#[test]
fn each_error_has_a_stable_code_and_says_what_to_do() {
    let url = "tcp://192.168.1.50:9100".to_string();
    let cases = [
        (
            PrinterError::Offline { url: url.clone() },
            "printer_offline",
            "print again",
        ),
        (
            PrinterError::CoverOpen { url: url.clone() },
            "printer_cover_open",
            "close the cover",
        ),
        (
            PrinterError::PaperOut { url: url.clone() },
            "printer_paper_out",
            "load a roll",
        ),
        (
            PrinterError::Io {
                url: url.clone(),
                reason: "broken pipe".into(),
            },
            "printer_io",
            "check the printer",
        ),
    ];
    for (e, code, advice) in cases {
        assert_eq!(e.code(), code);
        let message = e.to_string();
        assert!(
            message.contains(&url) && message.contains(advice),
            "{message}"
        );
    }
    assert_eq!(
        PrinterError::PaperOut { url: url.clone() }.to_string(),
        "the printer at tcp://192.168.1.50:9100 is out of paper: load a roll and print again"
    );
}
