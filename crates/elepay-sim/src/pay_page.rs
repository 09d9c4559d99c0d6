//! The customer pay page behind `codeUrl` (`/pay/code/{codeId}`): plain
//! HTML forms, inline CSS, no scripts or external resources, so it works
//! on any phone browser on the shop's LAN.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use url::form_urlencoded;

use crate::control::Core;
use crate::dto::LOCATION_NAME;
use crate::errors::{ApiError, ErrorCode, Lang};
use crate::methods::{self, METHODS};

pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new().route("/pay/code/{codeId}", get(show).post(submit))
}

/// Escapes text for HTML element content and quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JPY as shown to customers: `¥1,280`.
pub(crate) fn yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}¥{grouped}")
}

/// Appends the documented return parameters to `frontUrl`, before any fragment.
pub(crate) fn front_url_with_result(front: &str, code_id: &str, charge_id: &str) -> String {
    let (base, fragment) = match front.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (front, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}status=captured&codeId={code_id}&chargeId={charge_id}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

const STYLE: &str = "body{margin:0;font-family:system-ui,-apple-system,'Hiragino Sans','Noto Sans JP',sans-serif;background:#f3f5f8;color:#1d2330}\
main{max-width:480px;margin:0 auto;padding:16px}\
header{text-align:center;margin:8px 0 16px}h1{font-size:1.3rem;margin:0}\
.en{display:block;font-size:.8rem;color:#667}\
.card{background:#fff;border-radius:14px;padding:16px;margin-bottom:14px;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
.amount{font-size:2.4rem;font-weight:700;text-align:center;margin:4px 0}\
dl{margin:0}dt{font-size:.85rem;color:#667;margin-top:8px}dd{margin:0;font-size:1rem;word-break:break-all}\
table{width:100%;border-collapse:collapse;font-size:.9rem}td{padding:4px 0;border-bottom:1px solid #eef}td.n{text-align:right}\
.methods{display:grid;grid-template-columns:1fr 1fr;gap:10px}\
button{width:100%;min-height:64px;font-size:1.05rem;font-weight:600;border:0;border-radius:12px;background:#1565c0;color:#fff;cursor:pointer}\
button small{display:block;font-size:.75rem;font-weight:400;opacity:.85}\
button.fail{background:#fff;color:#b3261e;border:2px solid #b3261e;margin-top:4px}\
.notice{padding:12px 14px;border-radius:10px;margin-bottom:14px;font-weight:600}\
.bad{background:#fdecea;color:#8c1d18}.good{background:#e6f4ea;color:#1e6b34}.info{background:#fff4e5;color:#7a4a00}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

fn ja_en(ja: &str, en: &str) -> String {
    format!("{}<span class=\"en\">{}</span>", esc(ja), esc(en))
}

enum Notice {
    Failed,
    Error(ErrorCode),
}

fn notice_html(n: &Notice) -> String {
    match n {
        Notice::Failed => format!(
            "<div class=\"notice bad\" role=\"alert\">{}</div>",
            ja_en(
                "決済に失敗しました。別の支払い方法を選択してください。",
                "Payment failed. Please choose another payment method."
            )
        ),
        Notice::Error(code) => format!(
            "<div class=\"notice bad\" role=\"alert\">{}</div>",
            ja_en(code.message(Lang::Ja), code.message(Lang::En))
        ),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn code_page(code: &Value, notice: Option<&Notice>) -> String {
    let amount = code.get("amount").and_then(Value::as_i64).unwrap_or(0);
    let status = str_of(code, "status").unwrap_or("closed");
    let expired = code
        .get("expired")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut b = String::new();
    let store = if code.get("locationId").is_some() {
        LOCATION_NAME
    } else {
        "elepay シミュレータ"
    };
    b.push_str(&format!(
        "<header><h1>{}</h1><span class=\"en\">elepay simulator checkout</span></header>",
        esc(store)
    ));
    if let Some(n) = notice {
        b.push_str(&notice_html(n));
    }
    b.push_str("<section class=\"card\">");
    b.push_str(&format!(
        "<div class=\"en\" style=\"text-align:center\">お支払い金額 / Amount</div><div class=\"amount\">{}</div><dl>",
        esc(&yen(amount))
    ));
    b.push_str(&format!(
        "<dt>注文番号 / Order No.</dt><dd>{}</dd>",
        esc(str_of(code, "orderNo").unwrap_or(""))
    ));
    if let Some(d) = str_of(code, "description") {
        b.push_str(&format!("<dt>内容 / Description</dt><dd>{}</dd>", esc(d)));
    }
    b.push_str("</dl>");
    if let Some(items) = code.get("items").and_then(Value::as_array) {
        b.push_str("<table>");
        for it in items {
            let price = it.get("price").and_then(Value::as_i64).unwrap_or(0);
            let count = it.get("count").and_then(Value::as_i64).unwrap_or(0);
            b.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{} × {}</td></tr>",
                esc(str_of(it, "name").unwrap_or("")),
                esc(&yen(price)),
                count
            ));
        }
        b.push_str("</table>");
    }
    b.push_str("</section>");

    let state_msg = match (status, expired) {
        ("pending", _) => None,
        (_, true) => Some((
            "このQRコードは有効期限が切れています。",
            "This code has expired.",
        )),
        ("captured", _) => Some((
            "このコードはお支払い済みです。",
            "This code has already been paid.",
        )),
        _ => Some((
            "このコードは取り消されました。",
            "This code has been cancelled.",
        )),
    };
    if let Some((ja, en)) = state_msg {
        b.push_str(&format!(
            "<div class=\"notice info\">{}</div>",
            ja_en(ja, en)
        ));
        return page("お支払い / Payment", &b);
    }

    let left_ms = code
        .get("expiryPeriod")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let secs = left_ms / 1000;
    b.push_str(&format!(
        "<p class=\"en\" style=\"text-align:center\">残り時間 {}分{:02}秒 / Time left {}:{:02}</p>",
        secs / 60,
        secs % 60,
        secs / 60,
        secs % 60
    ));
    b.push_str("<section class=\"card\"><div class=\"en\" style=\"margin-bottom:8px\">お支払い方法を選択 / Choose a payment method</div><form method=\"post\" class=\"methods\"><input type=\"hidden\" name=\"action\" value=\"pay\">");
    for m in METHODS {
        b.push_str(&format!(
            "<button type=\"submit\" name=\"paymentMethod\" value=\"{}\">{}<small>{} で支払う / Pay</small></button>",
            esc(m.id),
            esc(m.ja),
            esc(m.en)
        ));
    }
    b.push_str("</form></section>");
    b.push_str(
        "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"fail\">\
<button type=\"submit\" class=\"fail\">決済失敗をシミュレート<small>Simulate a failed payment</small></button></form>",
    );
    page("お支払い / Payment", &b)
}

fn complete_page(charge: &Value) -> String {
    let amount = charge.get("amount").and_then(Value::as_i64).unwrap_or(0);
    let method = str_of(charge, "paymentMethod")
        .and_then(methods::find)
        .map(|m| format!("{} / {}", m.ja, m.en))
        .unwrap_or_default();
    let body = format!(
        "<header><h1>お支払いが完了しました</h1><span class=\"en\">Payment complete</span></header>\
<div class=\"notice good\" role=\"status\">{}</div><section class=\"card\"><div class=\"amount\">{}</div><dl>\
<dt>支払い方法 / Method</dt><dd>{}</dd><dt>注文番号 / Order No.</dt><dd>{}</dd></dl></section>",
        ja_en("ご利用ありがとうございました。", "Thank you."),
        esc(&yen(amount)),
        esc(&method),
        esc(str_of(charge, "orderNo").unwrap_or(""))
    );
    page("お支払いが完了しました / Payment complete", &body)
}

fn not_found_page() -> Response {
    let body = format!(
        "<div class=\"notice bad\">{}</div>",
        ja_en("このコードは見つかりません。", "This code does not exist.")
    );
    html(StatusCode::NOT_FOUND, page("Not found", &body))
}

fn render(core: &Core, code_id: &str, notice: Option<&Notice>) -> Response {
    match core.code_for_page(code_id) {
        Ok(code) => html(StatusCode::OK, code_page(&code, notice)),
        Err(_) => not_found_page(),
    }
}

async fn show(State(core): State<Arc<Core>>, Path(code_id): Path<String>) -> Response {
    render(&core, &code_id, None)
}

async fn submit(
    State(core): State<Arc<Core>>,
    Path(code_id): Path<String>,
    body: Bytes,
) -> Response {
    let mut action = String::from("pay");
    let mut method = String::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "action" => action = v.into_owned(),
            "paymentMethod" => method = v.into_owned(),
            _ => {}
        }
    }
    if action == "fail" {
        return match core.fail(&code_id) {
            Ok(()) => render(&core, &code_id, Some(&Notice::Failed)),
            Err(e) => error_page(&core, &code_id, e),
        };
    }
    let charge = match core.pay(&code_id, &method) {
        Ok(c) => c,
        Err(e) => return error_page(&core, &code_id, e),
    };
    let front = core
        .code_for_page(&code_id)
        .ok()
        .and_then(|c| str_of(&c, "frontUrl").map(str::to_owned));
    let charge_id = str_of(&charge, "id").unwrap_or("");
    if let Some(front) = front {
        let target = front_url_with_result(&front, &code_id, charge_id);
        if let Ok(loc) = HeaderValue::from_str(&target) {
            let mut resp = StatusCode::SEE_OTHER.into_response();
            resp.headers_mut().insert(header::LOCATION, loc);
            return resp;
        }
    }
    html(StatusCode::OK, complete_page(&charge))
}

fn error_page(core: &Core, code_id: &str, e: ApiError) -> Response {
    if e.code == ErrorCode::M002003 {
        return not_found_page();
    }
    render(core, code_id, Some(&Notice::Error(e.code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_groups_thousands() {
        assert_eq!(yen(1280), "¥1,280");
        assert_eq!(yen(5), "¥5");
        assert_eq!(yen(1_000_000), "¥1,000,000");
        assert_eq!(yen(100), "¥100");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn return_url() {
        assert_eq!(
            front_url_with_result("https://s.example/done", "cod_1", "cha_2"),
            "https://s.example/done?status=captured&codeId=cod_1&chargeId=cha_2"
        );
        assert_eq!(
            front_url_with_result("https://s.example/d?o=1#top", "c", "h"),
            "https://s.example/d?o=1&status=captured&codeId=c&chargeId=h#top"
        );
    }
}
