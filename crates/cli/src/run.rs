//! Each subcommand: open what it needs, call its use case, print the result.

use std::path::Path;
use std::time::Duration;

use easyqr_engine::{Checkout, EngineEvent};
use easyqr_ledger::{Attempt, AttemptState, RefundState};
use easyqr_pos_core::codes::exit_code_of_state;
use easyqr_pos_core::config::{self, Access};
use easyqr_pos_core::export::write_file;
use easyqr_pos_core::receipt::{self, Destination, ReceiptOrder};
use easyqr_pos_core::report_doc::print_report;
use easyqr_pos_core::{
    Books, CancelResult, ChargeRequest, Export, Outcome, PosError, RefundRequest, Register,
};
use serde_json::{json, Value};

use crate::args::{attempt_ref, Cli, Command};

/// One JSON line on stdout. A reader that went away (`| head`) must not
/// abort a charge in progress: the ledger is the record, so output errors
/// are ignored.
pub(crate) fn print(v: Value) {
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

/// The register the flags describe, with the key from the environment,
/// refused when the key is of another elepay app than the ledger's.
async fn register(cli: &Cli, books: &Books) -> Result<Register, PosError> {
    let raw = std::env::var("ELEPAY_SECRET_KEY").ok();
    let r = Register::with_key(books, &cli.register_config(), raw, &cli.api_base)?;
    r.check_same_app().await?;
    Ok(r)
}

/// The mode whose ledger this run works on (see [`config::key_mode`]).
pub(crate) fn mode_of(cli: &Cli, data_dir: &Path) -> Result<config::Mode, PosError> {
    let key = std::env::var("ELEPAY_SECRET_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|k| elepay::SecretKey::parse(k.trim()))
        .transpose()?;
    let named = cli.mode.as_deref().and_then(config::Mode::parse);
    config::key_mode(data_dir, key.as_ref(), named)
}

pub async fn run(cli: Cli) -> Result<u8, PosError> {
    if let Command::Hq { action } = &cli.command {
        return crate::hq::run(&cli, action).await;
    }
    if let Command::Settings { action } = &cli.command {
        return crate::settings::run(&cli, action);
    }
    let access = if cli.writes() {
        Access::Write
    } else {
        Access::Read
    };
    let (books, _lock) =
        config::open_key_books(cli.data_dir.as_deref(), |d| mode_of(&cli, d), access)?;
    let reg = cli.register.as_str();
    match &cli.command {
        Command::Charge {
            amount,
            description,
            items,
            rate,
            no_wait,
        } => {
            let req = ChargeRequest {
                amount: *amount,
                description: description.clone(),
                items: items.clone(),
                rate: rate.clone(),
            };
            let policy = store_settings(&cli)?.tax.policy()?;
            req.checked(&policy).map_err(item_flag)?;
            let r = register(&cli, &books).await?;
            let rx = r.engine().subscribe();
            let result = r
                .charge(&req, &policy)
                .await
                .map_err(|e| shift_hint(e, reg));
            follow(&r, rx, result, *no_wait).await
        }
        Command::Retry { sale } => {
            let r = register(&cli, &books).await?;
            let rx = r.engine().subscribe();
            let result = r.retry(*sale).await;
            follow(&r, rx, result, false).await
        }
        Command::Status { order_no, attempt } => {
            let found = books.attempts(&attempt_ref(order_no.as_deref(), *attempt)?)?;
            for a in &found {
                print(attempt_json(a, None));
            }
            Ok(if found.is_empty() {
                easyqr_pos_core::ErrorCode::NotFound.exit_code()
            } else {
                0
            })
        }
        Command::Cancel { order_no, attempt } => {
            let which = attempt_ref(order_no.as_deref(), *attempt)?;
            books.attempt_in(&which, AttemptState::Pending)?;
            let (result, a) = register(&cli, &books).await?.cancel_code_of(&which).await?;
            print(attempt_json(&a, Some(result.note())));
            Ok(match result {
                CancelResult::Cancelled => Outcome::Done.exit_code(),
                CancelResult::PaidMeanwhile => Outcome::PaidMeanwhile.exit_code(),
                CancelResult::Expired => Outcome::Expired.exit_code(),
            })
        }
        Command::List { limit } => {
            for a in books.recent_attempts(*limit, None)? {
                print(attempt_json(&a, None));
            }
            Ok(0)
        }
        Command::Recover { wait } => {
            let r = register(&cli, &books).await?;
            let report = r.recover().await?;
            let intact = report.journal.as_ref().is_none_or(|j| j.is_intact());
            print(json!({ "recovery": report }));
            if *wait {
                let left = r.wait_resolved().await?;
                if !left.is_empty() {
                    for a in &left {
                        print(attempt_json(a, Some("still unresolved")));
                    }
                    return Ok(Outcome::GaveUpWaiting.exit_code());
                }
            }
            Ok(journal_exit(intact))
        }
        Command::VerifyJournal { heads } => {
            let report = books.verify(heads).map_err(|e| flag(e, "--head"))?;
            let ok = report.is_intact();
            print(json!({ "journal": report }));
            Ok(journal_exit(ok))
        }
        Command::Refund {
            order_no,
            attempt,
            amount,
            items,
            reason,
            no_wait,
        } => {
            let which = attempt_ref(order_no.as_deref(), *attempt)?;
            let req = RefundRequest {
                amount: *amount,
                items: items.clone(),
                reason: reason.clone(),
            };
            // Checked against the sale as recorded before elepay is asked.
            let paid = books.attempt_in(&which, AttemptState::Captured)?;
            req.plan(&books.ledger().sale_record(paid.sale_id)?)
                .map_err(item_flag)?;
            let r = register(&cli, &books).await?;
            let mut refund = r
                .refund_of(&which, &req)
                .await
                .map_err(|e| shift_hint(e, reg))?;
            print(json!({ "refund": refund }));
            if !*no_wait {
                refund = r
                    .wait_refund(refund, Duration::from_secs(600), |now| {
                        print(json!({ "refund": now }))
                    })
                    .await?;
                if refund.status == RefundState::Pending {
                    eprintln!("error: elepay has not confirmed the refund yet; it is followed at the next recover");
                    return Ok(Outcome::GaveUpWaiting.exit_code());
                }
            }
            Ok(if refund.status == RefundState::Failed {
                easyqr_pos_core::ErrorCode::RefundRefused.exit_code()
            } else {
                0
            })
        }
        Command::ShiftOpen { cashier } => {
            let report = books.open_shift(reg, cashier)?;
            print(json!({ "shift": report.shift }));
            Ok(0)
        }
        Command::ShiftClose => {
            print(json!({ "report": books.close_shift(reg)? }));
            Ok(0)
        }
        Command::Shifts { limit } => {
            for s in books.shifts(reg, *limit)? {
                print(json!({ "shift": s }));
            }
            Ok(0)
        }
        Command::Reconcile { shift } => {
            books
                .shift_or_current(reg, *shift)
                .map_err(|e| flag(e, "--shift"))?;
            let report = register(&cli, &books).await?.reconcile(*shift).await?;
            for d in &report.differences {
                print(json!({ "difference": d }));
            }
            let clean = report.is_clean();
            print(json!({ "reconciliation": report }));
            Ok(if clean {
                0
            } else {
                Outcome::Differences.exit_code()
            })
        }
        Command::Report {
            outside_shifts: true,
            ..
        } => {
            print(json!({ "outsideShifts": books.outside_shifts()? }));
            Ok(0)
        }
        Command::Report {
            shift,
            utc_offset_minutes,
            print: true,
            printer,
            ..
        } => {
            let id = books
                .shift_or_current(reg, *shift)
                .map_err(|e| flag(e, "--shift"))?;
            let settings = store_settings(&cli)?;
            let dest = Destination::choose(printer.as_deref(), &settings, Destination::Text)?;
            let printed = print_report(&books, &settings, id, *utc_offset_minutes, dest).await?;
            match &printed.printer {
                Some(url) => {
                    print(json!({ "printed": printed.kind, "shiftId": id, "printer": url }))
                }
                None => print_text(&printed.text),
            }
            Ok(0)
        }
        Command::Report {
            shift,
            csv,
            utc_offset_minutes,
            ..
        } => {
            let id = books
                .shift_or_current(reg, *shift)
                .map_err(|e| flag(e, "--shift"))?;
            match csv {
                Some(path) => {
                    let export = Export::Report { shift_id: id };
                    write_to("--csv", path, |w| {
                        books.write_csv(&export, *utc_offset_minutes, w).map(drop)
                    })?
                }
                None => {
                    let report = books.shift_report(id)?;
                    print(json!({ "report": report, "kind": report.kind() }))
                }
            }
            Ok(0)
        }
        Command::Log { filter, limit } => {
            for row in books.log(&filter.to_filter()?, *limit, None)? {
                print(json!({ "row": row }));
            }
            Ok(0)
        }
        Command::Receipt {
            order_no,
            kind,
            to,
            purpose,
            refund,
            printer,
        } => {
            let settings = store_settings(&cli)?;
            let order = ReceiptOrder {
                kind: kind.clone(),
                to: to.clone(),
                purpose: purpose.clone(),
                refund: *refund,
            };
            let dest = Destination::choose(printer.as_deref(), &settings, Destination::Text)?;
            let to_text = dest == Destination::Text;
            let which = easyqr_pos_core::AttemptRef::OrderNo(order_no.clone());
            let issued = // Receipts print the store's time: Japan's.
            receipt::issue(&books, &settings, 540, &which, &order, dest)
                .await
                .map_err(|e| flag(e, "--printer"))?;
            if to_text {
                print_text(&issued.text);
            } else {
                print(
                    json!({ "receipt": { "orderNo": issued.order_no, "kind": issued.kind,
                    "copy": issued.copy, "reprint": issued.reprint, "printer": issued.printer } }),
                );
            }
            Ok(0)
        }
        Command::Hq { .. } | Command::Settings { .. } => unreachable!("handled above"),
        Command::ExportLog { filter, out } => {
            let export = Export::Log {
                filter: filter.to_filter()?,
            };
            let mut rows = 0;
            write_to("--out", out, |w| {
                rows = books.write_csv(&export, filter.utc_offset_minutes, w)?;
                Ok(())
            })?;
            if out.as_os_str() != "-" {
                print(json!({ "rows": rows, "file": out }));
            }
            Ok(0)
        }
    }
}

/// Names the flag a use case's error is about, as the user typed it.
/// A refusal for want of a shift says how to open one from here.
fn shift_hint(mut e: PosError, register: &str) -> PosError {
    if e.code == easyqr_pos_core::ErrorCode::NoOpenShift {
        e.message = format!(
            "{} — run: easyqr-cli --register {register} shift-open --cashier NAME",
            e.message
        );
    }
    e
}

/// The data folder's settings (the app's `settings.json`): the store's tax
/// policy, invoice identity and printer.
fn store_settings(cli: &Cli) -> Result<easyqr_app_core::settings::Settings, PosError> {
    let dir = config::data_dir(cli.data_dir.as_deref())?;
    let loaded = easyqr_app_core::settings::SettingsStore::new(&dir)
        .load()
        .map_err(|e| PosError::new(easyqr_pos_core::ErrorCode::SettingsIo, e.to_string()))?;
    Ok(loaded.settings)
}

/// A receipt or report as text, as it would print.
fn print_text(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// An item's field as the flag that carried it (`items[1]` → `--item`).
fn item_flag(e: PosError) -> PosError {
    match e.field.as_deref() {
        Some(f) if f.starts_with("items") => flag(e, "--item"),
        Some("amount") => flag(e, "--amount"),
        Some("rate") => flag(e, "--rate"),
        _ => e,
    }
}

fn flag(mut e: PosError, flag: &str) -> PosError {
    if e.field.is_some() && !e.message.starts_with(flag) {
        e.message = format!("{flag}: {}", e.message);
    }
    e
}

fn journal_exit(intact: bool) -> u8 {
    if intact {
        0
    } else {
        easyqr_pos_core::ErrorCode::JournalBroken.exit_code()
    }
}

/// Runs `f` on `path` ("-": stdout); a file is written atomically.
fn write_to(
    option: &str,
    path: &Path,
    f: impl FnOnce(&mut dyn std::io::Write) -> Result<(), PosError>,
) -> Result<(), PosError> {
    use std::io::Write;
    if path.as_os_str() == "-" {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        f(&mut out)?;
        return out.flush().map_err(|e| {
            PosError::new(
                easyqr_pos_core::ErrorCode::ExportFailed,
                format!("stdout: {e}"),
            )
        });
    }
    write_file(path, f).map_err(|e| {
        PosError::invalid(
            option.trim_start_matches('-'),
            format!("{option}: {}", e.message),
        )
    })
}

/// Prints the attempt's state changes as they happen until it is final.
async fn follow(
    r: &Register,
    mut rx: tokio::sync::broadcast::Receiver<EngineEvent>,
    result: Result<Checkout, PosError>,
    no_wait: bool,
) -> Result<u8, PosError> {
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
                        return Ok(exit_code_of_state(state));
                    }
                }
            }
            // Missed events: the ledger is the truth.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                let a = r.books().ledger().attempt(id)?;
                if a.state.is_final() {
                    print(attempt_json(&a, None));
                    return Ok(exit_code_of_state(a.state));
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(1),
        }
    }
}
