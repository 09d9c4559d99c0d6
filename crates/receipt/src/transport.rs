//! Getting a receipt's bytes to the printer: over TCP (`tcp://HOST:PORT`,
//! an Epson TM's port 9100) after asking it whether it can print, or into a
//! device file (`file:///dev/usb/lp0`).
//!
//! Whether a status answer means "do not print" is a pure function
//! ([`classify`]); the async code only asks and sends.

mod status;
#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use easyqr_tax::InputError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use url::{Host, Url};

pub use status::PrinterStatus;
use status::{classify, is_offline, is_status_byte};

/// The raw TCP printing port of Epson's (and most) network printers.
pub const DEFAULT_PORT: u16 = 9100;

/// A printer on the shop's LAN answers a connection in milliseconds; 3 s
/// also covers one waking from sleep, and is as long as a cashier should
/// wait to hear that it is off.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A TM printer answers `DLE EOT` at once, even while busy; older models
/// without real-time status never answer, and are printed to after this.
const STATUS_TIMEOUT: Duration = Duration::from_secs(1);
/// A receipt is a few kilobytes; a printer takes them within its buffer
/// even while printing slowly. Past this the printer has stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After sending, wait this long for the printer to close its side, so a
/// late status byte left unread cannot make our close a reset that loses
/// the end of the receipt. A printer that keeps the connection open is not
/// an error.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the receipt printer is (the `printer.url` setting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterUrl {
    /// `tcp://HOST:PORT`; `host` without brackets for an IPv6 address.
    Tcp { host: String, port: u16 },
    /// `file:///dev/usb/lp0`: an absolute path.
    File { path: PathBuf },
}

impl PrinterUrl {
    /// Reads `tcp://HOST[:PORT]` (port 9100 when omitted) or
    /// `file:///ABSOLUTE/PATH`; anything else names `field` and what is
    /// allowed.
    pub fn parse(field: &str, text: &str) -> Result<PrinterUrl, InputError> {
        let text = text.trim();
        let refuse = || {
            let shown: String = text.chars().take(60).collect();
            InputError::new(
                field,
                format!(
                    "tcp://HOST:PORT for a network printer (e.g. tcp://192.168.1.50:9100; \
                     port {DEFAULT_PORT} when omitted) or file:///dev/usb/lp0 for a \
                     printer's device file (an absolute path), not {shown:?}"
                ),
            )
        };
        let url = Url::parse(text).map_err(|_| refuse())?;
        let plain = url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        if !plain {
            return Err(refuse());
        }
        match url.scheme() {
            "tcp" => {
                let host = match url.host() {
                    Some(Host::Domain(d)) if !d.is_empty() => d.to_owned(),
                    Some(Host::Ipv4(a)) => a.to_string(),
                    Some(Host::Ipv6(a)) => a.to_string(),
                    _ => return Err(refuse()),
                };
                let port = url.port().unwrap_or(DEFAULT_PORT);
                if port == 0 || !matches!(url.path(), "" | "/") {
                    return Err(refuse());
                }
                Ok(PrinterUrl::Tcp { host, port })
            }
            "file" => match url.to_file_path() {
                Ok(path) if path.is_absolute() && path != Path::new("/") => {
                    Ok(PrinterUrl::File { path })
                }
                _ => Err(refuse()),
            },
            _ => Err(refuse()),
        }
    }
}

impl std::fmt::Display for PrinterUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrinterUrl::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            PrinterUrl::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            PrinterUrl::File { path } => match Url::from_file_path(path) {
                Ok(url) => f.write_str(url.as_str()),
                Err(()) => write!(f, "file://{}", path.display()),
            },
        }
    }
}

/// Why a receipt was not printed, for the cashier: each message says what
/// to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrinterError {
    #[error(
        "the printer at {url} cannot be reached ({reason}): check that it is switched on \
         and connected, then print again"
    )]
    Unreachable { url: String, reason: String },
    #[error(
        "the printer at {url} is offline: check its lights, close its cover, press its \
         feed button once, then print again"
    )]
    Offline { url: String },
    #[error("the printer at {url} has its cover open: close the cover and print again")]
    CoverOpen { url: String },
    #[error("the printer at {url} is out of paper: load a roll and print again")]
    PaperOut { url: String },
    #[error(
        "the receipt could not be sent to the printer at {url} ({reason}): check the \
         printer and its cable, then print again"
    )]
    Io { url: String, reason: String },
}

impl PrinterError {
    /// A stable code for the UI and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            PrinterError::Unreachable { .. } => "printer_unreachable",
            PrinterError::Offline { .. } => "printer_offline",
            PrinterError::CoverOpen { .. } => "printer_cover_open",
            PrinterError::PaperOut { .. } => "printer_paper_out",
            PrinterError::Io { .. } => "printer_io",
        }
    }
}

