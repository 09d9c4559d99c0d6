//! The pages' frame, and money and time as the pages show them. Pages are
//! maud templates: every value is escaped unless marked otherwise.

use maud::{html, Markup, DOCTYPE};

use super::Lang;

pub const CSS: &str = r#"
:root{--ink:#1d232b;--muted:#5c6773;--line:#d9dee3;--bg:#f5f7f9;--ok:#1f7a3a;--bad:#b3261e;--warn:#9a6700}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 "Noto Sans CJK JP","Hiragino Sans",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;align-items:center;gap:1.5rem;padding:.75rem 1.5rem;background:#18324a;color:#fff}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;font-size:1.1rem}header nav{display:flex;gap:1rem;flex:1}
header .lang a{opacity:.7;margin-left:.5rem}header .lang a.on{opacity:1;font-weight:700}
main{max-width:1200px;margin:0 auto;padding:1.25rem 1.5rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1rem}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1rem}
.card .big{font-size:1.8rem;font-weight:700;line-height:1.2}.card .card-title{margin-bottom:.35rem}
.card dl.figs{display:grid;grid-template-columns:auto 1fr;gap:.15rem .8rem;margin:.6rem 0 0;font-size:.9rem}
.card dl.figs dt{color:var(--muted)}.card dl.figs dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
.term{text-decoration:underline dotted var(--muted);text-underline-offset:3px;cursor:help}
.banner{border-radius:10px;padding:.8rem 1rem;margin:0 0 1rem}.banner.warn{background:#fff4d6;border:1px solid #e8c860;color:#5c3d00}
.banner ul{margin:.35rem 0;padding-left:1.2rem}.banner .amount{font-variant-numeric:tabular-nums}
section.legend{margin-top:2rem;font-size:.9rem}section.legend dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;background:#fff;border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:0}
section.legend dt{font-weight:600}section.legend dd{margin:0;color:var(--muted)}.muted{color:var(--muted)}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:8px;overflow:hidden}
table.registers{table-layout:fixed}table.registers th:nth-child(1){width:14%}table.registers th:nth-child(2){width:20%}table.registers th:nth-child(3){width:20%}table.registers th:nth-child(5){width:10%}
th,td{padding:.45rem .7rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600;font-size:.85rem}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pill{display:inline-block;padding:.05rem .55rem;border-radius:99px;font-size:.8rem;font-weight:600}
.pill.ok{background:#dff3e4;color:var(--ok)}.pill.off{background:#eceff1;color:var(--muted)}.pill.bad{background:#fbe3e1;color:var(--bad)}.pill.warn{background:#fff4d6;color:var(--warn)}
a.button,button{display:inline-block;background:#18324a;color:#fff;border:0;border-radius:6px;padding:.45rem .9rem;text-decoration:none;font:inherit;cursor:pointer}
form.login{max-width:360px;margin:4rem auto;background:#fff;border:1px solid var(--line);border-radius:10px;padding:1.5rem}
form.login input{width:100%;padding:.5rem;font:inherit;margin:.25rem 0 1rem;border:1px solid var(--line);border-radius:6px}
.error{color:var(--bad)}
header form.logout{display:flex;align-items:center;gap:.6rem;margin:0}header form.logout button{background:#2e4d69;padding:.25rem .7rem;font-size:.85rem}
table.by-rate{font-size:.85rem}table.by-rate th.rate{text-align:center}table.by-rate tr.brand th,table.by-rate tr.brand td{font-weight:700;background:#f7f9fb}
"#;

/// `¥1,280`, `-¥300`.
pub fn yen(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}¥{grouped}", if v < 0 { "-" } else { "" })
}

/// A change: `+¥777`, `-¥300`, `¥0`.
pub fn signed_yen(v: i64) -> String {
    if v > 0 {
        format!("+{}", yen(v))
    } else {
        yen(v)
    }
}

/// A register's Unix ms as Japan time.
pub fn time(ms: i64) -> String {
    easyqr_ledger::local_time(ms, crate::projection::UTC_OFFSET_MINUTES)
}

/// Path segments in links.
pub fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Who the page is for: the header's links and the logout form.
#[derive(Debug)]
pub struct Nav<'a> {
    pub user: &'a str,
    /// Brand users also see events for unknown stores and the audit trail.
    pub brand: bool,
    pub csrf: &'a str,
}

/// The page frame around `body`; without `nav` (the login page, an error
/// page) the header holds only the language switch.
pub fn page(l: Lang, nav: Option<&Nav<'_>>, title: &str, body: Markup) -> Markup {
    let on = |x: Lang| (x == l).then_some("on");
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " — EasyQR " (l.t("title")) }
                link rel="stylesheet" href="/hq.css";
            }
            body {
                header {
                    a.brand href="/" { "EasyQR " (l.t("title")) }
                    nav {
                        @if let Some(n) = nav {
                            a href="/" { (l.t("stores")) }
                            @if n.brand {
                                a href="/events/unknown" { (l.t("unknown_events")) }
                                a href="/audit" { (l.t("audit")) }
                            }
                            a href="/export/z.csv" { (l.t("csv")) }
                        }
                    }
                    span.lang {
                        a href="/lang/ja" class=[on(Lang::Ja)] { "日本語" }
                        a href="/lang/en" class=[on(Lang::En)] { "English" }
                    }
                    @if let Some(n) = nav {
                        form.logout method="post" action="/logout" {
                            span #signed-in { (n.user) }
                            input type="hidden" name="csrf" value=(n.csrf);
                            button type="submit" #sign-out { (l.t("logout")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_renders_as_yen_and_text_is_escaped() {
        assert_eq!(yen(0), "¥0");
        assert_eq!(yen(1280), "¥1,280");
        assert_eq!(yen(-1_234_567), "-¥1,234,567");
        assert_eq!(signed_yen(777), "+¥777");
        assert_eq!(signed_yen(-300), "-¥300");
        assert_eq!(seg("S01 R/1"), "S01+R%2F1");
        let nav = Nav {
            user: "<b>\"x\"&",
            brand: false,
            csrf: "t\"k",
        };
        let p = page(Lang::En, Some(&nav), "<i>", html! { p { "a<b" } }).into_string();
        assert!(
            p.contains("<span id=\"signed-in\">&lt;b&gt;&quot;x&quot;&amp;</span>"),
            "{p}"
        );
        assert!(p.contains("value=\"t&quot;k\""), "{p}");
        assert!(
            p.contains("<title>&lt;i&gt; — EasyQR Head office</title>"),
            "{p}"
        );
        assert!(p.contains("<main><p>a&lt;b</p></main>"), "{p}");
        assert!(
            p.contains("<a href=\"/lang/en\" class=\"on\">English</a>"),
            "{p}"
        );
        assert!(!p.contains("/audit"), "{p}");
    }
}
