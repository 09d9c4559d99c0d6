//! orderNo allocation: `{prefix}-{YYYYMMDD}-{seq}` such as
//! `S01R2-20261128-0042`. Short enough for a receipt, sortable, and unique
//! across registers by construction when their prefixes differ.

use rusqlite::{params, Transaction};

use crate::{write_tx, Ledger, LedgerError};

/// A store/register prefix: 1–24 characters of A–Z, 0–9 and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPrefix(String);

impl OrderPrefix {
    pub const MAX_LEN: usize = 24;

    pub fn new(s: &str) -> Result<Self, LedgerError> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(OrderPrefix(s.to_owned()))
        } else {
            Err(LedgerError::Invalid {
                field: "orderPrefix",
                allowed: format!(
                    "1 to {} characters of A-Z, 0-9 and inner hyphens, e.g. S01R2",
                    Self::MAX_LEN
                ),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn order_no(
        &self,
        business_date: &str,
        seq: i64,
    ) -> Result<elepay::OrderNo, LedgerError> {
        elepay::OrderNo::new(format!("{}-{business_date}-{seq:04}", self.0)).map_err(|e| {
            LedgerError::Invalid {
                field: "orderNo",
                allowed: e.allowed,
            }
        })
    }
}

/// Takes the next sequence number of `prefix` on `business_date` inside the
/// caller's transaction (a rolled-back sale gives its number back).
pub(crate) fn alloc_order_no(
    tx: &Transaction<'_>,
    prefix: &OrderPrefix,
    business_date: &str,
) -> Result<elepay::OrderNo, LedgerError> {
    let seq: i64 = tx.query_row(
        "INSERT INTO order_seq (prefix, business_date, next_seq) VALUES (?1, ?2, 2)
         ON CONFLICT(prefix, business_date) DO UPDATE SET next_seq = next_seq + 1
         RETURNING next_seq - 1",
        params![prefix.as_str(), business_date],
        |r| r.get(0),
    )?;
    prefix.order_no(business_date, seq)
}

impl Ledger {
    /// Allocates the next orderNo for `prefix` on `business_date` (YYYYMMDD).
    pub fn next_order_no(
        &self,
        prefix: &OrderPrefix,
        business_date: &str,
    ) -> Result<elepay::OrderNo, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let order_no = alloc_order_no(&tx, prefix, business_date)?;
        tx.commit()?;
        Ok(order_no)
    }
}

/// The business date (YYYYMMDD) of `now_ms` at a fixed UTC offset (Japan
/// is UTC+9 all year, so no time-zone database is needed).
pub fn business_date(now_ms: i64, utc_offset_minutes: i32) -> String {
    let local_ms = now_ms + i64::from(utc_offset_minutes) * 60_000;
    let days = local_ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// Gregorian date of a day count since 1970-01-01 (proleptic calendar,
/// 400-year era arithmetic).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Day count since 1970-01-01 of a Gregorian date (inverse of
/// [`civil_from_days`]).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(business_date(0, 0), "19700101");
        // 2026-11-28T14:59:59Z is still the 28th in Japan; 15:00Z is the 29th.
        let t = 1_795_877_999_000; // 2026-11-28T14:59:59Z
        assert_eq!(business_date(t, 0), "20261128");
        assert_eq!(business_date(t, 540), "20261128");
        assert_eq!(business_date(t + 1_000, 540), "20261129");
        // Leap day and year ends.
        assert_eq!(business_date(951_782_400_000, 0), "20000229");
        assert_eq!(business_date(1_704_067_199_000, 0), "20231231");
    }

    #[test]
    fn prefixes() {
        assert!(OrderPrefix::new("S01R2").is_ok());
        for bad in ["", "s01", "S 1", "-S1", "S1-", &"A".repeat(25)] {
            assert!(OrderPrefix::new(bad).is_err(), "{bad:?}");
        }
        let p = OrderPrefix::new(&"A".repeat(24)).unwrap();
        let n = p.order_no("20261128", 123_456).unwrap();
        assert!(n.as_str().len() <= 50);
        assert_eq!(
            OrderPrefix::new("S01R2")
                .unwrap()
                .order_no("20261128", 7)
                .unwrap()
                .as_str(),
            "S01R2-20261128-0007"
        );
    }
}