/// Sends `bytes` to the printer. Over TCP, asks the printer's status first
/// and does not print when it answers that it cannot (offline, cover open,
/// out of paper); a printer that does not answer is printed to anyway.
pub async fn print(url: &PrinterUrl, bytes: &[u8]) -> Result<(), PrinterError> {
    match url {
        PrinterUrl::Tcp { host, port } => {
            let mut stream = connect(url, host, *port).await?;
            if let Some(error) = ask_status(&mut stream)
                .await
                .map_err(|e| io_error(url, &e))?
                .and_then(|s| s.error(url))
            {
                return Err(error);
            }
            send(&mut stream, bytes)
                .await
                .map_err(|e| io_error(url, &e))?;
            wait_for_close(&mut stream).await;
            Ok(())
        }
        PrinterUrl::File { path } => write_file(url, path, bytes).await,
    }
}

/// The printer's status, `None` when it does not answer in time (or for a
/// device file, which is not asked).
pub async fn status(url: &PrinterUrl) -> Result<Option<PrinterStatus>, PrinterError> {
    let PrinterUrl::Tcp { host, port } = url else {
        return Ok(None);
    };
    let mut stream = connect(url, host, *port).await?;
    let status = ask_status(&mut stream)
        .await
        .map_err(|e| io_error(url, &e))?;
    // Best effort: the answer is in hand whatever the close does.
    let _ = stream.shutdown().await;
    wait_for_close(&mut stream).await;
    Ok(status)
}

async fn connect(url: &PrinterUrl, host: &str, port: u16) -> Result<TcpStream, PrinterError> {
    let unreachable = |reason: String| PrinterError::Unreachable {
        url: url.to_string(),
        reason,
    };
    match timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port))).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// `DLE EOT 1`; when that says offline, `DLE EOT 2` and `DLE EOT 4` for why.
async fn ask_status(stream: &mut TcpStream) -> io::Result<Option<PrinterStatus>> {
    let Some(printer) = ask(stream, 1).await? else {
        return Ok(None);
    };
    if !is_offline(printer) {
        return Ok(Some(PrinterStatus::Ready));
    }
    let cause = ask(stream, 2).await?;
    let paper = ask(stream, 4).await?;
    Ok(Some(classify(printer, cause, paper)))
}

/// Sends `DLE EOT n`; the one-byte answer, `None` when none came in time or
/// it is not shaped like a status byte.
async fn ask(stream: &mut TcpStream, n: u8) -> io::Result<Option<u8>> {
    let exchange = async {
        stream.write_all(&[0x10, 0x04, n]).await?;
        let mut answer = [0u8];
        match stream.read(&mut answer).await? {
            0 => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the printer closed the connection",
            )),
            _ => Ok(answer[0]),
        }
    };
    match timeout(STATUS_TIMEOUT, exchange).await {
        Ok(answer) => Ok(Some(answer?).filter(|&b| is_status_byte(b))),
        Err(_) => Ok(None),
    }
}

async fn send(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    let sending = async {
        stream.write_all(bytes).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    timeout(WRITE_TIMEOUT, sending)
        .await
        .unwrap_or_else(|_| Err(timed_out()))
}

async fn wait_for_close(stream: &mut TcpStream) {
    let mut sink = [0u8; 64];
    let _ = timeout(CLOSE_TIMEOUT, async {
        while let Ok(1..) = stream.read(&mut sink).await {}
    })
    .await;
}

async fn write_file(url: &PrinterUrl, path: &Path, bytes: &[u8]) -> Result<(), PrinterError> {
    // Append: a device ignores it; a plain file (a test, a spool) keeps
    // every receipt.
    let mut options = tokio::fs::OpenOptions::new();
    options.append(true);
    let mut file = match timeout(WRITE_TIMEOUT, options.open(path)).await {
        Ok(Ok(file)) => file,
        Ok(Err(e)) => {
            return Err(PrinterError::Unreachable {
                url: url.to_string(),
                reason: e.to_string(),
            })
        }
        Err(_) => return Err(io_error(url, &timed_out())),
    };
    let writing = async {
        file.write_all(bytes).await?;
        // Waits for the write to reach the device (no fsync: a printer's
        // character device need not support it).
        file.flush().await
    };
    timeout(WRITE_TIMEOUT, writing)
        .await
        .unwrap_or_else(|_| Err(timed_out()))
        .map_err(|e| io_error(url, &e))
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the printer took no data for {} s", WRITE_TIMEOUT.as_secs()),
    )
}

fn io_error(url: &PrinterUrl, e: &io::Error) -> PrinterError {
    PrinterError::Io {
        url: url.to_string(),
        reason: e.to_string(),
    }
}
