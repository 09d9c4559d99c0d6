//! The printer over TCP on loopback, as the app reaches it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::tests::{receipt, sjis};
use super::*;

/// How long a test waits for an answer byte before failing.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

async fn connect(printer: &VirtualPrinter) -> TcpStream {
    let url = printer.url();
    let addr = url.strip_prefix("tcp://").expect("tcp:// url");
    TcpStream::connect(addr).await.unwrap()
}

/// Sends `DLE EOT n` and reads the one-byte answer.
async fn ask(socket: &mut TcpStream, n: u8) -> u8 {
    socket.write_all(&[0x10, 0x04, n]).await.unwrap();
    let mut answer = [0u8];
    tokio::time::timeout(ANSWER_TIMEOUT, socket.read_exact(&mut answer))
        .await
        .expect("DLE EOT is answered")
        .unwrap();
    answer[0]
}

/// Closes our side and waits until the printer has closed its side, i.e.
/// has finished with the connection; nothing else may arrive.
async fn close(mut socket: TcpStream) {
    socket.shutdown().await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(ANSWER_TIMEOUT, socket.read_to_end(&mut rest))
        .await
        .expect("the printer closes the connection")
        .unwrap();
    assert!(rest.is_empty(), "unexpected bytes {rest:02X?}");
}

#[tokio::test]
async fn printer_url_is_tcp_on_loopback() {
    let printer = VirtualPrinter::start().await;
    let url = printer.url();
    let port: u16 = url
        .strip_prefix("tcp://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(port, 0);
}

#[tokio::test]
async fn status_requests_are_answered_for_each_status() {
    use PrinterStatus::*;
    let printer = VirtualPrinter::start().await;
    // (status, answers to DLE EOT 1, 2, 4), straight from the Epson bits.
    let table = [
        (Ready, [0x16, 0x12, 0x12]),
        (Offline, [0x1E, 0x12, 0x12]),
        (CoverOpen, [0x1E, 0x16, 0x12]),
        (PaperOut, [0x1E, 0x32, 0x72]),
    ];
    for (status, expected) in table {
        printer.set_status(status);
        // The request is the very first thing on the connection.
        let mut socket = connect(&printer).await;
        let mut got = Vec::new();
        for n in [1, 2, 4] {
            got.push(ask(&mut socket, n).await);
        }
        assert_eq!(got, expected, "{status:?}");
        // DLE EOT 5 has no answer: the next byte answers DLE EOT 3.
        socket.write_all(&[0x10, 0x04, 0x05]).await.unwrap();
        assert_eq!(ask(&mut socket, 3).await, 0x12);
        close(socket).await;
    }
    assert!(printer.jobs().is_empty());
    assert_eq!(printer.errors(), Vec::<String>::new());
}

#[tokio::test]
async fn two_jobs_on_one_connection() {
    let printer = VirtualPrinter::start().await;
    let mut socket = connect(&printer).await;
    assert_eq!(ask(&mut socket, 1).await, 0x16);
    socket.write_all(&receipt()).await.unwrap();
    assert_eq!(ask(&mut socket, 4).await, 0x12);
    // The second job arrives in pieces that split a kanji and a command.
    let second = receipt();
    for chunk in second.chunks(7) {
        socket.write_all(chunk).await.unwrap();
        socket.flush().await.unwrap();
    }
    let jobs = printer.wait_jobs(2).await;
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        assert_eq!(job.text()[..4], ["領収書", "ｺｰﾋｰ", "¥480", "合計 ¥480"]);
        assert!(job.cut);
        assert_eq!(job.raw, receipt());
    }
    close(socket).await;
    assert_eq!(printer.jobs().len(), 2);
    assert_eq!(printer.errors(), Vec::<String>::new());
}

#[tokio::test]
async fn a_status_only_connection_makes_no_job() {
    let printer = VirtualPrinter::start().await;
    let mut socket = connect(&printer).await;
    assert_eq!(ask(&mut socket, 2).await, 0x12);
    socket.write_all(&[0x1B, b'@']).await.unwrap();
    close(socket).await;
    assert!(printer.jobs().is_empty());

    // Text without a cut is a job once the connection closes.
    let mut socket = connect(&printer).await;
    let mut bytes = vec![0x1B, b'@', 0x1C, b'C', 1, 0x1C, b'&'];
    bytes.extend(sjis("テスト\n"));
    socket.write_all(&bytes).await.unwrap();
    close(socket).await;
    let jobs = printer.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].text(), ["テスト"]);
    assert!(!jobs[0].cut);
    assert_eq!(printer.errors(), Vec::<String>::new());
}

#[tokio::test]
async fn printing_despite_a_bad_status_is_recorded() {
    let printer = VirtualPrinter::start().await;
    printer.set_status(PrinterStatus::PaperOut);
    let mut socket = connect(&printer).await;
    assert_eq!(ask(&mut socket, 4).await, 0x72);
    socket.write_all(&receipt()).await.unwrap();
    let jobs = printer.wait_jobs(1).await;
    assert_eq!(jobs[0].text()[0], "領収書");
    let errors = printer.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("printed while PaperOut"), "{errors:?}");
}

#[tokio::test]
async fn decode_errors_are_recorded_with_connection_and_offset() {
    let printer = VirtualPrinter::start().await;
    let mut socket = connect(&printer).await;
    let mut bytes = vec![0x1B, b'@', 0x1C, b'C', 1];
    bytes.extend(sjis("円\n"));
    bytes.extend([0x1D, b'V', 0]);
    socket.write_all(&bytes).await.unwrap();
    close(socket).await;
    let errors = printer.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("connection 1: offset 5: double-byte text outside kanji mode"),
        "{errors:?}"
    );
    // The printer goes on decoding: the job is still there.
    assert_eq!(printer.jobs().len(), 1);
}
