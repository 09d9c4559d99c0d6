//! The figures by tax rate (税率別): per store and for the brand (a day),
//! and on a Z report (at the close, now, since the close). They draw what
//! `crate::books` assembled by the ledger's rule; nothing is computed here.

use easyqr_ledger::{RateAmount, TaxFigures};
use easyqr_tax::TaxRate;
use maud::{html, Markup};

use super::html::yen;
use super::Lang;

/// The report's buckets in order: (key, rate (`None`: not recorded), word).
const BUCKETS: [(&str, Option<TaxRate>, &str); 4] = [
    ("standard", Some(TaxRate::Standard), "rate_standard"),
    ("reduced", Some(TaxRate::Reduced), "rate_reduced"),
    ("free", Some(TaxRate::Free), "rate_free"),
    ("unrecorded", None, "rate_unrecorded"),
];

/// The tax of a bucket: unknown ("—") where the rate was not recorded.
fn tax_cell(rate: Option<TaxRate>, a: RateAmount) -> String {
    match rate {
        Some(_) => yen(a.tax),
        None => "—".into(),
    }
}

/// The headline figures: (key, word, value, is money).
fn headline(f: &TaxFigures) -> [(&'static str, &'static str, i64, bool); 5] {
    [
        ("gross-sales", "gross_sales", f.gross_sales, true),
        ("refunded", "refunds", f.refunded, true),
        ("net-sales", "net_sales", f.net_sales, true),
        ("customers", "customers", f.customers, false),
        ("average-sale", "average_sale", f.average_sale, true),
    ]
}

/// One row of the day table: what it is, its store's `locationId`
/// (`None`: the brand) and its figures.
#[derive(Debug)]
pub struct DayRow<'a> {
    pub name: &'a str,
    pub location: Option<&'a str>,
    pub figures: &'a TaxFigures,
}

