//! Enrolment: proving the token is this register's at HQ, then keeping it
//! (the token in the secret store, the address in settings.json); and the
//! one-shot looks the CLI offers (status, ship the backlog once).

use std::path::Path;
use std::sync::Arc;

use easyqr_app_core::secrets::{open_secret_store, HqToken, HqTokenError, HqTokenStore};
use easyqr_app_core::settings::{hq_base_url, Settings, SettingsStore};
use easyqr_ledger::Ledger;

use super::client::{HqClient, HqError, Me};
use super::shipper::{ship_backlog, ShipReport};
use super::status::HqStatus;
use crate::config::Mode;
use crate::error::{ErrorCode, PosError, Result};

impl From<HqError> for PosError {
    fn from(e: HqError) -> Self {
        let code = match e {
            HqError::Unreachable(_) | HqError::Server { .. } | HqError::BadAnswer(_) => {
                ErrorCode::HqUnreachable
            }
            HqError::Unauthorized
            | HqError::Refused { .. }
            | HqError::Redirected { .. }
            | HqError::TooLarge { .. }
            | HqError::RowTooLarge { .. } => ErrorCode::HqRefused,
            HqError::Revoked => ErrorCode::HqRevoked,
            HqError::Ledger(_) => ErrorCode::LedgerError,
        };
        PosError::new(code, e.to_string())
    }
}

impl From<HqTokenError> for PosError {
    fn from(e: HqTokenError) -> Self {
        PosError::new(ErrorCode::HqTokenInvalid, e.to_string()).field("hq.token")
    }
}

/// Why `/me`'s answer is not this register, naming the setting; `None`
/// when it is. The locationId is compared only when the register has one.
pub fn identity_mismatch(
    me: &Me,
    register_id: &str,
    location_id: Option<&str>,
) -> Option<PosError> {
    if me.register_id != register_id {
        return Some(
            PosError::new(
                ErrorCode::HqMismatch,
                format!(
                    "registerId: the head office enrolled this token for register {}, but this register is {register_id}; set the register id to {} or ask for this register's token",
                    me.register_id, me.register_id
                ),
            )
            .field("registerId"),
        );
    }
    let theirs = me.store.location_id.as_deref();
    match location_id.filter(|l| !l.is_empty()) {
        Some(ours) if theirs != Some(ours) => Some(
            PosError::new(
                ErrorCode::HqMismatch,
                format!(
                    "locationId: the head office has this register in store {} ({}), but its locationId is {ours}",
                    theirs.unwrap_or("without a locationId"),
                    me.store.name
                ),
            )
            .field("locationId"),
        ),
        _ => None,
    }
}

/// Checks an address and a token against HQ for the register `settings`
/// describe; answers the client and HQ's `/me`.
pub async fn check_enrolment(
    settings: &Settings,
    url: &str,
    token: &str,
) -> Result<(HqClient, Me)> {
    let base = hq_base_url(url)?;
    let token = HqToken::parse(token)?;
    let client = HqClient::new(base, token)?;
    let me = client.me().await.map_err(|e| {
        let field = match e {
            HqError::Unauthorized | HqError::Revoked | HqError::Refused { .. } => "hq.token",
            _ => "hq.url",
        };
        PosError::from(e).field(field)
    })?;
    if let Some(e) = identity_mismatch(&me, &settings.register_id, settings.location_id.as_deref())
    {
        return Err(e);
    }
    Ok((client, me))
}

/// Where an enrolment is kept: the address in `settings.json`, the token in
/// the secret store under its own name.
#[derive(Debug, Clone)]
pub struct Enrolment {
    settings: SettingsStore,
    tokens: HqTokenStore,
}

impl Enrolment {
    pub fn new(settings: SettingsStore, tokens: HqTokenStore) -> Self {
        Enrolment { settings, tokens }
    }

    /// The data folder's settings and secret store (keyring or 0600 file).
    pub fn open(data_dir: &Path) -> Self {
        let store: Arc<dyn easyqr_app_core::secrets::SecretStore> =
            Arc::from(open_secret_store(data_dir));
        Enrolment::new(SettingsStore::new(data_dir), HqTokenStore::new(store))
    }

    /// The settings as stored (defaults when there is no file).
    pub fn load_settings(&self) -> Result<Settings> {
        Ok(self.settings.load()?.settings)
    }

    /// The enrolled HQ's client for a register running in `mode`; `None`
    /// when not enrolled (no address, or no token: either alone is no
    /// enrolment). Enrolled in another mode: refused, naming both.
    pub fn client_for(&self, settings: &Settings, mode: Mode) -> Result<Option<HqClient>> {
        let client = self.client(settings)?;
        let enrolled = settings.hq.enrolled_mode();
        if client.is_some() && mode.as_str() != enrolled {
            return Err(PosError::new(
                ErrorCode::HqOtherMode,
                format!(
                    "hq.mode: this register was enrolled with the head office in {enrolled} mode, but runs in {} mode; its {} sales are not reported (unenrol, then enrol in this mode)",
                    mode.as_str(),
                    mode.as_str()
                ),
            )
            .field("hq.mode"));
        }
        Ok(client)
    }

    /// The enrolled HQ's client, whatever the mode; `None` when not
    /// enrolled (no address, or no token: either alone is no enrolment).
    pub fn client(&self, settings: &Settings) -> Result<Option<HqClient>> {
        let Some(base) = settings.hq.base_url()? else {
            return Ok(None);
        };
        match self.tokens.get()? {
            Some(token) => Ok(Some(HqClient::new(base, token)?)),
            None => Ok(None),
        }
    }

