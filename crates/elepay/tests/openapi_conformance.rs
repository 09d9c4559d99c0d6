//! Every simulator response the client relies on validates against elepay's
//! published OpenAPI 1.3.0 schemas, so any client generated from that file
//! (elepay's official SDKs are) works against the simulator. The client's own
//! request bodies validate against the request schemas too.
//!
//! Stricter than the file: objects may not carry properties the schema does
//! not list (catches misspelt field names), with one documented exception:
//! the live API's `location` object on charges.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use easyqr_test_harness::client::*;
use serde_json::{json, Value};

const SPEC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/elepay/openapi-1.3.0.en.yaml"
));

struct Spec {
    doc: Value,
    components: Value,
}

fn tighten(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            for child in o.values_mut() {
                tighten(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(tighten),
        _ => {}
    }
}

impl Spec {
    fn load() -> Spec {
        let doc: Value = serde_yaml_ng::from_str(SPEC).unwrap();
        let mut components = doc["components"].clone();
        tighten(&mut components);
        // Live-API extension documented in FACTS.md §2.5 (OAS-SMCC).
        components["schemas"]["ChargeDto"]["properties"]["location"] = json!({ "type": "object" });
        Spec { doc, components }
    }

    /// The response schema the spec declares for `operation_id` and `status`.
    fn response_schema(&self, operation_id: &str, status: u16) -> Value {
        for item in self.doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if op["operationId"] == operation_id {
                    let content = &op["responses"][status.to_string()]["content"];
                    let (_, media) = content.as_object().unwrap().iter().next().unwrap();
                    return media["schema"].clone();
                }
            }
        }
        panic!("no operation {operation_id}");
    }

    fn request_schema(&self, operation_id: &str) -> Value {
        for item in self.doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if op["operationId"] == operation_id {
                    return op["requestBody"]["content"]["application/json"]["schema"].clone();
                }
            }
        }
        panic!("no operation {operation_id}");
    }

    fn check(&self, what: &str, schema: Value, instance: &Value) {
        let root = json!({ "components": self.components, "allOf": [schema] });
        let validator = jsonschema::draft7::new(&root).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not match the OpenAPI schema:\n{}\n{instance:#}",
            errors.join("\n")
        );
    }
}

struct Raw<'a> {
    sim: &'a Sim,
    http: reqwest::Client,
}

impl Raw<'_> {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, self.sim.base.join(path).unwrap())
            .bearer_auth(KEY);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        if status != 204 {
            let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(
                ct.starts_with("application/json"),
                "{path}: content-type {ct}"
            );
        }
        let bytes = resp.bytes().await.unwrap();
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, v)
    }
}