/// A day's sales and tax by rate, one row per store (and the brand).
pub fn day_table(l: Lang, rows: &[DayRow<'_>]) -> Markup {
    html! {
        table.by-rate {
            tr {
                th rowspan="2" { (l.t("store")) }
                @for (_, _, word) in BUCKETS {
                    th colspan="2" class="rate" { (l.t(word)) }
                }
                @for (_, word, _, _) in headline(&TaxFigures::default()) {
                    th rowspan="2" class="num" { (l.t(word)) }
                }
            }
            tr {
                @for _ in BUCKETS {
                    th.num { (l.t("sales")) }
                    th.num { (l.t("tax")) }
                }
            }
            @for r in rows {
                @let cells = html! {
                    th { (r.name) }
                    @for (key, rate, _) in BUCKETS {
                        @let a = r.figures.sales.get(rate);
                        td.num data-k={ (key) "-sales" } data-v=(a.gross) { (yen(a.gross)) }
                        td.num data-k={ (key) "-tax" } data-v=(a.tax) { (tax_cell(rate, a)) }
                    }
                    @for (key, _, v, money) in headline(r.figures) {
                        td.num data-k=(key) data-v=(v) {
                            @if money { (yen(v)) } @else { (v) }
                        }
                    }
                };
                @match r.location {
                    Some(loc) => tr data-location=(loc) { (cells) },
                    None => tr.brand data-brand="1" { (cells) },
                }
            }
        }
    }
}

/// A cell of the Z table: `col` names its column; since the close is a
/// change ("+¥777"), never a second total.
fn z_cell(col: &str, v: Option<(i64, String)>) -> Markup {
    html! {
        @match v {
            Some((raw, shown)) => td.num data-col=(col) data-v=(raw) {
                @if col == "since-close" && raw > 0 { "+" }
                (shown)
            },
            None => td.num data-col=(col) {},
        }
    }
}

/// A Z report's sales and tax by rate: at the close, now, since the close.
pub fn z_table(
    l: Lang,
    at_close: Option<&TaxFigures>,
    now: &TaxFigures,
    since: Option<&TaxFigures>,
) -> Markup {
    let row = |head: Markup, key: String, get: &dyn Fn(&TaxFigures) -> (i64, String)| {
        html! {
            tr data-k=(key) {
                (head)
                (z_cell("at-close", at_close.map(get)))
                (z_cell("now", Some(get(now))))
                (z_cell("since-close", since.map(get)))
            }
        }
    };
    html! {
        table.by-rate-z {
            tr {
                th colspan="2" {}
                th.num { (l.t("at_close")) }
                th.num { (l.t("now")) }
                th.num { (l.t("since_close")) }
            }
            @for (key, rate, word) in BUCKETS {
                (row(
                    html! { th rowspan="2" { (l.t(word)) } th { (l.t("sales")) } },
                    format!("{key}-sales"),
                    &|f| {
                        let a = f.sales.get(rate);
                        (a.gross, yen(a.gross))
                    },
                ))
                (row(
                    html! { th { (l.t("tax")) } },
                    format!("{key}-tax"),
                    &|f| {
                        let a = f.sales.get(rate);
                        (a.tax, tax_cell(rate, a))
                    },
                ))
            }
            @for (i, (key, word, _, money)) in headline(now).into_iter().enumerate() {
                (row(
                    html! { th colspan="2" { (l.t(word)) } },
                    key.to_owned(),
                    &|f| {
                        let v = headline(f)[i].2;
                        (v, if money { yen(v) } else { v.to_string() })
                    },
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easyqr_ledger::{ByRate, StateTotal};

    fn figures() -> TaxFigures {
        let sales = ByRate {
            standard: RateAmount {
                gross: 1100,
                tax: 100,
            },
            reduced: RateAmount {
                gross: 540,
                tax: 40,
            },
            free: RateAmount { gross: 84, tax: 0 },
            unrecorded: RateAmount { gross: 500, tax: 0 },
        };
        let paid = StateTotal {
            count: 4,
            amount: 2224,
        };
        TaxFigures::assemble(sales, ByRate::default(), paid, 0)
    }

    #[test]
    fn the_day_table_shows_each_rate_and_the_headline_figures() {
        let f = figures();
        let rows = [
            DayRow {
                name: "渋谷店<b>",
                location: Some("loc_a\"x"),
                figures: &f,
            },
            DayRow {
                name: "合計",
                location: None,
                figures: &f,
            },
        ];
        let html = day_table(Lang::Ja, &rows).into_string();
        for want in [
            "税率不明/記録なし",
            "0%（非課税）",
            "消費税額",
            "客単価",
            "<tr data-location=\"loc_a&quot;x\"><th>渋谷店&lt;b&gt;</th>",
            "<tr class=\"brand\" data-brand=\"1\"><th>合計</th>",
            "data-k=\"standard-tax\" data-v=\"100\">¥100<",
            "data-k=\"unrecorded-tax\" data-v=\"0\">—<",
            "data-k=\"customers\" data-v=\"4\">4<",
            "data-k=\"average-sale\" data-v=\"556\">¥556<",
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
        assert!(day_table(Lang::En, &rows)
            .into_string()
            .contains("Rate not recorded"));
    }

    #[test]
    fn the_z_table_has_a_column_since_the_close_only_when_something_changed() {
        let f = figures();
        let html = z_table(Lang::En, Some(&f), &f, None).into_string();
        assert!(html.contains(
            "<tr data-k=\"reduced-sales\"><th rowspan=\"2\">8% (reduced)</th><th>Sales</th>\
             <td class=\"num\" data-col=\"at-close\" data-v=\"540\">¥540</td>\
             <td class=\"num\" data-col=\"now\" data-v=\"540\">¥540</td>\
             <td class=\"num\" data-col=\"since-close\"></td></tr>"
        ));
        let since = f.since(&TaxFigures::default());
        let html = z_table(Lang::Ja, None, &f, Some(&since)).into_string();
        assert!(
            html.contains("data-col=\"since-close\" data-v=\"1100\""),
            "{html}"
        );
    }
}
