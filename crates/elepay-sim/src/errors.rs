//! elepay error JSON (`requestId`, `errorCode`, legacy `code`, localized
//! `message`, `parameterName`) and the crate's public error type.
//!
//! Handlers return [`ApiError`]; it travels to the outer middleware in the
//! response extensions, which knows the request's language and renders the
//! final body. That keeps `Accept-Language` out of every handler.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Content type elepay uses for every JSON response.
pub(crate) const JSON_UTF8: &str = "application/json;charset=utf-8";

/// Language of error messages, chosen from `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Ja,
    En,
}

impl Lang {
    /// elepay answers in Japanese unless the first preferred language is English.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let first = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if first == "en" || first.starts_with("en-") {
            Lang::En
        } else {
            Lang::Ja
        }
    }
}

/// The elepay `errorCode`s this simulator emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    M002001,
    M002002,
    M002003,
    M002005,
    M002007,
    M002009,
    M003000,
    M004001,
    M004002,
    M004003,
    M005000,
    M006000,
    M006003,
    M006004,
    S001000,
}

impl ErrorCode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::M002001 => "M002001",
            Self::M002002 => "M002002",
            Self::M002003 => "M002003",
            Self::M002005 => "M002005",
            Self::M002007 => "M002007",
            Self::M002009 => "M002009",
            Self::M003000 => "M003000",
            Self::M004001 => "M004001",
            Self::M004002 => "M004002",
            Self::M004003 => "M004003",
            Self::M005000 => "M005000",
            Self::M006000 => "M006000",
            Self::M006003 => "M006003",
            Self::M006004 => "M006004",
            Self::S001000 => "S001000",
        }
    }

    pub(crate) fn message(self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            Self::M002001 => (
                "必須パラメータが不足しています。",
                "A required parameter is missing.",
            ),
            Self::M002002 => (
                "パラメータの値が正しくありません。",
                "The parameter value is incorrect.",
            ),
            Self::M002003 => ("リソースが存在しません。", "The resource does not exist."),
            Self::M002005 => (
                "サポートされていない操作です。",
                "The operation is not supported.",
            ),
            Self::M002007 => (
                "該当注文番号はすでに支払済み。",
                "The order number has already been paid.",
            ),
            Self::M002009 => (
                "この通貨はサポートされていません。",
                "The currency is not supported.",
            ),
            Self::M003000 => ("呼び出し方法が正しくありません。", "Wrong call method."),
            Self::M004001 => (
                "提供されたAPIキーが無効です。",
                "The provided API key is invalid.",
            ),
            Self::M004002 => (
                "認証パラメータが不足しています。",
                "Authentication parameters are missing.",
            ),
            Self::M004003 => (
                "この操作は許可されていません。",
                "This operation is not allowed.",
            ),
            Self::M005000 => (
                "短時間に多くの要求がありました。",
                "Too many requests in a short period.",
            ),
            Self::M006000 => (
                "現在のステータスではこの操作はできません。",
                "This operation is not allowed in the current status.",
            ),
            Self::M006003 => (
                "該当コードはすでに支払われたか、またはキャンセルされています。",
                "The code has already been paid or cancelled.",
            ),
            Self::M006004 => (
                "該当コードはすでに期限切れです。",
                "The code has already expired.",
            ),
            Self::S001000 => ("内部エラーが発生しました。", "An internal error occurred."),
        };
        match lang {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }

    /// Legacy 5-digit number used when the caller does not pick a closer one.
    fn default_legacy(self) -> u32 {
        match self {
            Self::M002001 | Self::M002002 => 40027,
            Self::M002003 => 10111,
            Self::M002007 => 40022,
            Self::M002009 => 40023,
            Self::M006000 => 10109,
            Self::S001000 => 50000,
            _ => 0,
        }
    }

    fn default_status(self) -> StatusCode {
        if self.as_str().starts_with('S') {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        }
    }
}

