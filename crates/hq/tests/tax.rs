//! Tax by rate at HQ, on a real register ledger written through
//! easyqr_ledger's API: HQ's per-rate figures of each shift are the
//! ledger's own `shift_report(..).by_rate`, with items at 10 % and 8 %, a
//! tax-free item, an amount-only sale, a sale whose rate was not recorded,
//! a refund by items, a refund that fails, a late payment and a sale paid
//! twice; a row applied twice counts once; and an HQ upgraded with rows
//! already projected counts them as "rate not recorded", as the register.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use easyqr_hq::ship::{ingest, Batch};
use easyqr_hq::Db;
use easyqr_ledger::{
    Attempt, Change, JournalRow, Ledger, OrderPrefix, RateAmount, RefundState, RefundTax,
    SaleTaxed, ShiftId, TaxFigures,
};
use easyqr_tax::TaxRate;
use elepay::{Amount, OrderNo};
use support::tax::{excluded, included, item, lines, of_amount, refund_of_amount, returned};
use support::*;

/// 2026-12-05 08:53 UTC (17:53 in Japan).
const T0: i64 = 1_796_000_000_000;

struct Register {
    l: Ledger,
    prefix: OrderPrefix,
}

impl Register {
    fn new() -> Register {
        let l = Ledger::open_in_memory().unwrap();
        l.open_shift("R1", "税務", T0).unwrap();
        Register {
            l,
            prefix: OrderPrefix::new("S01R1").unwrap(),
        }
    }

    /// A sale rung up (taxed as `taxed` says) with its code showing.
    fn showing(&self, yen: i64, taxed: Option<&SaleTaxed>, at: i64) -> Attempt {
        let a = self
            .l
            .start_sale(
                Amount::new(yen).unwrap(),
                Some("テスト"),
                taxed,
                "R1",
                &self.prefix,
                "20261205",
                at,
            )
            .unwrap();
        self.pending(&a, at);
        a
    }

    fn pending(&self, a: &Attempt, at: i64) {
        self.l.apply(a.id, &Change::Creating, at).unwrap();
        let code = format!("cod_{}", a.id);
        let pending = Change::Pending {
            code_url: format!("https://pay.example/{code}"),
            code_id: code,
            expiry_time: at + 180_000,
            key_last4: "0001".into(),
        };
        self.l.apply(a.id, &pending, at).unwrap();
    }

    fn pay(&self, a: &Attempt, at: i64) {
        let paid = Change::Captured {
            charge_id: Some(format!("cha_{}", a.id)),
            payment_method: Some("paypay".into()),
            paid_time: Some(at),
            source: "poll".into(),
        };
        self.l.apply(a.id, &paid, at).unwrap();
    }

    /// A sale of `taxed` (its total) or of `yen` untaxed, paid.
    fn paid(&self, taxed: Option<&SaleTaxed>, yen: i64, at: i64) -> Attempt {
        let yen = taxed.map_or(yen, |t| t.breakdown.total);
        let a = self.showing(yen, taxed, at);
        self.pay(&a, at + 500);
        a
    }

    /// A refund of `yen` (or of the returned lines' total), left `to`.
    fn refund(&self, a: &Attempt, yen: i64, tax: Option<&RefundTax>, to: RefundState, at: i64) {
        let yen = tax.map_or(yen, |t| t.breakdown.total);
        let r = self
            .l
            .request_refund(a.id, Amount::new(yen).unwrap(), Some("返品"), tax, "R1", at)
            .unwrap();
        if to != RefundState::Requested {
            let id = (to != RefundState::Failed).then(|| format!("ref_{}", r.id));
            self.l.update_refund(r.id, id.as_deref(), to, at).unwrap();
        }
    }

    fn rows(&self) -> Vec<JournalRow> {
        self.l.journal_rows_after(0, usize::MAX).unwrap()
    }

    /// The ledger's Z figures by rate: at the close and since it.
    fn z(&self, shift: ShiftId, now: i64) -> (TaxFigures, Option<TaxFigures>) {
        let r = self.l.shift_report(shift, now).unwrap();
        let since = r.since_close.as_ref().and_then(|d| d.by_rate);
        (r.figures.by_rate.unwrap(), since)
    }
}

