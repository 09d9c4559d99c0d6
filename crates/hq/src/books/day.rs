//! A day's totals of a store and of the brand: the sum of its shifts'
//! figures, with the figures by tax rate summed per rate and assembled by
//! the ledger's one rule (`TaxFigures::assemble`), as a register's report.

use easyqr_ledger::{ByRate, Figures, RateAmount, StateTotal, TaxFigures};
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayTotals {
    pub paid: StateTotal,
    pub refunded: i64,
    pub net_sales: i64,
    pub late: StateTotal,
    pub shifts: i64,
    /// By tax rate (税率別 売上 and 消費税額), with 総売上 / 返金 / 純売上,
    /// 客数 and 客単価 of the day.
    pub by_rate: TaxFigures,
}

impl DayTotals {
    pub(super) fn add(&mut self, f: &Figures) {
        // Saturating: HQ sums what registers sent it.
        self.paid.count = self.paid.count.saturating_add(f.paid.count);
        self.paid.amount = self.paid.amount.saturating_add(f.paid.amount);
        self.refunded = self.refunded.saturating_add(f.refunds.deducted());
        self.net_sales = self.net_sales.saturating_add(f.net_sales);
        self.late.count = self.late.count.saturating_add(f.late.count);
        self.late.amount = self.late.amount.saturating_add(f.late.amount);
        self.shifts = self.shifts.saturating_add(1);
        let shift = rates_of(f);
        let day = &self.by_rate;
        self.by_rate = TaxFigures::assemble(
            plus(&day.sales, &shift.sales),
            plus(&day.refunds, &shift.refunds),
            StateTotal {
                count: day.customers.saturating_add(shift.customers),
                amount: day.gross_sales.saturating_add(shift.gross_sales),
            },
            day.refunded.saturating_add(shift.refunded),
        );
    }
}

/// A shift's figures by rate; figures kept without them (a Z closed before
/// rates were recorded) count as "rate not recorded", as on the register.
pub fn rates_of(f: &Figures) -> TaxFigures {
    f.by_rate
        .unwrap_or_else(|| TaxFigures::unrecorded(f.paid, f.refunds.deducted()))
}

/// `a + b` per rate, saturating (HQ sums what registers sent it).
fn plus(a: &ByRate, b: &ByRate) -> ByRate {
    let add = |x: RateAmount, y: RateAmount| RateAmount {
        gross: x.gross.saturating_add(y.gross),
        tax: x.tax.saturating_add(y.tax),
    };
    ByRate {
        standard: add(a.standard, b.standard),
        reduced: add(a.reduced, b.reduced),
        free: add(a.free, b.free),
        unrecorded: add(a.unrecorded, b.unrecorded),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easyqr_ledger::{RefundTotals, ShiftTotals};

    fn shift(paid: i64, count: i64, standard: i64, unrecorded: i64, refunded: i64) -> Figures {
        let mut totals = ShiftTotals::default();
        totals.add(
            easyqr_ledger::AttemptState::Captured,
            "paypay",
            StateTotal {
                count,
                amount: paid,
            },
        );
        let mut refunds = RefundTotals::default();
        refunds.add(
            easyqr_ledger::RefundState::Refunded,
            StateTotal {
                count: 1,
                amount: refunded,
            },
        );
        let sales = ByRate {
            standard: RateAmount {
                gross: standard,
                tax: standard / 11,
            },
            unrecorded: RateAmount {
                gross: unrecorded,
                tax: 0,
            },
            ..ByRate::default()
        };
        let back = ByRate {
            unrecorded: RateAmount {
                gross: refunded,
                tax: 0,
            },
            ..ByRate::default()
        };
        Figures::assemble(&totals, refunds, StateTotal::default(), (sales, back))
    }

    #[test]
    fn a_day_sums_its_shifts_by_rate_and_averages_over_all_its_customers() {
        let mut day = DayTotals::default();
        day.add(&shift(3300, 3, 3300, 0, 0));
        day.add(&shift(1000, 1, 550, 450, 100));
        let mut old = shift(700, 2, 0, 700, 0);
        old.by_rate = None; // a Z closed before rates were recorded
        day.add(&old);
        let r = day.by_rate;
        assert_eq!(
            r.sales.standard,
            RateAmount {
                gross: 3850,
                tax: 350
            }
        );
        assert_eq!(r.sales.unrecorded.gross, 1150);
        assert_eq!(r.refunds.unrecorded.gross, 100);
        assert_eq!(r.net.unrecorded.gross, 1050);
        assert_eq!((r.gross_sales, r.refunded, r.net_sales), (5000, 100, 4900));
        assert_eq!((r.customers, r.average_sale), (6, 833));
        assert_eq!(r.net_sales, day.net_sales);
    }
}
