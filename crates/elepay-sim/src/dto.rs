//! JSON shapes of the elepay API (CodeDto, ChargeDto, RefundDto, ...), built
//! independently of the client crate so a conformance test can check both
//! against the OpenAPI file. Absent optional fields are omitted, never `null`:
//! the schemas declare nothing nullable.

use serde_json::{json, Map, Value};

use crate::methods::METHODS;
use crate::store::{Charge, Code, CodeView, Refund};

/// Fixed application id of the simulated merchant app.
pub(crate) const APP_ID: &str = "app_sim_0001";
/// Store name reported for any `locationId`.
pub(crate) const LOCATION_NAME: &str = "シミュレータ店舗";

fn put<T: Into<Value>>(m: &mut Map<String, Value>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(key.to_owned(), v.into());
    }
}

pub(crate) fn refund_json(r: &Refund) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(r.id));
    m.insert("object".into(), json!("refund"));
    m.insert("chargeId".into(), json!(r.charge_id));
    m.insert("liveMode".into(), json!(r.live_mode));
    m.insert("amount".into(), json!(r.amount));
    m.insert("currency".into(), json!(r.currency));
    put(&mut m, "metadata", r.metadata.clone());
    put(&mut m, "reason", r.reason.clone());
    let status = if r.refunded_time.is_some() {
        "refunded"
    } else {
        "pending"
    };
    m.insert("status".into(), json!(status));
    put(&mut m, "refundedTime", r.refunded_time);
    m.insert("createTime".into(), json!(r.create_time));
    Value::Object(m)
}

pub(crate) fn charge_json(c: &Charge) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("appId".into(), json!(APP_ID));
    m.insert("object".into(), json!("charge"));
    m.insert("liveMode".into(), json!(c.live_mode));
    m.insert("amount".into(), json!(c.amount));
    m.insert("currency".into(), json!(c.currency));
    m.insert("authorize".into(), json!(false));
    m.insert("paymentMethod".into(), json!(c.payment_method));
    m.insert("resource".into(), json!("web"));
    m.insert("orderNo".into(), json!(c.order_no));
    put(&mut m, "description", c.description.clone());
    put(&mut m, "extra", c.extra.clone());
    put(&mut m, "metadata", c.metadata.clone());
    if c.payment_method == "creditcard" {
        m.insert(
            "cardInfo".into(),
            json!({"brand": "visa", "last4": "4242", "expMonth": 12, "expYear": 2030}),
        );
    }
    m.insert("voucherNo".into(), json!(c.voucher_no));
    m.insert("paid".into(), json!(true));
    m.insert("refunded".into(), json!(c.refunded_amount() > 0));
    m.insert("disputed".into(), json!(false));
    // The summary lists every refund, pending ones included, so an app sees
    // its own request immediately.
    m.insert(
        "refunds".into(),
        json!({
            "amount": c.requested_refund_amount(),
            "totalCount": c.refunds.len(),
            "data": c.refunds.iter().map(refund_json).collect::<Vec<_>>(),
        }),
    );
    m.insert("status".into(), json!(c.status()));
    m.insert("paidTime".into(), json!(c.paid_time));
    put(&mut m, "refundTime", c.refund_time());
    m.insert("createTime".into(), json!(c.create_time));
    if let Some(loc) = &c.location_id {
        // Not in OpenAPI 1.3.0's ChargeDto, but the live API carries it.
        m.insert(
            "location".into(),
            json!({"id": loc, "name": {"kanji": LOCATION_NAME}}),
        );
    }
    Value::Object(m)
}

pub(crate) fn charge_status_json(c: &Charge) -> Value {
    json!({"id": c.id, "appId": APP_ID, "liveMode": c.live_mode, "status": c.status()})
}