/// HQ with store `loc_store1` and register S01R1; its row id.
async fn hq_with_register() -> Option<(Hq, i64)> {
    let hq = Hq::start().await?;
    hq.store("loc_store1", "渋谷店").await;
    hq.enrol("loc_store1", "S01R1").await;
    let id = hq
        .query_i64("SELECT id FROM registers WHERE register_id = 'S01R1'")
        .await;
    Some((hq, id))
}

/// Ships `rows` in batches of `size`, each twice.
async fn ship(db: &Db, register: i64, rows: &[JournalRow], size: usize) {
    let head = rows.last().unwrap().seq;
    for chunk in rows.chunks(size) {
        for _ in 0..2 {
            let batch = Batch {
                head,
                acked_seen: 0,
                rows: chunk.to_vec(),
            };
            let a = ingest(db, register, &batch).await.unwrap();
            assert_eq!(a.diverged, None);
        }
    }
    let projected: i64 = db
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT projected_seq FROM registers WHERE id = $1",
            &[&register],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(projected, head, "every row projected");
}

/// HQ's Z of `shift` by rate: (at the close, now, since the close).
async fn hq_z(db: &Db, shift: ShiftId) -> (TaxFigures, TaxFigures, Option<TaxFigures>) {
    let c = db.get().await.unwrap();
    let z = easyqr_hq::books::z_reports(&c, Some("loc_store1"), None, 10)
        .await
        .unwrap();
    let z = z.iter().find(|z| z.shift_id == shift).expect("the Z at HQ");
    (
        z.at_close.as_ref().unwrap().by_rate.unwrap(),
        z.now.by_rate.unwrap(),
        z.since_close.as_ref().and_then(|d| d.by_rate),
    )
}