    /// Checks the token with HQ, then keeps it: the token first, then the
    /// address (a crash between leaves a token without an address: not
    /// enrolled, and overwritten by the next enrolment). Answers the saved
    /// settings and HQ's `/me`.
    ///
    /// The enrolment reports the ledger of `mode` (the key's): another
    /// mode's sales never reach it. DEMO sales are not real: refused.
    pub async fn enrol(
        &self,
        settings: &Settings,
        url: &str,
        token: &str,
        mode: Mode,
    ) -> Result<(Settings, Me)> {
        if mode == Mode::Demo {
            return Err(PosError::new(
                ErrorCode::HqNotInDemo,
                "hq.url: DEMO sales are not real, so DEMO does not report to a head office; enter the elepay key first",
            )
            .field("hq.url"));
        }
        let (client, me) = check_enrolment(settings, url, token).await?;
        let token = HqToken::parse(token)?;
        self.tokens.set(&token)?;
        let mut new = settings.clone();
        new.hq.url = Some(client.base().as_str().to_owned());
        new.hq.mode = Some(mode.as_str().to_owned());
        self.settings
            .save(&new)
            .map_err(|e| PosError::new(ErrorCode::SettingsNotSaved, e.to_string()))?;
        tracing::info!(register = %me.register_id, hq = %client.base(), "enrolled with the head office");
        Ok((new, me))
    }

    /// Forgets the enrolment: the address first (so the link is off at
    /// once), then the token.
    pub fn unenrol(&self, settings: &Settings) -> Result<Settings> {
        let mut new = settings.clone();
        new.hq = Default::default();
        self.settings
            .save(&new)
            .map_err(|e| PosError::new(ErrorCode::SettingsNotSaved, e.to_string()))?;
        self.tokens.delete()?;
        Ok(new)
    }
}

fn head_of(ledger: &Ledger) -> i64 {
    ledger.journal_head_seq().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "journal head unreadable");
        0
    })
}

/// A one-shot status (no stream): `/me` and the ledger's head. Never fails:
/// an unreachable or refusing HQ is a status too.
pub async fn probe_status(client: &HqClient, ledger: Option<&Arc<Ledger>>, now: i64) -> HqStatus {
    let mut s = HqStatus::connecting(client.base().as_str(), now);
    let head = ledger.map_or(0, |l| head_of(l));
    match client.me().await {
        Ok(me) => s.on_probe(&me, head, now),
        Err(e) => {
            s.on_head(head, now);
            s.on_start_failed(&e, now);
        }
    }
    s
}

/// Ships the whole backlog once (`easyqr-cli hq ship`), from what HQ says
/// it holds.
pub async fn ship_once(client: &HqClient, ledger: &Arc<Ledger>) -> Result<ShipReport> {
    let me = client.me().await?;
    let mut report = ship_backlog(client, ledger, me.journal_acked, true, |_, _, _| {}).await?;
    if report.shipped == 0 {
        report.diverged = me.diverged;
    }
    Ok(report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hq::client::MeStore;

    fn me(register: &str, location: Option<&str>) -> Me {
        Me {
            register_id: register.into(),
            store: MeStore {
                name: "Shibuya".into(),
                location_id: location.map(str::to_owned),
            },
            journal_acked: 0,
            event_cursor: 0,
            diverged: None,
            broken: None,
        }
    }

    #[test]
    fn the_token_must_be_this_registers_and_this_stores() {
        let ok = me("S01R1", Some("loc_shibuya"));
        assert!(identity_mismatch(&ok, "S01R1", Some("loc_shibuya")).is_none());
        assert!(
            identity_mismatch(&ok, "S01R1", None).is_none(),
            "no locationId: not compared"
        );
        assert!(identity_mismatch(&ok, "S01R1", Some("")).is_none());
        let e = identity_mismatch(&ok, "S01R2", Some("loc_shibuya")).unwrap();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::HqMismatch, Some("registerId"))
        );
        assert!(
            e.message.contains("S01R1") && e.message.contains("S01R2"),
            "{}",
            e.message
        );
        let e = identity_mismatch(&ok, "S01R1", Some("loc_ginza")).unwrap();
        assert_eq!(e.field.as_deref(), Some("locationId"));
        assert!(e.message.contains("loc_shibuya") && e.message.contains("loc_ginza"));
        let e = identity_mismatch(&me("S01R1", None), "S01R1", Some("loc_ginza")).unwrap();
        assert_eq!(e.field.as_deref(), Some("locationId"));
    }

    #[test]
    fn hq_failures_take_their_codes_and_exit_codes() {
        let cases = [
            (
                HqError::Unreachable("could not connect".into()),
                "hq_unreachable",
                1,
            ),
            (HqError::Server { status: 503 }, "hq_unreachable", 1),
            (HqError::Unauthorized, "hq_refused", 6),
            (
                HqError::Refused {
                    status: 400,
                    error: "bad".into(),
                },
                "hq_refused",
                6,
            ),
            (HqError::Revoked, "hq_revoked", 6),
            (HqError::Ledger("disk".into()), "ledger_error", 1),
        ];
        for (e, code, exit) in cases {
            let p = PosError::from(e);
            assert_eq!((p.code.as_str(), p.exit_code()), (code, exit));
        }
        let p = PosError::from(HqTokenError::Malformed);
        assert_eq!(
            (p.code.as_str(), p.field.as_deref()),
            ("hq_token_invalid", Some("hq.token"))
        );
    }
}
