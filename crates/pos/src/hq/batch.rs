//! How much of the backlog goes in one batch: as many rows as fit HQ's body
//! limit in bytes (and its row cap), and how a batch HQ refused as too
//! large (413) is split. Pure: the shipper measures and sends, the rules
//! are tested here without a network.

/// HQ takes at most this many bytes of JSON in one batch
/// (docs/HQ-PROTOCOL.md); a 413 may name a lower figure (a proxy's).
pub const MAX_BATCH_BYTES: usize = easyqr_ledger::BATCH_MAX_BYTES;
/// And at most this many rows (HQ refuses more with a 400).
pub const MAX_BATCH_ROWS: usize = easyqr_ledger::BATCH_MAX_ROWS;

/// A batch HQ refused as too large was a single row: no split helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsplittable;

/// The byte budget of the next batch. Starts at [`MAX_BATCH_BYTES`] and only
/// shrinks, at each refusal: a link that met a smaller limit keeps to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimit {
    bytes: usize,
}

impl Default for BatchLimit {
    fn default() -> Self {
        BatchLimit {
            bytes: MAX_BATCH_BYTES,
        }
    }
}

impl BatchLimit {
    /// A budget of `bytes` (at least 1): for an HQ known to take more or
    /// less than [`MAX_BATCH_BYTES`], and for tests of the splitting.
    pub fn new(bytes: usize) -> Self {
        BatchLimit {
            bytes: bytes.max(1),
        }
    }

    /// The most bytes the next batch's body may take.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many of the rows (their sizes in the body, in order) go in one
    /// batch whose body is `envelope` bytes without rows: as many as fit,
    /// at most [`MAX_BATCH_ROWS`], and always the first (a row larger
    /// than the budget is sent alone: only HQ can say it is too large).
    /// Answers the count and the body's size.
    pub fn fit(&self, envelope: usize, rows: &[usize]) -> (usize, usize) {
        let mut size = envelope;
        let mut n = 0;
        for &row in rows.iter().take(MAX_BATCH_ROWS) {
            let more = row + usize::from(n > 0); // the comma between rows
            if n > 0 && size + more > self.bytes {
                break;
            }
            size += more;
            n += 1;
        }
        (n, size)
    }

    /// HQ refused a batch of `rows` rows and `bytes` bytes as too large
    /// (`stated`: the limit its 413 named). The next batch takes at most
    /// half as many bytes, and no more than the stated limit; so a refused
    /// batch is never sent again, and splitting ends within a few steps.
    pub fn refused(
        &mut self,
        rows: usize,
        bytes: usize,
        stated: Option<u64>,
    ) -> Result<(), Unsplittable> {
        if rows <= 1 {
            return Err(Unsplittable);
        }
        let stated = stated.map_or(usize::MAX, |s| usize::try_from(s).unwrap_or(usize::MAX));
        self.bytes = self.bytes.min(bytes / 2).min(stated);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fit_by_bytes_with_their_commas() {
        let limit = BatchLimit { bytes: 100 };
        // envelope 40, rows of 20: 40+20 = 60, +21 = 81, +21 = 102 > 100.
        assert_eq!(limit.fit(40, &[20, 20, 20, 20]), (2, 81));
        assert_eq!(limit.fit(40, &[20, 39]), (2, 100), "exactly the budget");
        assert_eq!(limit.fit(40, &[]), (0, 40), "an empty batch");
        assert_eq!(limit.fit(40, &[500, 1]), (1, 540), "a large row goes alone");
    }

    #[test]
    fn the_row_cap_holds_whatever_the_bytes() {
        let rows = vec![10; MAX_BATCH_ROWS + 7];
        let (n, _) = BatchLimit::default().fit(40, &rows);
        assert_eq!(n, MAX_BATCH_ROWS);
    }

    #[test]
    fn a_refusal_halves_the_budget_and_heeds_the_stated_limit() {
        let mut l = BatchLimit::default();
        l.refused(300, 900_000, None).unwrap();
        assert_eq!(l.bytes(), 450_000);
        l.refused(150, 440_000, Some(1_000_000)).unwrap();
        assert_eq!(l.bytes(), 220_000, "halved below the stated limit");
        let mut l = BatchLimit::default();
        l.refused(300, 1_000_000, Some(65_536)).unwrap();
        assert_eq!(l.bytes(), 65_536, "the stated limit when lower");
        assert_eq!(l.refused(1, 70_000, Some(65_536)), Err(Unsplittable));
        assert_eq!(l.bytes(), 65_536, "unchanged by a single row");
    }

    #[test]
    fn splitting_a_refused_batch_always_ends() {
        // A server that takes at most 1,000 bytes and says nothing of it:
        // the budget shrinks until each batch fits or one row is left.
        let rows = vec![300; 50];
        let mut l = BatchLimit::default();
        let mut sends = 0;
        let (n, size) = loop {
            let (n, size) = l.fit(40, &rows);
            sends += 1;
            if size <= 1_000 || l.refused(n, size, None).is_err() {
                break (n, size);
            }
        };
        assert!(size <= 1_000 && n >= 2, "{n} rows, {size} bytes");
        assert!(sends <= 12, "{sends} sends");
        // Every row larger than the server takes: one row, unsplittable.
        let huge = vec![5_000; 10];
        let mut l = BatchLimit::default();
        let stuck = loop {
            let (n, size) = l.fit(40, &huge);
            if let Err(e) = l.refused(n, size, None) {
                break (n, e);
            }
        };
        assert_eq!(stuck, (1, Unsplittable));
    }
}
