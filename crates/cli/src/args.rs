//! The command line: flags and subcommands, and how they become the use
//! cases' inputs (register configuration, log filters, attempt names).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use easyqr_ledger::{parse_local_time, AttemptState, LogFilter};
use easyqr_pos_core::{AttemptRef, Item, PosError, RegisterConfig, ReturnItem};

const ENV_HELP: &str = "\
Environment:
  ELEPAY_SECRET_KEY   the elepay secret key (sk_test_… or sk_live_…); needed by
                      charge, retry, cancel, refund, reconcile and recover.
                      Never pass it as a flag.
  EASYQR_HQ_TOKEN     the head-office enrolment token for `hq enrol` (else it is
                      read from stdin). Never pass it as a flag.
  EASYQR_DATA_DIR     default for --data-dir
  EASYQR_API_BASE     default for --api-base
  RUST_LOG            log filter for stderr (default: warn)
";

/// The help's closing text: the environment, then the exit-code table
/// generated from the one vocabulary of codes.
pub fn after_help() -> String {
    format!("{ENV_HELP}\n{}", easyqr_pos_core::exit_code_table())
}

#[derive(Parser, Debug)]
#[command(name = "easyqr-cli", version, about = "EasyQR POS without windows")]
pub struct Cli {
    /// Data folder; each mode keeps its own ledger in it (live: the folder
    /// itself, test: test/).
    #[arg(long, global = true, env = "EASYQR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Which ledger (test or live) when ELEPAY_SECRET_KEY does not say;
    /// must agree with the key when both are given.
    #[arg(long, global = true, value_parser = ["test", "live"])]
    pub mode: Option<String>,
    /// elepay API base URL (a simulator's address for tests and DEMO).
    #[arg(long, global = true, env = "EASYQR_API_BASE", default_value = elepay::DEFAULT_BASE_URL)]
    pub api_base: url::Url,
    /// orderNo prefix of this store/register (A-Z, 0-9, inner hyphens).
    #[arg(long, global = true, default_value = "R1")]
    pub prefix: String,
    /// Register id (shifts are per register).
    #[arg(long, global = true, default_value = "R1")]
    pub register: String,
    /// elepay locationId of this store.
    #[arg(long, global = true)]
    pub location_id: Option<String>,
    /// frontUrl for the customer's phone after paying; {orderNo} is replaced.
    #[arg(long, global = true)]
    pub front_url: Option<String>,
    /// Code validity in minutes (3-30).
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u32).range(3..=30))]
    pub expiry_minutes: u32,
    /// Poll interval while a code is pending, in ms (at least 1).
    #[arg(long, global = true, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub poll_ms: u64,
    /// Timeout of one elepay request, in ms (at least 1).
    #[arg(long, global = true, default_value_t = 15_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Ring up an amount or item lines, show the code's details, wait until
    /// it is final. Tax is computed by the store's tax settings.
    Charge {
        /// Amount in whole yen, tax included. Optional with --item, and
        /// refused when it is not the items' computed total.
        #[arg(long, required_unless_present = "items")]
        amount: Option<i64>,
        #[arg(long)]
        description: Option<String>,
        /// An item line "NAME:QTY:UNIT_PRICE[:RATE]" (repeatable), RATE
        /// standard (10%), reduced (8%) or free (0%); default: tax.defaultRate.
        #[arg(long = "item", value_parser = parse_item)]
        items: Vec<Item>,
        /// The tax rate of an amount-only sale: standard, reduced or free.
        #[arg(long, conflicts_with = "items")]
        rate: Option<String>,
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
    /// Check the journal's hash chain, the tables against it, and the
    /// ledger against journal heads printed on Z reports.
    VerifyJournal {
        /// A journal head as printed on a Z report (ROWS-HASH); repeatable.
        #[arg(long = "head")]
        heads: Vec<String>,
    },
    /// Refund all or part of a paid order; waits until elepay says refunded.
    Refund {
        #[arg(long, conflicts_with = "attempt", required_unless_present = "attempt")]
        order_no: Option<String>,
        #[arg(long)]
        attempt: Option<i64>,
        /// Amount in whole yen (at most what is left to refund); a sale with
        /// items at several tax rates is refunded by --item instead.
        #[arg(long, required_unless_present = "items")]
        amount: Option<i64>,
        /// An item returned, "NAME:QTY" (repeatable): the refund is those
        /// items' amount, taxed by the sale's own rule.
        #[arg(long = "item", value_parser = parse_return)]
        items: Vec<ReturnItem>,
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
    /// X report of the open shift, or the Z report of --shift, or the sales
    /// stored outside any shift (--outside-shifts).
    Report {
        #[arg(long, conflicts_with = "outside_shifts")]
        shift: Option<i64>,
        /// Sales an older ledger stored outside any shift (in no X/Z report).
        #[arg(long, conflicts_with = "csv")]
        outside_shifts: bool,
        /// Write it as CSV to this file ("-" for stdout) instead of JSON.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Time zone of the CSV's times, minutes east of UTC (Japan: 540).
        #[arg(long, default_value_t = 540, value_parser = clap::value_parser!(i32).range(-720..=840))]
        utc_offset_minutes: i32,
        /// Print it on the receipt printer (settings printer.url, or --printer).
        #[arg(long, conflicts_with = "csv")]
        print: bool,
        /// The printer: tcp://HOST:9100 or file:///dev/usb/lp0.
        #[arg(long, requires = "print")]
        printer: Option<String>,
    },
    /// Issue the receipt of a paid order (レシート, the simplified invoice),
    /// a 領収書 (--kind ryoshusho, --to, --for), or a refund's slip (--kind
    /// refund); to the printer, else its lines to stdout. A second one of
    /// the same kind says 再発行.
    Receipt {
        #[arg(long)]
        order_no: String,
        /// invoice (default), ryoshusho or refund.
        #[arg(long)]
        kind: Option<String>,
        /// 宛名 of a 領収書 ("… 様").
        #[arg(long)]
        to: Option<String>,
        /// 但し書き of a 領収書 (default お品代として).
        #[arg(long = "for")]
        purpose: Option<String>,
        /// The refund of a refund slip (default: the order's latest).
        #[arg(long)]
        refund: Option<i64>,
        /// The printer: tcp://HOST:9100 or file:///dev/usb/lp0 (default:
        /// settings printer.url; none: stdout).
        #[arg(long)]
        printer: Option<String>,
    },
    /// The data folder's settings by key (the settings file's JSON path,
    /// dotted: invoice.registrationNumber, tax.rounding, printer.url, …).
    Settings {
        #[command(subcommand)]
        action: SettingsAction,
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
    /// The head-office link of the data folder's register (its settings.json
    /// register id and locationId; the token from EASYQR_HQ_TOKEN or stdin).
    Hq {
        #[command(subcommand)]
        action: HqAction,
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

/// `easyqr-cli settings …`.
#[derive(Subcommand, Debug)]
pub enum SettingsAction {
    /// One setting, or all of them (JSON).
    Get { key: Option<String> },
    /// Set one, checked by the app's rules; refused while the app runs.
    Set { key: String, value: String },
}

/// `easyqr-cli hq …`.
#[derive(Subcommand, Debug)]
pub enum HqAction {
    /// Check the token with the head office (it must be this register's),
    /// then keep it in the key store and the address in settings.json.
    Enrol {
        /// The head office's address, e.g. https://hq.example.jp
        #[arg(long)]
        url: String,
    },
    /// The link's status as the head office sees it (one JSON line).
    Status,
    /// Ship the journal's backlog to the head office once; prints what it
    /// holds afterwards.
    Ship,
    /// Forget the head office (address and token).
    Unenrol,
}

/// Filters of `log` and `export-log`; they combine with AND.
#[derive(clap::Args, Debug)]
pub struct FilterArgs {
    /// Rung up at or after this local time (YYYY-MM-DD or "YYYY-MM-DD HH:MM").
    #[arg(long)]
    pub from: Option<String>,
    /// Rung up before this local time.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long)]
    pub shift: Option<i64>,
    /// State (repeatable): reserved, creating, pending, captured, closed,
    /// expired, burned, rejected.
    #[arg(long = "status")]
    pub states: Vec<String>,
    /// Wallet (elepay paymentMethod), e.g. paypay.
    #[arg(long)]
    pub wallet: Option<String>,
    #[arg(long)]
    pub min_amount: Option<i64>,
    #[arg(long)]
    pub max_amount: Option<i64>,
    /// Part of an orderNo.
    #[arg(long)]
    pub order_no: Option<String>,
    /// Local time zone as minutes east of UTC (Japan: 540).
    #[arg(long, default_value_t = 540, value_parser = clap::value_parser!(i32).range(-720..=840))]
    pub utc_offset_minutes: i32,
}

fn parse_item(s: &str) -> Result<Item, String> {
    let bad = || {
        format!(
            "{s:?}: NAME:QTY:UNIT_PRICE[:RATE], e.g. \"Coffee:2:480\" or \"Bento:1:540:reduced\""
        )
    };
    // A last part that is not a number is the rate (checked by the tax rule).
    let (s, rate) = match s.rsplit_once(':') {
        Some((head, last)) if last.trim().parse::<i64>().is_err() => {
            (head, Some(last.trim().to_owned()))
        }
        _ => (s, None),
    };
    let mut parts = s.rsplitn(3, ':');
    let unit_price = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(bad)?;
    let qty = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(bad)?;
    let name = parts.next().ok_or_else(bad)?.to_owned();
    Ok(Item {
        name,
        qty,
        unit_price,
        rate,
    })
}

fn parse_return(s: &str) -> Result<ReturnItem, String> {
    let bad = || format!("{s:?}: NAME:QTY, e.g. \"Coffee:1\"");
    let (name, qty) = s.rsplit_once(':').ok_or_else(bad)?;
    Ok(ReturnItem {
        line: None,
        name: Some(name.to_owned()),
        qty: qty.trim().parse().map_err(|_| bad())?,
    })
}

impl Cli {
    /// This register as the global flags describe it.
    pub fn register_config(&self) -> RegisterConfig {
        RegisterConfig {
            register_id: self.register.clone(),
            order_prefix: self.prefix.clone(),
            location_id: self.location_id.clone(),
            front_url: self.front_url.clone(),
            expiry_minutes: self.expiry_minutes,
            poll_interval: Duration::from_millis(self.poll_ms),
            request_timeout: Duration::from_millis(self.timeout_ms),
        }
    }

    /// Whether the command changes the ledger (and so needs its writer lock).
    pub fn writes(&self) -> bool {
        matches!(
            self.command,
            Command::Charge { .. }
                | Command::Retry { .. }
                | Command::Cancel { .. }
                | Command::Recover { .. }
                | Command::Refund { .. }
                | Command::Reconcile { .. }
                | Command::ShiftOpen { .. }
                | Command::ShiftClose
                | Command::Receipt { .. }
        )
    }
}

/// `--order-no` or `--attempt` (clap makes one of them required).
pub fn attempt_ref(order_no: Option<&str>, attempt: Option<i64>) -> Result<AttemptRef, PosError> {
    match (order_no, attempt) {
        (Some(o), _) => Ok(AttemptRef::OrderNo(o.to_owned())),
        (None, Some(id)) => Ok(AttemptRef::Id(id)),
        (None, None) => Err(PosError::invalid(
            "order-no",
            "--order-no or --attempt is required",
        )),
    }
}

impl FilterArgs {
    pub fn to_filter(&self) -> Result<LogFilter, PosError> {
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
                    PosError::invalid("status", format!("--status: one of reserved, creating, pending, captured, closed, expired, burned, rejected; not {s:?}"))
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
            ..Default::default()
        })
    }
}
