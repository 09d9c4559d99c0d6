//! `easyqr-cli hq …`: the head-office link's use cases, for support and
//! tests. The register is the data folder's (its settings.json), like the
//! app's; the token comes from `EASYQR_HQ_TOKEN` or stdin, never a flag.

use std::io::{BufRead, IsTerminal};

use easyqr_pos_core::config::{self, Access};
use easyqr_pos_core::hq::{probe_status, ship_once, Enrolment, HqClient};
use easyqr_pos_core::{ErrorCode, PosError};
use serde_json::json;

use crate::args::{Cli, HqAction};
use crate::run::{mode_of, print};

const TOKEN_ENV: &str = "EASYQR_HQ_TOKEN";

pub async fn run(cli: &Cli, action: &HqAction) -> Result<u8, PosError> {
    let dir = config::data_dir(cli.data_dir.as_deref())?;
    let enrolment = Enrolment::open(&dir);
    let settings = enrolment.load_settings()?;
    // The ledger the enrolment reports (test or live), whatever the key.
    let enrolled_books = || {
        let mode = config::Mode::parse(settings.hq.enrolled_mode()).unwrap_or(config::Mode::Live);
        config::open_key_books(cli.data_dir.as_deref(), |_| Ok(mode), Access::Read)
    };
    match action {
        HqAction::Enrol { url } => {
            // The running app keeps its enrolment in memory: change it there.
            let _app = config::app_lock(&dir)?;
            let token = read_token()?;
            let mode = mode_of(cli, &dir)?;
            let (saved, me) = enrolment.enrol(&settings, url, &token, mode).await?;
            print(json!({ "enrolled": {
                "registerId": me.register_id, "storeName": me.store.name,
                "locationId": me.store.location_id, "url": saved.hq.url, "mode": saved.hq.mode,
                "journalAcked": me.journal_acked, "eventCursor": me.event_cursor,
            }}));
            Ok(0)
        }
        HqAction::Unenrol => {
            let _app = config::app_lock(&dir)?;
            enrolment.unenrol(&settings)?;
            print(json!({ "enrolled": false }));
            Ok(0)
        }
        HqAction::Status => {
            let Some(client) = enrolment.client(&settings)? else {
                print(json!({ "hq": easyqr_pos_core::HqStatus::off() }));
                return Ok(0);
            };
            // The backlog needs the ledger; a folder whose mode cannot be
            // told still gets HQ's side.
            let ledger = enrolled_books()
                .map(|(books, _)| books.ledger().clone())
                .ok();
            let now = now_ms();
            print(json!({ "hq": probe_status(&client, ledger.as_ref(), now).await }));
            Ok(0)
        }
        HqAction::Ship => {
            let client = enrolled(&enrolment, &settings)?;
            let (books, _) = enrolled_books()?;
            let report = ship_once(&client, books.ledger()).await?;
            let diverged = report.diverged.is_some();
            print(json!({ "ship": report }));
            Ok(if diverged {
                ErrorCode::HqDiverged.exit_code()
            } else {
                0
            })
        }
    }
}

fn enrolled(
    enrolment: &Enrolment,
    settings: &easyqr_app_core::settings::Settings,
) -> Result<HqClient, PosError> {
    enrolment.client(settings)?.ok_or_else(|| {
        PosError::new(
            ErrorCode::HqNotEnrolled,
            "this register is not enrolled with a head office; run: easyqr-cli hq enrol --url URL (token from EASYQR_HQ_TOKEN or stdin)",
        )
    })
}

/// `EASYQR_HQ_TOKEN`, else one line of stdin: on a terminal prompted and
/// read without echo (the token must not stay on the screen or in a
/// terminal's scrollback), from a pipe as it comes (scripts, tests).
fn read_token() -> Result<String, PosError> {
    if let Some(t) = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        return Ok(t);
    }
    let unreadable = |e: std::io::Error| {
        PosError::new(
            ErrorCode::HqTokenInvalid,
            format!("token: stdin could not be read ({e})"),
        )
        .field("hq.token")
    };
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password("Enrolment token (from easyqr-hq register enrol): ")
            .map_err(unreadable);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(unreadable)?;
    Ok(line)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
