//! `easyqr-cli`: the checkout engine without windows, for scripting, support
//! and the crash harness. Output is one JSON object per line on stdout;
//! diagnostics go to stderr. The secret key comes only from the environment
//! (`ELEPAY_SECRET_KEY`): command-line flags are visible to every user in `ps`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use easyqr_engine::{CancelOutcome, Engine, EngineConfig, EngineError, EngineEvent, SystemClock};
use easyqr_ledger::{
    parse_local_time, report_csv, Attempt, AttemptState, Ledger, LogFilter, OrderPrefix, WriterLock,
};
use serde_json::{json, Value};

const AFTER_HELP: &str = "\
Environment:
  ELEPAY_SECRET_KEY   the elepay secret key (sk_test_… or sk_live_…); needed by
                      charge, retry, cancel, refund and recover. Never pass it
                      as a flag.
  EASYQR_DATA_DIR     default for --data-dir
  EASYQR_API_BASE     default for --api-base
  RUST_LOG            log filter for stderr (default: warn)

Exit codes:
  0  success (charge: paid; with --no-wait: the code is being shown)
  1  internal or ledger error
  2  bad usage or configuration (the message names the field)
  3  the payment was cancelled (code closed)
  4  the code expired unpaid
  5  outcome unknown: the attempt was burned; retry uses a new order number
     (refund: no answer; it is looked up, never sent twice)
  6  elepay refused the request
  7  the journal chain is broken (verify-journal, recover)
  8  cancel could not be confirmed; the code is still watched
  9  nothing found (status/cancel of an unknown order)
  10 cancel: the customer paid before the cancel took effect (recorded as paid)
  11 another EasyQR POS (the app, or easyqr-cli charge/retry/cancel/recover)
     is using this data folder; only one may change payments at a time
  12 recover --wait or refund gave up waiting: codes still unresolved after the
     longest expiry, or a refund not yet confirmed
     (elepay unreachable?); they are resolved at the next recover
  13 reconcile: the ledger and elepay differ (each difference is printed)
  (cancel exits 0 when the code was closed, 4 when it had already expired)";

