//! TEMPORARY until the engine split lands (Engine::retire_lost_codes).
use easyqr_engine::{Engine, EngineError};

pub(crate) fn retire_lost_codes(engine: &Engine) -> Result<Vec<String>, EngineError> {
    let ledger = engine.ledger();
    let mut out = Vec::new();
    for a in ledger
        .unresolved_attempts()?
        .into_iter()
        .filter(|a| a.state == easyqr_ledger::AttemptState::Pending)
    {
        ledger.apply(a.id, &easyqr_ledger::Change::Expired, engine.now_ms())?;
        out.push(a.order_no);
    }
    Ok(out)
}
