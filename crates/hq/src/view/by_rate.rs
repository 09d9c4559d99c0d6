//! The figures by tax rate (税率別): per store and for the brand (a day),
//! and on a Z report (at the close, now, since the close). They draw what
//! `crate::books` assembled by the ledger's rule; nothing is computed here.

use std::fmt::Write as _;

use easyqr_ledger::{RateAmount, TaxFigures};
use easyqr_tax::TaxRate;

use super::html::{esc, yen};
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

/// One row of the day table: what it is (already escaped), its store's
/// `locationId` (`None`: the brand) and its figures.
#[derive(Debug)]
pub struct DayRow<'a> {
    pub name: String,
    pub location: Option<&'a str>,
    pub figures: &'a TaxFigures,
}

/// A day's sales and tax by rate, one row per store (and the brand).
pub fn day_table(l: Lang, rows: &[DayRow<'_>]) -> String {
    let mut o = format!(
        "<table class=\"by-rate\"><tr><th rowspan=\"2\">{}</th>",
        l.t("store")
    );
    for (_, _, word) in BUCKETS {
        let _ = write!(o, "<th colspan=\"2\" class=\"rate\">{}</th>", l.t(word));
    }
    for (_, word, _, _) in headline(&TaxFigures::default()) {
        let _ = write!(o, "<th rowspan=\"2\" class=\"num\">{}</th>", l.t(word));
    }
    o.push_str("</tr><tr>");
    for _ in BUCKETS {
        let _ = write!(
            o,
            "<th class=\"num\">{}</th><th class=\"num\">{}</th>",
            l.t("sales"),
            l.t("tax")
        );
    }
    o.push_str("</tr>");
    for r in rows {
        let _ = match r.location {
            Some(loc) => write!(o, "<tr data-location=\"{}\">", esc(loc)),
            None => write!(o, "<tr class=\"brand\" data-brand=\"1\">"),
        };
        let _ = write!(o, "<th>{}</th>", r.name);
        for (key, rate, _) in BUCKETS {
            let a = r.figures.sales.get(rate);
            let _ = write!(
                o,
                "<td class=\"num\" data-k=\"{key}-sales\" data-v=\"{}\">{}</td>\
                 <td class=\"num\" data-k=\"{key}-tax\" data-v=\"{}\">{}</td>",
                a.gross,
                yen(a.gross),
                a.tax,
                tax_cell(rate, a)
            );
        }
        for (key, _, v, money) in headline(r.figures) {
            let shown = if money { yen(v) } else { v.to_string() };
            let _ = write!(
                o,
                "<td class=\"num\" data-k=\"{key}\" data-v=\"{v}\">{shown}</td>"
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>");
    o
}

/// A Z report's sales and tax by rate: at the close, now, since the close.
pub fn z_table(
    l: Lang,
    at_close: Option<&TaxFigures>,
    now: &TaxFigures,
    since: Option<&TaxFigures>,
) -> String {
    let mut o = format!(
        "<table class=\"by-rate-z\"><tr><th colspan=\"2\"></th><th class=\"num\">{}</th>\
         <th class=\"num\">{}</th><th class=\"num\">{}</th></tr>",
        l.t("at_close"),
        l.t("now"),
        l.t("since_close")
    );
    let cell = |col: &str, v: Option<(i64, String)>| match v {
        Some((raw, shown)) => {
            // Since the close is a change: "+¥777", never a second total.
            let sign = if col == "since-close" && raw > 0 {
                "+"
            } else {
                ""
            };
            format!("<td class=\"num\" data-col=\"{col}\" data-v=\"{raw}\">{sign}{shown}</td>")
        }
        None => format!("<td class=\"num\" data-col=\"{col}\"></td>"),
    };
    let row =
        |o: &mut String, head: String, key: String, get: &dyn Fn(&TaxFigures) -> (i64, String)| {
            let _ = write!(
                o,
                "<tr data-k=\"{key}\">{head}{}{}{}</tr>",
                cell("at-close", at_close.map(get)),
                cell("now", Some(get(now))),
                cell("since-close", since.map(get)),
            );
        };
    for (key, rate, word) in BUCKETS {
        row(
            &mut o,
            format!(
                "<th rowspan=\"2\">{}</th><th>{}</th>",
                l.t(word),
                l.t("sales")
            ),
            format!("{key}-sales"),
            &|f| {
                let a = f.sales.get(rate);
                (a.gross, yen(a.gross))
            },
        );
        row(
            &mut o,
            format!("<th>{}</th>", l.t("tax")),
            format!("{key}-tax"),
            &|f| {
                let a = f.sales.get(rate);
                (a.tax, tax_cell(rate, a))
            },
        );
    }
    for (i, (key, word, _, money)) in headline(now).into_iter().enumerate() {
        row(
            &mut o,
            format!("<th colspan=\"2\">{}</th>", l.t(word)),
            key.to_owned(),
            &|f| {
                let v = headline(f)[i].2;
                (v, if money { yen(v) } else { v.to_string() })
            },
        );
    }
    o.push_str("</table>");
    o
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
                name: "渋谷店".into(),
                location: Some("loc_a\"x"),
                figures: &f,
            },
            DayRow {
                name: "合計".into(),
                location: None,
                figures: &f,
            },
        ];
        let html = day_table(Lang::Ja, &rows);
        for want in [
            "税率不明/記録なし",
            "0%（非課税）",
            "消費税額",
            "客単価",
            "data-location=\"loc_a&quot;x\"",
            "data-k=\"standard-tax\" data-v=\"100\">¥100<",
            "data-k=\"unrecorded-tax\" data-v=\"0\">—<",
            "data-k=\"customers\" data-v=\"4\">4<",
            "data-k=\"average-sale\" data-v=\"556\">¥556<",
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
        assert!(day_table(Lang::En, &rows).contains("Rate not recorded"));
    }

    #[test]
    fn the_z_table_has_a_column_since_the_close_only_when_something_changed() {
        let f = figures();
        let html = z_table(Lang::En, Some(&f), &f, None);
        assert!(html.contains(
            "<tr data-k=\"reduced-sales\"><th rowspan=\"2\">8% (reduced)</th><th>Sales</th>\
             <td class=\"num\" data-col=\"at-close\" data-v=\"540\">¥540</td>\
             <td class=\"num\" data-col=\"now\" data-v=\"540\">¥540</td>\
             <td class=\"num\" data-col=\"since-close\"></td></tr>"
        ));
        let since = f.since(&TaxFigures::default());
        let html = z_table(Lang::Ja, None, &f, Some(&since));
        assert!(
            html.contains("data-col=\"since-close\" data-v=\"1100\""),
            "{html}"
        );
    }
}