/// CodeDto as seen at sim time `now`.
pub(crate) fn code_json(code: &Code, charge: Option<&Charge>, now: i64) -> Value {
    let view = code.view(now);
    let (status, expired, period) = match view {
        CodeView::Pending => ("pending", false, (code.expiry_time - now).max(0)),
        CodeView::Expired => ("closed", true, 0),
        CodeView::Captured => ("captured", false, 0),
        CodeView::Closed => ("closed", false, 0),
    };
    let s = &code.spec;
    let mut m = Map::new();
    m.insert("id".into(), json!(code.id));
    m.insert("object".into(), json!("code"));
    m.insert("liveMode".into(), json!(code.live_mode));
    m.insert("codeUrl".into(), json!(code.code_url));
    m.insert("amount".into(), json!(s.amount));
    m.insert("currency".into(), json!(s.currency));
    m.insert("orderNo".into(), json!(s.order_no));
    put(&mut m, "description", s.description.clone());
    put(&mut m, "extra", s.extra.clone());
    put(&mut m, "metadata", s.metadata.clone());
    m.insert("status".into(), json!(status));
    put(&mut m, "charge", charge.map(charge_json));
    put(&mut m, "frontUrl", s.front_url.clone());
    put(&mut m, "items", s.items.clone());
    put(&mut m, "locationId", s.location_id.clone());
    m.insert("expired".into(), json!(expired));
    m.insert("expiryTime".into(), json!(code.expiry_time));
    m.insert("expiryPeriod".into(), json!(period));
    m.insert("createTime".into(), json!(code.create_time));
    Value::Object(m)
}

/// CodePaymentMethodResponse for the simulated app.
pub(crate) fn payment_methods_json() -> Value {
    let list: Vec<Value> = METHODS
        .iter()
        .map(|pm| {
            let mut m = Map::new();
            m.insert("paymentMethod".into(), json!(pm.id));
            m.insert("resources".into(), json!(["web"]));
            if pm.id == "creditcard" {
                m.insert(
                    "brand".into(),
                    json!(["visa", "mastercard", "jcb", "amex", "diners"]),
                );
            }
            m.insert(
                "channelProperties".into(),
                json!({
                    "isSupportRefund": true,
                    "isSupportPartialRefund": true,
                    "isSupportMultipleRefund": true,
                    "isSupportSource": false,
                    "isSupportMultipleSource": false,
                    "minAmount": 1,
                    "maxAmount": pm.max_amount,
                    "resourceWebEnv": "all",
                }),
            );
            Value::Object(m)
        })
        .collect();
    json!({"total": list.len(), "paymentMethods": list})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::validate;

    fn no_nulls(v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::Array(a) => a.iter().all(no_nulls),
            Value::Object(o) => o.values().all(no_nulls),
            _ => true,
        }
    }

    #[test]
    fn code_json_recomputes_expiry() {
        let mut s = Store::default();
        let spec = validate::new_code(br#"{"amount":1280,"orderNo":"X","expiryDuration":3}"#)
            .expect("valid");
        let code = s
            .create_code(spec, false, 1_000, "http://h:1/")
            .expect("code")
            .clone();
        let v = code_json(&code, None, 61_000);
        assert_eq!(v["codeUrl"], format!("http://h:1/pay/code/{}", code.id));
        assert_eq!(
            (v["status"].clone(), v["expiryPeriod"].clone()),
            (json!("pending"), json!(120_000))
        );
        assert_eq!(v["expiryTime"], 181_000);
        assert!(v.get("metadata").is_none() && v.get("charge").is_none());
        let v = code_json(&code, None, 181_000);
        assert_eq!(
            (
                v["status"].clone(),
                v["expired"].clone(),
                v["expiryPeriod"].clone()
            ),
            (json!("closed"), json!(true), json!(0))
        );
        assert!(no_nulls(&v));
    }

    #[test]
    fn charge_json_has_location_and_card() {
        let mut s = Store::default();
        let spec = validate::new_code(
            br#"{"amount":500,"orderNo":"L","locationId":"loc_1","metadata":{"k":"v"}}"#,
        )
        .expect("valid");
        let id = s
            .create_code(spec, true, 0, "http://h")
            .expect("code")
            .id
            .clone();
        let c = s.pay(&id, "creditcard", 5).expect("pay").clone();
        let v = charge_json(&c);
        assert_eq!(v["location"]["id"], "loc_1");
        assert_eq!(v["cardInfo"]["last4"], "4242");
        assert_eq!(v["metadata"]["k"], "v");
        assert_eq!(v["liveMode"], true);
        assert_eq!(v["refunds"], json!({"amount":0,"totalCount":0,"data":[]}));
        assert!(v.get("refundTime").is_none());
        assert!(no_nulls(&v));
        assert_eq!(payment_methods_json()["total"], 8);
    }
}
