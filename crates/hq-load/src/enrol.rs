//! S stores × R registers, enrolled concurrently through one pool. Ids are
//! derived from the run's prefix, so a re-run enrols the same ones again
//! (a new token each; a live register keeps its place).

use std::sync::Arc;

use easyqr_hq::{enrol, Db};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One register of the load: who it is and its token.
#[derive(Clone)]
pub struct Register {
    pub index: usize,
    pub register_id: String,
    pub location_id: Arc<str>,
    pub token: String,
}

impl std::fmt::Debug for Register {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Register")
            .field("register_id", &self.register_id)
            .finish_non_exhaustive()
    }
}

/// elepay's `locationId` of store `s` (1 to 32 printable ASCII).
pub fn location_id(prefix: &str, s: usize) -> String {
    format!("load-{}-{s:05}", prefix.to_ascii_lowercase())
}

/// An orderNo prefix (A-Z, 0-9, inner hyphens, at most 24).
pub fn register_id(prefix: &str, s: usize, r: usize) -> String {
    format!("{prefix}-S{s:05}-R{r:02}")
}

/// Adds the stores and enrols their registers, `concurrency` at a time.
pub async fn enrol_all(
    db: &Db,
    prefix: &str,
    stores: usize,
    registers: usize,
    concurrency: usize,
) -> Result<Vec<Register>, String> {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for s in 0..stores {
        let (db, gate, prefix) = (db.clone(), gate.clone(), prefix.to_owned());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            let location: Arc<str> = location_id(&prefix, s).into();
            enrol::add_store(&db, &location, &format!("Load {s}"))
                .await
                .map_err(|e| format!("store {location}: {e}"))?;
            let mut out = Vec::with_capacity(registers);
            for r in 0..registers {
                let register_id = register_id(&prefix, s, r);
                let token = enrol::enrol(&db, &location, &register_id)
                    .await
                    .map_err(|e| format!("register {register_id}: {e}"))?;
                out.push(Register {
                    index: s * registers + r,
                    register_id,
                    location_id: location.clone(),
                    token,
                });
            }
            Ok::<_, String>(out)
        });
    }
    let mut all = Vec::with_capacity(stores * registers);
    while let Some(done) = tasks.join_next().await {
        all.extend(done.map_err(|e| e.to_string())??);
    }
    all.sort_by_key(|r| r.index);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_pass_the_registers_own_rules() {
        let r = register_id("LDXYZ9", 99_999, 98);
        assert!(easyqr_ledger::OrderPrefix::new(&r).is_ok(), "{r}");
        assert!(elepay::check_location_id(&location_id("LDXYZ9", 99_999)).is_ok());
    }
}