#[derive(Parser, Debug)]
#[command(name = "easyqr-cli", version, about = "EasyQR POS without windows", after_help = AFTER_HELP)]
struct Cli {
    /// Folder holding the ledger (ledger.sqlite3).
    #[arg(long, global = true, env = "EASYQR_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// elepay API base URL (a simulator's address for tests and DEMO).
    #[arg(long, global = true, env = "EASYQR_API_BASE", default_value = elepay::DEFAULT_BASE_URL)]
    api_base: url::Url,
    /// orderNo prefix of this store/register (A-Z, 0-9, inner hyphens).
    #[arg(long, global = true, default_value = "R1")]
    prefix: String,
    /// Register id (shifts are per register).
    #[arg(long, global = true, default_value = "R1")]
    register: String,
    /// elepay locationId of this store.
    #[arg(long, global = true)]
    location_id: Option<String>,
    /// frontUrl for the customer's phone after paying; {orderNo} is replaced.
    #[arg(long, global = true)]
    front_url: Option<String>,
    /// Code validity in minutes (3-30).
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u32).range(3..=30))]
    expiry_minutes: u32,
    /// Poll interval while a code is pending, in ms (at least 1).
    #[arg(long, global = true, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    poll_ms: u64,
    /// Timeout of one elepay request, in ms (at least 1).
    #[arg(long, global = true, default_value_t = 15_000, value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ring up an amount, show the code's details, wait until it is final.
    Charge {
        /// Amount in whole yen.
        #[arg(long)]
        amount: i64,
        #[arg(long)]
        description: Option<String>,
        /// Return as soon as the code is shown instead of waiting.
        #[arg(long)]
        no_wait: bool,
    },
    /// Try a sale again after its code was closed, expired, refused or burned.
    Retry {
        #[arg(long)]
        sale: i64,
    },
    /// Show the attempts of an order (or one attempt).
    Status {
        #[arg(long, conflicts_with = "attempt", required_unless_present = "attempt")]
        order_no: Option<String>,
        #[arg(long)]
        attempt: Option<i64>,
    },
    /// Cancel a pending code: close it, then confirm by reading it back.
    Cancel {
        #[arg(long, conflicts_with = "attempt", required_unless_present = "attempt")]
        order_no: Option<String>,
        #[arg(long)]
        attempt: Option<i64>,
    },
    /// Recent attempts, newest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Restart recovery: burn interrupted creates, resolve pending codes.
    Recover {
        /// Keep watching until no attempt is unresolved.
        #[arg(long)]
        wait: bool,
    },
    /// Check the journal's hash chain.
    VerifyJournal,
    /// Refund all or part of a paid order; waits until elepay says refunded.
    Refund {
        #[arg(long, conflicts_with = "attempt", required_unless_present = "attempt")]
        order_no: Option<String>,
        #[arg(long)]
        attempt: Option<i64>,
        /// Amount in whole yen (at most what is left to refund).
        #[arg(long)]
        amount: i64,
        #[arg(long)]
        reason: Option<String>,
        /// Return once elepay accepted it instead of waiting for "refunded".
        #[arg(long)]
        no_wait: bool,
    },
    /// Open a shift on --register (one open shift per register).
    ShiftOpen {
        #[arg(long)]
        cashier: String,
    },
    /// Close the open shift on --register; prints its Z report.
    ShiftClose,
    /// Shifts of --register, newest first.
    Shifts {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// X report of the open shift, or the Z report of --shift.
    Report {
        #[arg(long)]
        shift: Option<i64>,
        /// Write it as CSV to this file ("-" for stdout) instead of JSON.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Time zone of the CSV's times, minutes east of UTC (Japan: 540).
        #[arg(long, default_value_t = 540, value_parser = clap::value_parser!(i32).range(-720..=840))]
        utc_offset_minutes: i32,
    },
    /// Compare a shift (default: the open one) with elepay's charges;
    /// payments elepay has that the ledger missed are recorded.
    Reconcile {
        #[arg(long)]
        shift: Option<i64>,
    },
    /// The transaction log, newest first, with filters.
    Log {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The transaction log as CSV (UTF-8 with BOM, for Excel), oldest first.
    ExportLog {
        #[command(flatten)]
        filter: FilterArgs,
        /// File to write ("-" for stdout).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Filters of `log` and `export-log`; they combine with AND.
#[derive(clap::Args, Debug)]
struct FilterArgs {
    /// Rung up at or after this local time (YYYY-MM-DD or "YYYY-MM-DD HH:MM").
    #[arg(long)]
    from: Option<String>,
    /// Rung up before this local time.
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    shift: Option<i64>,
    /// State (repeatable): reserved, creating, pending, captured, closed,
    /// expired, burned, rejected.
    #[arg(long = "status")]
    states: Vec<String>,
    /// Wallet (elepay paymentMethod), e.g. paypay.
    #[arg(long)]
    wallet: Option<String>,
    #[arg(long)]
    min_amount: Option<i64>,
    #[arg(long)]
    max_amount: Option<i64>,
    /// Part of an orderNo.
    #[arg(long)]
    order_no: Option<String>,
    /// Local time zone as minutes east of UTC (Japan: 540).
    #[arg(long, default_value_t = 540, value_parser = clap::value_parser!(i32).range(-720..=840))]
    utc_offset_minutes: i32,
}

impl FilterArgs {
    fn to_filter(&self) -> Result<LogFilter, Fail> {
        let time = |field, v: &Option<String>| {
            v.as_deref()
                .map(|s| parse_local_time(field, s, self.utc_offset_minutes))
                .transpose()
        };
        let states = self
            .states
            .iter()
            .map(|s| {
                s.parse::<AttemptState>().map_err(|_| {
                    Fail(2, format!("--status: one of reserved, creating, pending, captured, closed, expired, burned, rejected; not {s:?}"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(LogFilter {
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
            shift_id: self.shift,
            states,
            wallet: self.wallet.clone(),
            min_amount: self.min_amount,
            max_amount: self.max_amount,
            order_no: self.order_no.clone(),
        })
    }
}

/// A failure with its exit code and a message for stderr.
struct Fail(u8, String);

impl From<easyqr_ledger::LedgerError> for Fail {
    fn from(e: easyqr_ledger::LedgerError) -> Self {
        match e {
            easyqr_ledger::LedgerError::Invalid { .. } => Fail(2, e.to_string()),
            easyqr_ledger::LedgerError::Locked { .. } => Fail(11, e.to_string()),
            other => Fail(1, other.to_string()),
        }
    }
}

impl From<EngineError> for Fail {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::OutcomeUnknown { .. } | EngineError::OrderNoInUse { .. } => 5,
            EngineError::Rejected { .. } => 6,
            EngineError::CancelUnconfirmed(_) => 8,
            EngineError::RefundUnknown { .. } => 5,
            EngineError::ReconcileFailed(_) => 1,
            EngineError::RefundRefused { .. } => 6,
            EngineError::Invalid(_) | EngineError::NotCancellable { .. } => 2,
            EngineError::AlreadyPaid { .. } | EngineError::SaleBusy { .. } => 2,
            EngineError::Ledger(easyqr_ledger::LedgerError::Locked { .. }) => 11,
            EngineError::Ledger(easyqr_ledger::LedgerError::Invalid { .. }) => 2,
            EngineError::Ledger(_) => 1,
        };
        Fail(code, e.to_string())
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(Fail(code, msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(code)
        }
    }
}

/// One JSON line on stdout. A reader that went away (`| head`) must not
/// abort a charge in progress: the ledger is the record, so output errors
/// are ignored.
fn print(v: Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}").and_then(|()| out.flush());
}

fn attempt_json(a: &Attempt, note: Option<&str>) -> Value {
    json!({
        "attemptId": a.id, "saleId": a.sale_id, "orderNo": a.order_no, "amount": a.amount,
        "state": a.state, "codeId": a.code_id, "codeUrl": a.code_url,
        "paymentMethod": a.payment_method, "chargeId": a.charge_id, "note": note,
    })
}

fn exit_for(state: AttemptState) -> u8 {
    match state {
        AttemptState::Captured => 0,
        AttemptState::Closed => 3,
        AttemptState::Expired => 4,
        AttemptState::Burned => 5,
        AttemptState::Rejected => 6,
        _ => 1,
    }
}

fn data_dir(cli: &Cli) -> Result<PathBuf, Fail> {
    if let Some(d) = &cli.data_dir {
        return Ok(d.clone());
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .ok_or_else(|| Fail(2, "--data-dir: no folder given and HOME is not set".into()))?;
    Ok(base.join("easyqr-pos"))
}

/// Opens the ledger. Commands that change payments first take the writer
/// lock, so they never run beside the app or each other (one's recovery
/// would burn the other's in-flight create); reading needs no lock.
fn open_ledger(cli: &Cli) -> Result<(Arc<Ledger>, Option<WriterLock>), Fail> {
    let dir = data_dir(cli)?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        Fail(
            2,
            format!("--data-dir: cannot create {}: {e}", dir.display()),
        )
    })?;
    let path = dir.join("ledger.sqlite3");
    let writes = matches!(
        cli.command,
        Command::Charge { .. }
            | Command::Retry { .. }
            | Command::Cancel { .. }
            | Command::Recover { .. }
            | Command::Refund { .. }
            | Command::Reconcile { .. }
            | Command::ShiftOpen { .. }
            | Command::ShiftClose
    );
    let lock = if writes {
        Some(WriterLock::acquire(&path)?)
    } else {
        None
    };
    Ok((Arc::new(Ledger::open(&path)?), lock))
}

fn engine(cli: &Cli, ledger: Arc<Ledger>) -> Result<Engine, Fail> {
    let raw = std::env::var("ELEPAY_SECRET_KEY").map_err(|_| {
        Fail(
            2,
            "ELEPAY_SECRET_KEY: set it to your elepay secret key (sk_test_… or sk_live_…)".into(),
        )
    })?;
    let key = elepay::SecretKey::parse(&raw).map_err(|e| Fail(2, e.to_string()))?;
    let client = elepay::Client::new(
        key,
        elepay::ClientConfig {
            timeout: Duration::from_millis(cli.timeout_ms),
            ..elepay::ClientConfig::with_base_url(cli.api_base.clone())
        },
    )
    .map_err(|e| Fail(1, e.to_string()))?;
    let mut cfg = EngineConfig::new(OrderPrefix::new(&cli.prefix)?, cli.register.clone());
    cfg.expiry_minutes = cli.expiry_minutes;
    cfg.poll_interval = Duration::from_millis(cli.poll_ms);
    cfg.location_id = cli.location_id.clone();
    cfg.front_url_template = cli.front_url.clone();
    Ok(Engine::new(ledger, client, Arc::new(SystemClock), cfg)?)
}

async fn run(cli: Cli) -> Result<u8, Fail> {
    let (ledger, _lock) = open_ledger(&cli)?;
    match &cli.command {
        Command::Charge {
            amount,
            description,
            no_wait,
        } => {
            let amount = elepay::Amount::new(*amount).map_err(|e| Fail(2, e.to_string()))?;
            let engine = engine(&cli, ledger)?;
            let rx = engine.subscribe();
            let result = engine.charge(amount, description.as_deref()).await;
            follow(&engine, rx, result, *no_wait).await
        }
        Command::Retry { sale } => {
            let engine = engine(&cli, ledger)?;
            let rx = engine.subscribe();
            let result = engine.retry(*sale).await;
            follow(&engine, rx, result, false).await
        }
        Command::Status { order_no, attempt } => {
            let found = find(&ledger, order_no.as_deref(), *attempt)?;
            for a in &found {
                print(attempt_json(a, None));
            }
            Ok(if found.is_empty() { 9 } else { 0 })
        }
        Command::Cancel { order_no, attempt } => {
            let target = find(&ledger, order_no.as_deref(), *attempt)?
                .into_iter()
                .rev()
                .find(|a| a.state == AttemptState::Pending)
                .ok_or_else(|| Fail(9, "no pending code for that order".into()))?;
            let engine = engine(&cli, ledger)?;
            let (a, note) = match engine.cancel(target.id).await? {
                CancelOutcome::Cancelled(a) => (a, "cancelled"),
                CancelOutcome::PaidMeanwhile(a) => {
                    (a, "the customer paid before the cancel took effect")
                }
                CancelOutcome::Expired(a) => (a, "the code had already expired"),
            };
            print(attempt_json(&a, Some(note)));
            Ok(match a.state {
                AttemptState::Closed => 0,
                AttemptState::Captured => 10,
                other => exit_for(other),
            })
        }
        Command::List { limit } => {
            for a in ledger.recent_attempts(*limit, None)? {
                print(attempt_json(&a, None));
            }
            Ok(0)
        }
        Command::Recover { wait } => {
            let engine = engine(&cli, ledger.clone())?;
            let report = engine.recover().await?;
            engine.resume_refunds()?;
            let intact = report.journal.as_ref().is_none_or(|j| j.is_intact());
            print(json!({ "recovery": report }));
            if *wait {
                // Every code expires within 30 minutes of its creation; past
                // that plus a margin, only an unreachable elepay keeps one
                // unresolved.
                let deadline = tokio::time::Instant::now()
                    + Duration::from_secs(u64::from(cli.expiry_minutes.max(30)) * 60 + 60);
                loop {
                    let left = ledger.unresolved_attempts()?;
                    if left.is_empty() {
                        break;
                    }
                    if tokio::time::Instant::now() >= deadline {
                        for a in &left {
                            print(attempt_json(a, Some("still unresolved")));
                        }
                        return Ok(12);
                    }
                    tokio::time::sleep(Duration::from_millis(cli.poll_ms.min(200))).await;
                }
            }
            Ok(if intact { 0 } else { 7 })
        }
        Command::VerifyJournal => {
            let report = ledger.verify()?;
            let ok = report.is_intact();
            print(json!({ "journal": report }));
            Ok(if ok { 0 } else { 7 })
        }
        Command::Refund {
            order_no,
            attempt,
            amount,
            reason,
            no_wait,
        } => {
            let amount = elepay::Amount::new(*amount).map_err(|e| Fail(2, e.to_string()))?;
            let paid = find(&ledger, order_no.as_deref(), *attempt)?
                .into_iter()
                .find(|a| a.state == AttemptState::Captured)
                .ok_or_else(|| Fail(9, "no paid payment for that order".into()))?;
            let engine = engine(&cli, ledger.clone())?;
            let mut r = engine.refund(paid.id, amount, reason.as_deref()).await?;
            print(json!({ "refund": r }));
            let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
            while !*no_wait && r.status == easyqr_ledger::RefundState::Pending {
                if tokio::time::Instant::now() >= deadline {
                    return Err(Fail(
                        12,
                        "elepay has not confirmed the refund yet; it is followed at the next recover".into(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(cli.poll_ms.min(200))).await;
                let now = ledger.refund(r.id)?;
                if now != r {
                    r = now;
                    print(json!({ "refund": r }));
                }
            }
            Ok(if r.status == easyqr_ledger::RefundState::Failed {
                6
            } else {
                0
            })
        }
        Command::ShiftOpen { cashier } => {
            let id = ledger.open_shift(&cli.register, cashier, now_ms())?;
            print(json!({ "shift": ledger.shift(id)? }));
            Ok(0)
        }
        Command::ShiftClose => {
            let shift = ledger.close_shift(&cli.register, now_ms())?;
            print(json!({ "report": ledger.shift_report(shift.id, now_ms())? }));
            Ok(0)
        }
        Command::Shifts { limit } => {
            for s in ledger.shifts(&cli.register, *limit, None)? {
                print(json!({ "shift": s }));
            }
            Ok(0)
        }
        Command::Reconcile { shift } => {
            let id = shift_or_current(&ledger, &cli.register, *shift)?;
            ledger
                .shift(id)
                .map_err(|_| Fail(9, format!("--shift: shift {id} does not exist")))?;
            let engine = engine(&cli, ledger)?;
            let report = engine.reconcile(id).await?;
            for d in &report.differences {
                print(json!({ "difference": d }));
            }
            let clean = report.is_clean();
            print(json!({ "reconciliation": report }));
            Ok(if clean { 0 } else { 13 })
        }
        Command::Report {
            shift,
            csv,
            utc_offset_minutes,
        } => {
            let id = shift_or_current(&ledger, &cli.register, *shift)?;
            let report = match ledger.shift_report(id, now_ms()) {
                Err(easyqr_ledger::LedgerError::NotFound { .. }) => {
                    return Err(Fail(9, format!("--shift: shift {id} does not exist")))
                }
                other => other?,
            };
            match csv {
                Some(path) => write_out("--csv", path, |w| {
                    report_csv(&report, *utc_offset_minutes, w)
                })?,
                None => print(json!({ "report": report, "kind": report.kind() })),
            }
            Ok(0)
        }
        Command::Log { filter, limit } => {
            for row in ledger.log(&filter.to_filter()?, *limit, None)? {
                print(json!({ "row": row }));
            }
            Ok(0)
        }
        Command::ExportLog { filter, out } => {
            let f = filter.to_filter()?;
            let mut rows = 0;
            write_out("--out", out, |w| {
                rows = ledger.export_log_csv(&f, filter.utc_offset_minutes, w)?;
                Ok(())
            })?;
            if out.as_os_str() != "-" {
                print(json!({ "rows": rows, "file": out }));
            }
            Ok(0)
        }
    }
}

/// `--shift`, or the register's open shift.
fn shift_or_current(ledger: &Ledger, register: &str, shift: Option<i64>) -> Result<i64, Fail> {
    match shift {
        Some(id) => Ok(id),
        None => ledger.current_shift(register)?.ok_or_else(|| {
            Fail(
                9,
                format!("no open shift on register {register}; pass --shift for a past one"),
            )
        }),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Runs `f` on a buffered writer to `path` ("-": stdout). A file is written
/// beside its final name and renamed, so a failed export never leaves a
/// half-written file that looks complete.
fn write_out(
    option: &str,
    path: &std::path::Path,
    f: impl FnOnce(&mut dyn std::io::Write) -> Result<(), easyqr_ledger::LedgerError>,
) -> Result<(), Fail> {
    use std::io::Write;
    if path.as_os_str() == "-" {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        f(&mut out)?;
        return out.flush().map_err(|e| Fail(1, format!("stdout: {e}")));
    }
    let io = |e: std::io::Error| Fail(2, format!("{option}: cannot write {}: {e}", path.display()));
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let done = f(&mut out).map_err(Fail::from).and_then(|()| {
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)
    });
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(io)
}

fn find(
    ledger: &Ledger,
    order_no: Option<&str>,
    attempt: Option<i64>,
) -> Result<Vec<Attempt>, Fail> {
    match (order_no, attempt) {
        (Some(o), _) => Ok(ledger.attempts_by_order_no(o)?),
        (None, Some(id)) => match ledger.attempt(id) {
            Ok(a) => Ok(vec![a]),
            Err(easyqr_ledger::LedgerError::NotFound { .. }) => Ok(vec![]),
            Err(e) => Err(e.into()),
        },
        (None, None) => Err(Fail(2, "--order-no or --attempt is required".into())),
    }
}

/// Prints the attempt's state changes as they happen until it is final.
async fn follow(
    engine: &Engine,
    mut rx: tokio::sync::broadcast::Receiver<EngineEvent>,
    result: Result<easyqr_engine::Checkout, EngineError>,
    no_wait: bool,
) -> Result<u8, Fail> {
    // Everything up to now (reserved, creating, pending or the failure) is
    // already in the channel; print it in order.
    let mut attempt_id = None;
    let mut last_state = None;
    let mut drain = |ev: EngineEvent, attempt_id: &mut Option<i64>| -> Option<AttemptState> {
        let EngineEvent::Cashier(c) = ev else {
            return None;
        };
        if attempt_id.is_some_and(|id| id != c.attempt.id) {
            return None;
        }
        *attempt_id = Some(c.attempt.id);
        if last_state == Some(c.state) {
            return None; // countdown refresh, not a state change
        }
        last_state = Some(c.state);
        print(attempt_json(&c.attempt, c.note.as_deref()));
        Some(c.state)
    };
    while let Ok(ev) = rx.try_recv() {
        drain(ev, &mut attempt_id);
    }
    let checkout = result?;
    if no_wait {
        return Ok(0);
    }
    let id = checkout.attempt.id;
    loop {
        match rx.recv().await {
            Ok(ev) => {
                if let Some(state) = drain(ev, &mut Some(id)) {
                    if state.is_final() {
                        return Ok(exit_for(state));
                    }
                }
            }
            // Missed events: the ledger is the truth.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                let a = engine.ledger().attempt(id)?;
                if a.state.is_final() {
                    print(attempt_json(&a, None));
                    return Ok(exit_for(a.state));
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(1),
        }
    }
}