/// Two shifts of every kind of sale and refund; answers the register and
/// its two (closed) shifts.
fn two_shifts() -> (Register, ShiftId, ShiftId, i64) {
    let r = Register::new();
    let first = r.l.current_shift("R1").unwrap().unwrap();
    let mut t = T0 + 60_000;
    let mut at = || {
        t += 60_000;
        t
    };
    let mixed = lines(
        &included(),
        vec![
            item("コーヒー豆", 2, 480, TaxRate::Standard),
            item("サンドイッチ", 1, 398, TaxRate::Reduced),
            item("弁当", 3, 540, TaxRate::Reduced),
        ],
    );
    let a = r.paid(Some(&mixed), 0, at());
    let stamps = lines(
        &excluded(),
        vec![
            item("切手", 3, 84, TaxRate::Free),
            item("ノート", 1, 215, TaxRate::Standard),
        ],
    );
    let b = r.paid(Some(&stamps), 0, at());
    let amount = of_amount(TaxRate::Reduced, 1080);
    let c = r.paid(Some(&amount), 0, at());
    let untaxed = r.paid(None, 500, at());
    // Rung up, never paid: counts nowhere.
    let e = r.showing(2000, Some(&of_amount(TaxRate::Standard, 2000)), at());
    r.l.apply(e.id, &Change::Expired, at()).unwrap();
    // Paid twice: the first code expired, the second was paid, and then
    // the first one's payment came in after all (both count, as paid).
    let twice = of_amount(TaxRate::Standard, 2200);
    let f1 = r.showing(2200, Some(&twice), at());
    r.l.apply(f1.id, &Change::Expired, at()).unwrap();
    let f2 =
        r.l.reserve_attempt(f1.sale_id, &OrderNo::new("S01R1-TWICE-2").unwrap(), at())
            .unwrap();
    r.pending(&f2, at());
    r.pay(&f2, at());
    r.pay(&f1, at());
    // A bag of coffee beans back; a refund elepay refused; one of a sale
    // whose rate was not recorded, still in progress.
    r.refund(
        &a,
        0,
        Some(&returned(&mixed, 0, 1)),
        RefundState::Refunded,
        at(),
    );
    let refused = refund_of_amount(&amount, 300);
    r.refund(&c, 0, Some(&refused), RefundState::Failed, at());
    // Refused, then confirmed by elepay after all: deducted again.
    let later = refund_of_amount(&amount, 100);
    let rr =
        r.l.request_refund(
            c.id,
            Amount::new(100).unwrap(),
            None,
            Some(&later),
            "R1",
            at(),
        )
        .unwrap();
    r.l.update_refund(rr.id, None, RefundState::Failed, at())
        .unwrap();
    r.l.update_refund(rr.id, Some("ref_after_all"), RefundState::Refunded, at())
        .unwrap();
    r.refund(&untaxed, 200, None, RefundState::Pending, at());
    // Paid after the close: late, in this shift.
    let late = r.showing(864, Some(&of_amount(TaxRate::Reduced, 864)), at());
    r.l.close_shift("R1", at()).unwrap();
    let second = r.l.open_shift("R1", "次の担当", at()).unwrap();
    r.pay(&late, at());
    // The notebook comes back in the next shift, which counts it.
    r.refund(
        &b,
        0,
        Some(&returned(&stamps, 1, 1)),
        RefundState::Refunded,
        at(),
    );
    r.paid(Some(&of_amount(TaxRate::Free, 300)), 0, at());
    r.l.close_shift("R1", at()).unwrap();
    (r, first, second, at())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_shift_by_rate_at_hq_is_the_registers_report() {
    let Some((hq, reg)) = hq_with_register().await else {
        return;
    };
    let (r, first, second, now) = two_shifts();
    let rows = r.rows();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    assert!(kinds.contains(&"sale.taxed") && kinds.contains(&"refund.taxed"));
    ship(&hq.db, reg, &rows, 7).await;

    for shift in [first, second] {
        same_as_the_register(&hq.db, &r, shift, now).await;
    }

    // What that means, spelled out for the first shift (now).
    let (_, f, since) = hq_z(&hq.db, first).await;
    let late = since.expect("the late payment since the close");
    assert_eq!(
        late.sales.reduced,
        RateAmount {
            gross: 864,
            tax: 64
        }
    );
    // Coffee beans 960 (87 tax) + notebook 215 + 22 (ceil) + twice 2,200.
    assert_eq!(
        f.sales.standard,
        RateAmount {
            gross: 960 + 237 + 4400,
            tax: 87 + 22 + 400
        }
    );
    assert_eq!(f.sales.free, RateAmount { gross: 252, tax: 0 });
    assert_eq!(f.sales.unrecorded, RateAmount { gross: 500, tax: 0 });
    // The refused refund left every rate (the one confirmed after all is
    // back in its rate); the untaxed one is not recorded.
    assert_eq!(f.refunds.reduced, RateAmount { gross: 100, tax: 7 });
    assert_eq!(
        f.refunds.standard,
        RateAmount {
            gross: 480,
            tax: 43
        }
    );
    assert_eq!(f.refunds.unrecorded, RateAmount { gross: 200, tax: 0 });
    assert_eq!((f.refunded, f.customers), (780, 7));
    let buckets: i64 = f.sales.buckets().iter().map(|b| b.2.gross).sum();
    assert_eq!(buckets, f.gross_sales);
    let (_, g, _) = hq_z(&hq.db, second).await;
    assert_eq!(g.refunds.standard.gross, 237);
    assert_eq!(g.net.free.gross, 300);
}

/// HQ's Z of `shift` by rate is the register's: at the close, since it,
/// and now (the close plus what came since).
async fn same_as_the_register(db: &Db, r: &Register, shift: ShiftId, now: i64) {
    let (at_close, since) = r.z(shift, now);
    let (hq_close, hq_now, hq_since) = hq_z(db, shift).await;
    assert_eq!(hq_close, at_close, "shift {shift} at the close");
    assert_eq!(hq_since, since, "shift {shift} since the close");
    let mut live = at_close;
    if let Some(d) = since {
        live = TaxFigures::assemble(
            add(&at_close.sales, &d.sales),
            add(&at_close.refunds, &d.refunds),
            easyqr_ledger::StateTotal {
                count: at_close.customers + d.customers,
                amount: at_close.gross_sales + d.gross_sales,
            },
            at_close.refunded + d.refunded,
        );
    }
    assert_eq!(hq_now, live, "shift {shift} now");
}

fn add(a: &easyqr_ledger::ByRate, b: &easyqr_ledger::ByRate) -> easyqr_ledger::ByRate {
    let mut o = *a;
    for (_, rate, x) in b.buckets() {
        o.add(rate, x);
    }
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_applied_twice_counts_once() {
    let Some((hq, reg)) = hq_with_register().await else {
        return;
    };
    let (r, first, second, now) = two_shifts();
    let mut c = hq.db.get().await.unwrap();
    let tx = c.transaction().await.unwrap();
    for row in r.rows() {
        for _ in 0..2 {
            easyqr_hq::projection::apply(&tx, reg, &row).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    for shift in [first, second] {
        same_as_the_register(&hq.db, &r, shift, now).await;
    }
}

/// HQ's schema before tax by rate, on a fresh database.
async fn hq_before_tax(db: &Db) {
    let c = db.get().await.unwrap();
    c.batch_execute(
        "CREATE TABLE schema_migrations (
             name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .unwrap();
    for (name, sql) in [
        ("0001_init", include_str!("../migrations/0001_init.sql")),
        (
            "0002_books_indexes",
            include_str!("../migrations/0002_books_indexes.sql"),
        ),
        (
            "0003_projection_error",
            include_str!("../migrations/0003_projection_error.sql"),
        ),
        // Today's ingest plays the old HQ's projection: it needs the
        // register columns of these later migrations, which do not touch
        // what 0004 upgrades.
        (
            "0005_ingest_guard",
            include_str!("../migrations/0005_ingest_guard.sql"),
        ),
        (
            "0007_stream_floor",
            include_str!("../migrations/0007_stream_floor.sql"),
        ),
    ] {
        c.batch_execute(sql).await.unwrap();
        c.execute("INSERT INTO schema_migrations (name) VALUES ($1)", &[&name])
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_hq_counts_what_it_held_as_rate_not_recorded() {
    let Some(url) = fresh_db().await else { return };
    let db = easyqr_hq::db::pool(&url, 2).unwrap();
    hq_before_tax(&db).await;
    easyqr_hq::enrol::add_store(&db, "loc_store1", "渋谷店")
        .await
        .unwrap();
    // Enrolled as that HQ did (today's `enrol` writes columns it lacks).
    let reg: i64 = db
        .get()
        .await
        .unwrap()
        .query_one(
            "INSERT INTO registers (store_id, register_id, token_hash)
             SELECT id, 'S01R1', '\\x00' FROM stores RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // A shift of a register that recorded no rate, projected by the old HQ.
    let r = Register::new();
    let first = r.l.current_shift("R1").unwrap().unwrap();
    let a = r.paid(None, 1200, T0 + 1000);
    let b = r.paid(None, 800, T0 + 2000);
    r.refund(&a, 300, None, RefundState::Failed, T0 + 3000);
    r.refund(&b, 100, None, RefundState::Pending, T0 + 4000);
    r.l.close_shift("R1", T0 + 5000).unwrap();
    let old = r.rows();
    ship(&db, reg, &old, 4).await;

    // The upgrade: what HQ held counts as the register counts it.
    // 0004 (tax by rate) and every later migration.
    assert!(easyqr_hq::db::migrate(&db).await.unwrap() >= 1);
    same_as_the_register(&db, &r, first, T0 + 6000).await;
    let (f, _, _) = hq_z(&db, first).await;
    assert_eq!(f.sales.unrecorded.gross, 2000);
    assert_eq!(f.refunds.unrecorded.gross, 100);

    // The next shift's sales are taxed, and count by rate.
    let second = r.l.open_shift("R1", "次の担当", T0 + 7000).unwrap();
    let mixed = lines(
        &included(),
        vec![
            item("コーヒー豆", 1, 480, TaxRate::Standard),
            item("サンドイッチ", 1, 398, TaxRate::Reduced),
        ],
    );
    r.paid(Some(&mixed), 0, T0 + 8000);
    r.refund(&b, 50, None, RefundState::Refunded, T0 + 9000);
    r.l.close_shift("R1", T0 + 10_000).unwrap();
    let all = r.rows();
    ship(&db, reg, &all[old.len()..], 3).await;
    same_as_the_register(&db, &r, second, T0 + 11_000).await;
    let (g, _, _) = hq_z(&db, second).await;
    assert_eq!(g.sales.reduced.gross, 398);
    assert_eq!(g.refunds.unrecorded.gross, 50);
}
