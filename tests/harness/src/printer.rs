//! A virtual Epson TM-m30-class Japanese receipt printer on 127.0.0.1: the
//! test counterpart of the real one the app prints to over TCP.
//!
//! It decodes the app's ESC/POS strictly ([`decode`] is the pure part, also
//! usable on bytes from a file or stdout), answers `DLE EOT` status requests
//! from a status the test sets, keeps each job (up to a cut) as decoded
//! lines, and renders a job to a PNG for e2e screenshots. Anything the real
//! printer would not print as intended is recorded in
//! [`VirtualPrinter::errors`], so a test can assert that it stays empty.
//!
//! Each connection starts from power-on modes (kanji mode off, character set
//! USA): the app must initialise the printer on every connection.

mod commands;
mod decode;
mod model;
mod render;
#[cfg(test)]
mod tcp_tests;
#[cfg(test)]
mod tests;
mod text;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub use decode::decode;
use decode::{Decoder, Event};
pub use model::{char_columns, Align, DecodeError, Job, PrintedLine, PAPER_COLUMNS};

/// Decode errors kept per connection: past this, a garbage stream would
/// only repeat itself.
const MAX_ERRORS_PER_CONNECTION: usize = 20;

/// [`VirtualPrinter::wait_jobs`] polls every 5 ms, 2000 times: 10 s.
const WAIT_STEP: Duration = Duration::from_millis(5);
const WAIT_STEPS: usize = 2000;

/// What the printer reports to `DLE EOT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterStatus {
    Ready,
    Offline,
    CoverOpen,
    PaperOut,
}

impl PrinterStatus {
    /// The answer to `DLE EOT n`; `None` for an `n` the printer ignores.
    pub fn answer(self, n: u8) -> Option<u8> {
        use PrinterStatus::*;
        match n {
            // Printer status: bit 3 offline (cover open and paper out too).
            1 => Some(if self == Ready { 0x16 } else { 0x1E }),
            // Offline cause: bit 2 cover open, bit 5 stopped by paper end.
            2 => Some(match self {
                CoverOpen => 0x12 | 0x04,
                PaperOut => 0x12 | 0x20,
                Ready | Offline => 0x12,
            }),
            // Error status: none of the error bits.
            3 => Some(0x12),
            // Roll paper sensor: bits 5 and 6 paper end.
            4 => Some(if self == PaperOut { 0x12 | 0x60 } else { 0x12 }),
            _ => None,
        }
    }
}

/// The printer on 127.0.0.1; stops accepting (and drops its connections)
/// when dropped.
pub struct VirtualPrinter {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    server: JoinHandle<()>,
}

struct Shared {
    status: PrinterStatus,
    jobs: Vec<Job>,
    /// When each job's last byte arrived (for benchmarks).
    done_at: Vec<std::time::Instant>,
    errors: Vec<String>,
}

impl VirtualPrinter {
    /// Binds 127.0.0.1:0 and serves every connection in its own task.
    pub async fn start() -> VirtualPrinter {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the virtual printer");
        let addr = listener.local_addr().expect("virtual printer address");
        let shared = Arc::new(Mutex::new(Shared {
            status: PrinterStatus::Ready,
            jobs: Vec::new(),
            done_at: Vec::new(),
            errors: Vec::new(),
        }));
        let server = tokio::spawn(accept_loop(listener, shared.clone()));
        VirtualPrinter {
            addr,
            shared,
            server,
        }
    }

    /// `tcp://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// What `DLE EOT` answers from now on.
    pub fn set_status(&self, status: PrinterStatus) {
        lock(&self.shared).status = status;
    }

    /// Every completed job so far, in arrival order.
    pub fn jobs(&self) -> Vec<Job> {
        lock(&self.shared).jobs.clone()
    }

    /// When each completed job's last byte arrived, in arrival order.
    pub fn job_times(&self) -> Vec<std::time::Instant> {
        lock(&self.shared).done_at.clone()
    }

    /// Polls until at least `n` jobs have completed; panics after 10 s with
    /// the jobs and errors seen.
    pub async fn wait_jobs(&self, n: usize) -> Vec<Job> {
        for _ in 0..WAIT_STEPS {
            let jobs = self.jobs();
            if jobs.len() >= n {
                return jobs;
            }
            tokio::time::sleep(WAIT_STEP).await;
        }
        let texts: Vec<Vec<String>> = self.jobs().iter().map(Job::text).collect();
        panic!(
            "timed out waiting for {n} print job(s); have {}: {texts:#?}; errors: {:#?}",
            texts.len(),
            self.errors()
        );
    }

    /// Decode errors (and printing despite a bad status), one per line, each
    /// naming its connection and stream offset.
    pub fn errors(&self) -> Vec<String> {
        lock(&self.shared).errors.clone()
    }
}

impl Drop for VirtualPrinter {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    // Owning the connection tasks here aborts them with the server.
    let mut connections = JoinSet::new();
    let mut number = 0;
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        number += 1;
        connections.spawn(serve(socket, number, shared.clone()));
    }
}

async fn serve(mut socket: TcpStream, number: usize, shared: Arc<Mutex<Shared>>) {
    let mut decoder = Decoder::default();
    let mut errors = 0;
    let mut buf = [0u8; 4096];
    loop {
        let n = match socket.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for event in decoder.feed(&buf[..n]) {
            let answer = handle(event, number, &mut errors, &shared);
            if let Some(byte) = answer {
                // The client may already be gone; then nobody needs it.
                let _ = socket.write_all(&[byte]).await;
            }
        }
    }
    for event in decoder.finish() {
        handle(event, number, &mut errors, &shared);
    }
}

/// Records one decoder event; returns the byte to answer, if any.
fn handle(event: Event, number: usize, errors: &mut usize, shared: &Mutex<Shared>) -> Option<u8> {
    let mut shared = lock(shared);
    let error = match event {
        Event::StatusRequest(n) => return shared.status.answer(n),
        Event::Job(job) => {
            shared.jobs.push(job);
            shared.done_at.push(std::time::Instant::now());
            return None;
        }
        Event::Printing(offset) if shared.status != PrinterStatus::Ready => {
            format!("printed while {:?} (offset {offset})", shared.status)
        }
        Event::Printing(_) => return None,
        Event::Error(e) => e.to_string(),
    };
    *errors += 1;
    if *errors <= MAX_ERRORS_PER_CONNECTION {
        shared.errors.push(format!("connection {number}: {error}"));
    } else if *errors == MAX_ERRORS_PER_CONNECTION + 1 {
        shared
            .errors
            .push(format!("connection {number}: further errors not recorded"));
    }
    None
}
