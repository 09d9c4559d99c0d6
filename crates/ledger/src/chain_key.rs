//! The journal's key. The hash chain alone can be recomputed by anyone who
//! rewrites the file; from the row a key was installed at on, every row
//! also carries an HMAC of its hash under a key kept outside the ledger
//! (the OS keyring or the 0600 secrets file), so a rewritten row cannot be
//! signed again without it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::LedgerError;

#[derive(Clone, PartialEq, Eq)]
pub struct ChainKey {
    key: [u8; 32],
    /// The first journal row signed with it.
    pub from: i64,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainKey(from row {}, key hidden)", self.from)
    }
}

impl ChainKey {
    /// A new random key signing rows from `from` on.
    pub fn generate(from: i64) -> ChainKey {
        ChainKey {
            key: rand::random(),
            from,
        }
    }

    /// As kept in the secret store: `v1:<hex key>:<from>`.
    pub fn to_secret(&self) -> String {
        format!("v1:{}:{}", hex::encode(self.key), self.from)
    }

    pub fn from_secret(s: &str) -> Result<ChainKey, LedgerError> {
        let bad = || LedgerError::Corrupt("the stored journal key is unreadable".into());
        let mut parts = s.split(':');
        let (Some("v1"), Some(k), Some(from), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let key: [u8; 32] = hex::decode(k)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        Ok(ChainKey {
            key,
            from: from.parse().map_err(|_| bad())?,
        })
    }

    /// The signature of a row's hash.
    pub(crate) fn sign(&self, seq: i64, hash: &str) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        m.update(seq.to_string().as_bytes());
        m.update(b"\n");
        m.update(hash.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }
}
