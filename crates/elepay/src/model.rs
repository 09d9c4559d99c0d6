//! Request and response types mirroring elepay's OpenAPI 1.3.0 schemas
//! (camelCase JSON). Absent fields are `None` and are omitted when sending,
//! because the schemas declare no `nullable`. Unknown fields are kept in
//! `unknown_fields`, unknown enum values in an `Other(String)` variant, so a
//! newer API never breaks decoding.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::validate::{Amount, OrderNo};

/// Declares a string enum whose unknown values are preserved.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this client does not know yet, kept verbatim.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from(s.as_str()))
            }
        }
    };
}

open_enum!(
    /// EasyQR code status. `completed` is new in 1.3.0 and undocumented
    /// ("payment information is ready"); it is not a final state.
    CodeStatus {
        Pending = "pending",
        Completed = "completed",
        Captured = "captured",
        Closed = "closed",
    }
);

open_enum!(
    /// Charge status (ChargeStatusType).
    ChargeStatus {
        Pending = "pending",
        Waiting = "waiting",
        Notified = "notified",
        Uncaptured = "uncaptured",
        Captured = "captured",
        PartiallyRefunded = "partially_refunded",
        Refunded = "refunded",
        AmountMismatch = "amount_mismatch",
        Revoked = "revoked",
        Failed = "failed",
    }
);

impl ChargeStatus {
    /// Money was taken (possibly refunded since).
    pub fn is_paid(&self) -> bool {
        matches!(
            self,
            ChargeStatus::Captured | ChargeStatus::PartiallyRefunded | ChargeStatus::Refunded
        )
    }
}

open_enum!(
    /// Refund status (RefundStatusType).
    RefundStatus {
        Pending = "pending",
        Refunded = "refunded",
    }
);

open_enum!(
    /// `dateField` / `sort` of the charge list.
    ChargeDateField {
        PaidTime = "paid_time",
        CreateTime = "create_time",
    }
);

open_enum!(
    /// Sort order of lists.
    SortOrder {
        Desc = "desc",
        Asc = "asc",
    }
);

/// A payment method (wallet) name such as `paypay`. Kept as an open string:
/// elepay adds wallets often and the list is informational for a POS.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentMethod(pub String);

impl PaymentMethod {
    pub fn new(s: impl Into<String>) -> Self {
        PaymentMethod(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Name shown to people, for the wallets common at Japanese counters.
    pub fn display_name(&self) -> &str {
        match self.0.as_str() {
            "paypay" => "PayPay",
            "linepay" => "LINE Pay",
            "docomopay" => "d払い",
            "aupay" => "au PAY",
            "rakutenpay" => "楽天ペイ",
            "merpay" => "メルペイ",
            "alipay" => "Alipay",
            "alipayplus" => "Alipay+",
            "wechatpay" => "WeChat Pay",
            "unionpay" => "UnionPay",
            "creditcard" => "クレジットカード",
            "applepay" => "Apple Pay",
            "googlepay" => "Google Pay",
            "paypal" => "PayPal",
            other => other,
        }
    }
}

impl std::fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One product line shown on the hosted checkout page (CodeItem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeItem {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub price: i64,
    pub count: i64,
}

/// Body of `POST /codes` (CodeReq). `amount` and `order_no` are validated
/// newtypes; the rest is checked by [`CodeReq::validate`] before sending.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeReq {
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub order_no: OrderNo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Minutes, 3–30 (elepay's default is 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub front_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<CodeItem>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
}

impl CodeReq {
    pub fn new(amount: Amount, order_no: OrderNo) -> Self {
        CodeReq {
            amount,
            currency: None,
            order_no,
            description: None,
            extra: None,
            metadata: None,
            expiry_duration: None,
            front_url: None,
            items: None,
            location_id: None,
        }
    }
}

/// EasyQR code (CodeDto).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDto {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default)]
    pub live_mode: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_url: Option<String>,
    #[serde(default)]
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    pub status: CodeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<ChargeDto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<CodeItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default)]
    pub expired: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<i64>,
    /// Remaining milliseconds until expiry, as the server counts them; use it
    /// for countdowns instead of comparing `expiry_time` with a local clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_period: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// Card details on a charge (subset of CardInfo; the rest is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_app: Option<String>,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// Store identity on a charge. The live API returns the full location object
/// (not in OpenAPI 1.3.0's ChargeDto); only `id` matters for routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// Refund summary on a charge (RefundsDto).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundsSummary {
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub total_count: i64,
    #[serde(default)]
    pub data: Vec<RefundDto>,
}

