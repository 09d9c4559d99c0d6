//! The EasyQR payment methods this simulated app has enabled.

/// One wallet / card option offered on the pay page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Method {
    /// `PaymentMethodType` value.
    pub(crate) id: &'static str,
    /// Japanese label shown on the pay page.
    pub(crate) ja: &'static str,
    /// English sub-label.
    pub(crate) en: &'static str,
    pub(crate) max_amount: i64,
}

pub(crate) const METHODS: [Method; 8] = [
    Method {
        id: "paypay",
        ja: "PayPay",
        en: "PayPay",
        max_amount: 1_000_000,
    },
    Method {
        id: "linepay",
        ja: "LINE Pay",
        en: "LINE Pay",
        max_amount: 1_000_000,
    },
    Method {
        id: "docomopay",
        ja: "d払い",
        en: "d Payment",
        max_amount: 1_000_000,
    },
    Method {
        id: "aupay",
        ja: "au PAY",
        en: "au PAY",
        max_amount: 1_000_000,
    },
    Method {
        id: "rakutenpay",
        ja: "楽天ペイ",
        en: "Rakuten Pay",
        max_amount: 1_000_000,
    },
    Method {
        id: "alipayplus",
        ja: "Alipay+",
        en: "Alipay+",
        max_amount: 1_000_000,
    },
    Method {
        id: "wechatpay",
        ja: "WeChat Pay",
        en: "WeChat Pay",
        max_amount: 1_000_000,
    },
    Method {
        id: "creditcard",
        ja: "クレジットカード",
        en: "Credit card",
        max_amount: 9_999_999,
    },
];

pub(crate) fn find(id: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.id == id)
}

/// Every `PaymentMethodType` value of OpenAPI 1.3.0, for query validation.
pub(crate) const ALL_PAYMENT_METHOD_TYPES: &[&str] = &[
    "alipay",
    "alipayhk",
    "alipayplus",
    "amazonpay",
    "applepay",
    "applepay_cn",
    "atokara",
    "atone",
    "aupay",
    "clicktopay",
    "banktransfer",
    "creditcard",
    "dana",
    "docomopay",
    "ezlink",
    "felica",
    "felica_id",
    "felica_quickpay",
    "felica_transport_ic",
    "gcash",
    "ginkopay",
    "googlepay",
    "jcoinpay",
    "jkopay",
    "kakaopay",
    "konbini",
    "linepay",
    "merpay",
    "origamipay",
    "paidy",
    "paypal",
    "paypay",
    "pxpayplus",
    "rakutenpay",
    "smartcode",
    "tng",
    "truemoney",
    "unionpay",
    "wechatpay",
    "aeonpay",
    "rabbitlinepay",
    "bpi",
    "boost",
    "hellomoney",
    "tosspay",
    "naverpay",
    "wellwa",
    "grabpay",
    "momopay",
    "promptpay",
    "wovenpay",
    "auto",
];

/// `ChargeStatusType` values of OpenAPI 1.3.0.
pub(crate) const CHARGE_STATUSES: &[&str] = &[
    "pending",
    "waiting",
    "notified",
    "uncaptured",
    "captured",
    "partially_refunded",
    "refunded",
    "amount_mismatch",
    "revoked",
    "failed",
];