#[tokio::test]
async fn simulator_responses_match_the_openapi_schemas() {
    use reqwest::Method;
    let spec = Spec::load();
    let sim = sim().await;
    let raw = Raw {
        sim: &sim,
        http: reqwest::Client::new(),
    };

    // createCode 201, with every optional field a POS might send.
    let req = json!({
        "amount": 1280, "currency": "JPY", "orderNo": "CONF-1", "description": "コーヒー",
        "metadata": { "register": "R1" }, "extra": { "defaultPaymentMethod": "paypay" },
        "expiryDuration": 10, "frontUrl": "https://shop.example.jp/thanks?o=CONF-1",
        "items": [{ "name": "コーヒー", "price": 640, "count": 2, "image": "https://shop.example.jp/c.png" }],
        "locationId": "loc_conf"
    });
    spec.check("CodeReq sample", spec.request_schema("createCode"), &req);
    let (s, code) = raw.call(Method::POST, "/codes", Some(req)).await;
    assert_eq!(s, 201, "{code}");
    spec.check(
        "createCode 201",
        spec.response_schema("createCode", 201),
        &code,
    );
    for field in [
        "id",
        "object",
        "liveMode",
        "codeUrl",
        "amount",
        "currency",
        "orderNo",
        "status",
        "expired",
        "expiryTime",
        "expiryPeriod",
        "createTime",
    ] {
        assert!(
            code.get(field).is_some(),
            "createCode lacks {field}: {code}"
        );
    }
    let id = code["id"].as_str().unwrap().to_owned();
    assert!(id.len() <= 32);

    // retrieveCode 200: pending, then captured with its charge.
    let (s, pending) = raw.call(Method::GET, &format!("/codes/{id}"), None).await;
    assert_eq!(s, 200);
    spec.check(
        "retrieveCode pending",
        spec.response_schema("retrieveCode", 200),
        &pending,
    );
    sim.pay(&id, "creditcard").await;
    let (_, captured) = raw.call(Method::GET, &format!("/codes/{id}"), None).await;
    spec.check(
        "retrieveCode captured",
        spec.response_schema("retrieveCode", 200),
        &captured,
    );
    assert_eq!(captured["status"], "captured");
    let charge_id = captured["charge"]["id"].as_str().unwrap().to_owned();

    // closeCode 204 (no body), then the closed and the expired shapes.
    let (_, other) = raw
        .call(
            Method::POST,
            "/codes",
            Some(json!({ "amount": 1, "orderNo": "CONF-2", "expiryDuration": 3 })),
        )
        .await;
    let other_id = other["id"].as_str().unwrap().to_owned();
    let (s, body) = raw
        .call(Method::DELETE, &format!("/codes/{other_id}"), None)
        .await;
    assert_eq!((s, body), (204, Value::Null));
    let (_, closed) = raw
        .call(Method::GET, &format!("/codes/{other_id}"), None)
        .await;
    spec.check(
        "retrieveCode closed",
        spec.response_schema("retrieveCode", 200),
        &closed,
    );
    let (_, third) = raw
        .call(
            Method::POST,
            "/codes",
            Some(json!({ "amount": 1, "orderNo": "CONF-3", "expiryDuration": 3 })),
        )
        .await;
    sim.advance(4 * 60_000).await;
    let (_, expired) = raw
        .call(
            Method::GET,
            &format!("/codes/{}", third["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(expired["expired"], true);
    spec.check(
        "retrieveCode expired",
        spec.response_schema("retrieveCode", 200),
        &expired,
    );

    // Charges.
    let (s, charge) = raw
        .call(Method::GET, &format!("/charges/{charge_id}"), None)
        .await;
    assert_eq!(s, 200);
    spec.check(
        "retrieveCharge",
        spec.response_schema("retrieveCharge", 200),
        &charge,
    );
    let (_, status) = raw
        .call(Method::GET, &format!("/charges/{charge_id}/status"), None)
        .await;
    spec.check(
        "retrieveChargeStatus",
        spec.response_schema("retrieveChargeStatus", 200),
        &status,
    );
    let (_, list) = raw
        .call(Method::GET, "/charges?limit=10&offset=0&paymentMethod=creditcard&paymentMethod=paypay&order=asc&dateField=paid_time", None)
        .await;
    spec.check(
        "listCharges",
        spec.response_schema("listCharges", 200),
        &list,
    );
    assert_eq!(list["total"], 1);

    // Refunds, pending and completed.
    let refund_req = json!({ "amount": 280, "reason": "返品", "metadata": { "by": "lead" } });
    spec.check(
        "RefundReq sample",
        spec.request_schema("createRefund"),
        &refund_req,
    );
    let (s, refund) = raw
        .call(
            Method::POST,
            &format!("/charges/{charge_id}/refunds"),
            Some(refund_req),
        )
        .await;
    assert_eq!(s, 201, "{refund}");
    spec.check(
        "createRefund 201",
        spec.response_schema("createRefund", 201),
        &refund,
    );
    sim.advance(60_000).await;
    let rid = refund["id"].as_str().unwrap();
    let (_, done) = raw
        .call(
            Method::GET,
            &format!("/charges/{charge_id}/refunds/{rid}"),
            None,
        )
        .await;
    spec.check(
        "retrieveChargeRefund",
        spec.response_schema("retrieveChargeRefund", 200),
        &done,
    );
    let (_, refunds) = raw
        .call(Method::GET, &format!("/charges/{charge_id}/refunds"), None)
        .await;
    spec.check(
        "listChargesRefunds",
        spec.response_schema("listChargesRefunds", 200),
        &refunds,
    );
    let (_, refunded_charge) = raw
        .call(Method::GET, &format!("/charges/{charge_id}"), None)
        .await;
    spec.check(
        "retrieveCharge refunded",
        spec.response_schema("retrieveCharge", 200),
        &refunded_charge,
    );

    // Payment methods.
    let (_, pm) = raw
        .call(Method::GET, "/code-setting/payment-methods", None)
        .await;
    spec.check(
        "listCodePaymentMethods",
        spec.response_schema("listCodePaymentMethods", 200),
        &pm,
    );

    // Errors: the documented error shape (no schema in the file).
    let (s, err) = raw
        .call(
            Method::POST,
            "/codes",
            Some(json!({ "amount": 1, "orderNo": "CONF-1" })),
        )
        .await;
    assert_eq!(s, 400);
    for field in ["requestId", "errorCode", "code", "message"] {
        assert!(err[field].is_string(), "error lacks {field}: {err}");
    }
}

#[test]
fn client_request_bodies_match_the_openapi_schemas() {
    let spec = Spec::load();
    let mut req = code_req(1280, "S1-R1-20261128-0001");
    req.currency = Some("JPY".into());
    req.expiry_duration = Some(10);
    req.front_url = Some("https://shop.example.jp/done?o=1".into());
    req.location_id = Some("loc_1".into());
    req.metadata = Some(BTreeMap::from([("register".into(), "R1".into())]));
    req.items = Some(vec![elepay::CodeItem {
        name: "コーヒー".into(),
        image: None,
        price: 640,
        count: 2,
    }]);
    let body = serde_json::to_value(&req).unwrap();
    spec.check("client CodeReq", spec.request_schema("createCode"), &body);

    let refund = elepay::RefundReq {
        amount: elepay::Amount::new(100).unwrap(),
        currency: None,
        metadata: None,
        reason: Some("返品".into()),
    };
    let body = serde_json::to_value(&refund).unwrap();
    spec.check(
        "client RefundReq",
        spec.request_schema("createRefund"),
        &body,
    );
}

#[test]
fn the_strict_check_catches_a_misspelt_field() {
    // Guards the test itself: without tightening this would pass silently.
    let spec = Spec::load();
    let root = json!({ "components": spec.components, "allOf": [spec.response_schema("retrieveCode", 200)] });
    let v = jsonschema::draft7::new(&root).unwrap();
    assert!(v.is_valid(&json!({ "id": "cod_1", "status": "pending" })));
    assert!(!v.is_valid(&json!({ "id": "cod_1", "orderNumber": "x" })));
    assert!(
        !v.is_valid(&json!({ "id": "cod_1", "amount": null })),
        "null is not allowed"
    );
    assert!(!v.is_valid(&json!({ "id": "cod_1", "status": "paid" })));
}