/// Payment (ChargeDto).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeDto {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default)]
    pub live_mode: bool,
    #[serde(default)]
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_info: Option<CardInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher_no: Option<String>,
    #[serde(default)]
    pub paid: bool,
    #[serde(default)]
    pub refunded: bool,
    #[serde(default)]
    pub disputed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunds: Option<RefundsSummary>,
    pub status: ChargeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ChargeLocation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

impl ChargeDto {
    /// Location id of the store the charge was made at, if any.
    pub fn location_id(&self) -> Option<&str> {
        self.location.as_ref().and_then(|l| l.id.as_deref())
    }
}

/// `GET /charges/{id}/status` (ChargeStatusDto).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeStatusDto {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default)]
    pub live_mode: bool,
    pub status: ChargeStatus,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// `GET /charges` (ChargesResponse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargesResponse {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub charges: Vec<ChargeDto>,
}

/// Body of `POST /charges/{id}/refunds` (RefundReq).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundReq {
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Refund (RefundDto).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundDto {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_id: Option<String>,
    #[serde(default)]
    pub live_mode: bool,
    #[serde(default)]
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub status: RefundStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// `GET /charges/{id}/refunds` (RefundsResponse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundsResponse {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub refunds: Vec<RefundDto>,
}

/// Capabilities of a payment method (ChannelPropertiesDto).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelProperties {
    #[serde(default)]
    pub is_support_refund: bool,
    #[serde(default)]
    pub is_support_partial_refund: bool,
    #[serde(default)]
    pub is_support_multiple_refund: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_web_env: Option<String>,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// One enabled EasyQR payment method (PaymentMethodDto).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodDto {
    pub payment_method: PaymentMethod,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub brand: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_properties: Option<ChannelProperties>,
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// `GET /code-setting/payment-methods` (CodePaymentMethodResponse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodePaymentMethodResponse {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub payment_methods: Vec<PaymentMethodDto>,
}

/// Query of `GET /charges`. Times are UTC epoch milliseconds, inclusive.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListChargesParams {
    pub payment_methods: Vec<PaymentMethod>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub date_field: Option<ChargeDateField>,
    pub status: Option<ChargeStatus>,
    /// 1–100 (elepay's default is 20).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub sort: Option<ChargeDateField>,
    pub order: Option<SortOrder>,
}

impl ListChargesParams {
    pub(crate) fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        for m in &self.payment_methods {
            q.push(("paymentMethod", m.0.clone()));
        }
        let mut push = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                q.push((k, v));
            }
        };
        push("from", self.from.map(|v| v.to_string()));
        push("to", self.to.map(|v| v.to_string()));
        push("dateField", self.date_field.as_ref().map(|v| v.to_string()));
        push("status", self.status.as_ref().map(|v| v.to_string()));
        push("limit", self.limit.map(|v| v.to_string()));
        push("offset", self.offset.map(|v| v.to_string()));
        push("sort", self.sort.as_ref().map(|v| v.to_string()));
        push("order", self.order.as_ref().map(|v| v.to_string()));
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_and_fields_are_kept() {
        let json = r#"{"id":"cod_1","status":"completed","amount":5,"newField":{"a":1}}"#;
        let c: CodeDto = serde_json::from_str(json).unwrap();
        assert_eq!(c.status, CodeStatus::Completed);
        assert_eq!(c.unknown_fields["newField"]["a"], 1);

        let json = r#"{"id":"cod_1","status":"frozen"}"#;
        let c: CodeDto = serde_json::from_str(json).unwrap();
        assert_eq!(c.status, CodeStatus::Other("frozen".into()));
        // Round-trips verbatim.
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["status"], "frozen");
        assert!(
            back.get("charge").is_none(),
            "absent fields are omitted, not null"
        );
    }

    #[test]
    fn new_wallets_decode() {
        let json = r#"{"id":"cha_1","status":"captured","paymentMethod":"wovenpay2","location":{"id":"loc_1","name":{"kanji":"店"}}}"#;
        let c: ChargeDto = serde_json::from_str(json).unwrap();
        assert_eq!(c.payment_method.as_ref().unwrap().as_str(), "wovenpay2");
        assert_eq!(c.location_id(), Some("loc_1"));
        assert!(c.status.is_paid());
    }

    #[test]
    fn list_params_repeat_payment_method() {
        let p = ListChargesParams {
            payment_methods: vec![PaymentMethod::new("paypay"), PaymentMethod::new("linepay")],
            limit: Some(100),
            date_field: Some(ChargeDateField::PaidTime),
            ..Default::default()
        };
        let q = p.query_pairs();
        assert_eq!(q.iter().filter(|(k, _)| *k == "paymentMethod").count(), 2);
        assert!(q.contains(&("dateField", "paid_time".into())));
        assert!(q.contains(&("limit", "100".into())));
    }
}