/// An elepay error response before localization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: ErrorCode,
    pub(crate) legacy: u32,
    pub(crate) param: Option<String>,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode) -> Self {
        Self {
            status: code.default_status(),
            code,
            legacy: code.default_legacy(),
            param: None,
        }
    }

    /// Validation error naming the offending field.
    pub(crate) fn invalid(param: &str) -> Self {
        Self::new(ErrorCode::M002002).param(param)
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::new(ErrorCode::M002001).param(param)
    }

    pub(crate) fn not_found() -> Self {
        Self::new(ErrorCode::M002003)
    }

    pub(crate) fn param(mut self, name: &str) -> Self {
        self.param = Some(name.to_owned());
        self
    }

    pub(crate) fn legacy(mut self, number: u32) -> Self {
        self.legacy = number;
        self
    }

    pub(crate) fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn legacy_code(&self) -> String {
        format!("9_000_000_{:05}", self.legacy)
    }

    /// The final JSON body; `parameterName` is omitted when there is none.
    pub(crate) fn body(&self, lang: Lang, request_id: &str) -> Value {
        let mut m = Map::new();
        m.insert("requestId".into(), json!(request_id));
        m.insert("errorCode".into(), json!(self.code.as_str()));
        m.insert("code".into(), json!(self.legacy_code()));
        m.insert("message".into(), json!(self.code.message(lang)));
        if let Some(p) = &self.param {
            m.insert("parameterName".into(), json!(p));
        }
        Value::Object(m)
    }

    pub(crate) fn render(&self, lang: Lang) -> Response {
        let request_id = crate::ids::new_id("req_");
        json_response(self.status, &self.body(lang, &request_id))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Placeholder body; `finish_errors` middleware replaces it with the
        // localized one. Rendering in Japanese here keeps the response valid
        // even if the router is used without that middleware.
        let mut resp = self.render(Lang::Ja);
        resp.extensions_mut().insert(self);
        resp
    }
}

/// A JSON response with elepay's exact content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    resp
}

/// Errors returned by the public library API.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// Bad configuration (no secret key, a publishable key, bad URL, ...).
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The simulator refused an operation the way its API would.
    #[error("{error_code}: {message}")]
    Rejected {
        /// HTTP status the admin endpoint answers with.
        status: u16,
        /// elepay `errorCode`, e.g. `M006004`.
        error_code: String,
        /// English message.
        message: String,
        /// Offending field for validation errors.
        parameter_name: Option<String>,
    },
}

impl From<ApiError> for SimError {
    fn from(e: ApiError) -> Self {
        SimError::Rejected {
            status: e.status.as_u16(),
            error_code: e.code.as_str().to_owned(),
            message: e.code.message(Lang::En).to_owned(),
            parameter_name: e.param,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang_of(v: &str) -> Lang {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(v).expect("header"),
        );
        Lang::from_headers(&h)
    }

    #[test]
    fn language_follows_first_tag() {
        assert_eq!(lang_of("en"), Lang::En);
        assert_eq!(lang_of("en-US,en;q=0.9"), Lang::En);
        assert_eq!(lang_of("ja,en;q=0.8"), Lang::Ja);
        assert_eq!(lang_of("english"), Lang::Ja);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Ja);
    }

    #[test]
    fn body_matches_faq_sample() {
        let e = ApiError::new(ErrorCode::M002007);
        let b = e.body(Lang::Ja, "req_1");
        assert_eq!(b["code"], "9_000_000_40022");
        assert_eq!(b["errorCode"], "M002007");
        assert_eq!(b["message"], "該当注文番号はすでに支払済み。");
        assert!(b.get("parameterName").is_none());
        let v = ApiError::invalid("orderNo").legacy(40021);
        assert_eq!(v.body(Lang::En, "r")["parameterName"], "orderNo");
        assert_eq!(v.legacy_code(), "9_000_000_40021");
        assert_eq!(
            ApiError::new(ErrorCode::M004001).legacy_code(),
            "9_000_000_00000"
        );
        assert_eq!(
            ApiError::new(ErrorCode::S001000).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
