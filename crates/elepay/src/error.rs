//! One error type for every way a call can end badly. The variants answer
//! the question a caller must ask about money: did the server see this
//! request, and if so what did it say?

use serde::Deserialize;

use crate::validate::ValidationError;

macro_rules! error_codes {
    ($($variant:ident = $code:literal : $desc:literal),+ $(,)?) => {
        /// elepay's standard `errorCode` (letter + 6 digits), every entry of
        /// the published table (FACTS.md §4.2). Unknown codes are preserved.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $desc] $variant,)+
            /// A code this client does not know, kept verbatim.
            Other(String),
        }

        impl ErrorCode {
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                    ErrorCode::Other(s) => s,
                }
            }

            /// Short English description from elepay's table.
            pub fn description(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $desc,)+
                    ErrorCode::Other(_) => "unknown error code",
                }
            }

            pub fn parse(s: &str) -> Self {
                match s {
                    $($code => ErrorCode::$variant,)+
                    other => ErrorCode::Other(other.to_owned()),
                }
            }

            /// Every known code, for exhaustive tests and documentation.
            pub const ALL: &'static [&'static str] = &[$($code),+];
        }
    };
}

error_codes! {
    AccountSetup = "M001000": "account setup problem",
    PaymentMethodNotEnabled = "M001001": "payment method not enabled",
    PaymentMethodIncorrect = "M001002": "payment method incorrect",
    TerminalPaymentNotEnabled = "M001003": "terminal payment not enabled",
    AuthorizationNotSupported = "M001004": "payment method does not support authorization",
    RequiredParameterMissing = "M002001": "required parameter missing",
    ParameterInvalid = "M002002": "parameter value incorrect",
    ResourceNotFound = "M002003": "resource does not exist",
    ResourceExists = "M002004": "resource already exists",
    UnsupportedOperation = "M002005": "unsupported operation",
    ResourceLimitExceeded = "M002006": "created resource exceeds limit",
    OrderNoAlreadyUsed = "M002007": "order number already paid or in use",
    CodePaidOrCancelledLegacy = "M002008": "code already paid or cancelled (older list)",
    CurrencyNotSupported = "M002009": "currency not supported",
    MultipleAuthorizationNotSupported = "M002010": "multiple authorizations not supported",
    TerminalReaderInvalid = "M002012": "terminal for this readerId invalid",
    WrongCallMethod = "M003000": "wrong call method",
    InvalidApiKey = "M004001": "invalid API key",
    AuthParametersMissing = "M004002": "authentication parameters missing",
    OperationNotAllowed = "M004003": "operation not allowed",
    TooManyRequests = "M005000": "too many requests in a short period",
    InvalidStatus = "M006000": "operation not allowed in current status",
    OperationInProgress = "M006001": "another operation in progress",
    OperationAlreadyCompleted = "M006002": "operation already completed",
    CodePaidOrCancelled = "M006003": "code already paid or cancelled",
    CodeExpired = "M006004": "code expired",
    CancelOnTerminal = "M006005": "cancellation must be done on the terminal",
    Disputed = "M006006": "payment in dispute, cannot refund",
    RefundInsteadOfCancel = "M006007": "completed payment cannot be cancelled, refund instead",
    MerchantTransactionLimit = "M007001": "merchant transaction limit exceeded",
    MerchantRefundLimit = "M007002": "merchant refund limit exceeded",
    UnsupportedWebEnvironment = "M008000": "unsupported web environment",
    SystemError = "S001000": "internal error",
    ProviderConnection = "S001001": "problem connecting to the payment service, retry later",
    Maintenance = "S002000": "system under maintenance",
    ProviderMaintenance = "S002001": "this provider is under maintenance, use another method",
    UserPaymentFailed = "U001000": "payment failed",
    InsufficientBalance = "U001001": "insufficient balance",
    CreditLimitInsufficient = "U001002": "credit limit insufficient",
    PaymentLimitExceeded = "U002000": "payment limit exceeded",
    SingleTransactionLimit = "U002001": "single-transaction limit exceeded",
    DailyLimit = "U002002": "daily limit exceeded",
    MonthlyLimit = "U002003": "monthly limit exceeded",
    PaymentInfoIncorrect = "U003000": "payment information incorrect",
    CardNumberWrong = "U003001": "card number wrong",
    CardExpired = "U003002": "card expired",
    CvcInvalid = "U003003": "CVC invalid",
    AddressWrong = "U003004": "address wrong",
    PasswordWrong = "U003005": "password wrong",
    QrInvalid = "U003006": "QR invalid",
    QrMayBeUsed = "U003007": "QR may already be used",
    QrExpired = "U003008": "QR expired",
    ThreeDSecureFailed = "U003009": "3-D Secure failed",
    AccountSettingsWrong = "U003010": "account settings wrong",
    AuthorizationExpired = "U003011": "authorization expired",
    TransactionRejected = "U004000": "transaction rejected",
    UserCurrencyNotSupported = "U004001": "currency not supported",
    CardTypeNotSupported = "U004002": "card type not supported",
    TransactionTypeNotSupported = "U004003": "transaction type not supported",
    AccountDeactivated = "U004004": "account deactivated",
    AccountReportedLost = "U004005": "account reported lost",
    LocationNotSupported = "U004006": "transaction location not supported",
    TooManyAttempts = "U005000": "too many attempts",
    PaymentCancelled = "U006000": "payment cancelled",
    AuthorizationDenied = "U006001": "authorization denied",
    TransactionDeadlineExceeded = "U007000": "transaction deadline exceeded",
    PaymentDeadlineExceeded = "U007001": "payment deadline exceeded",
    RefundDeadlineExceeded = "U007002": "refund deadline exceeded",
    AmountOutOfRange = "U008000": "amount out of range",
    AmountTooLarge = "U008001": "amount too large",
    AmountTooSmall = "U008002": "amount too small",
    FurtherActionRequired = "U009000": "further action required",
}

/// Provider's raw error, passed through by elepay.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderError {
    pub provider_key: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

/// The server answered and said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// `None` when the body carried no `errorCode` (e.g. a bare 401/429).
    pub error_code: Option<ErrorCode>,
    /// Legacy `code` such as `9_000_000_40022`.
    pub legacy_code: Option<String>,
    /// In the language asked for with `Accept-Language`.
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub parameter_name: Option<String>,
    pub provider_error: Option<ProviderError>,
    /// From a `Retry-After` header (seconds), if the server sent one.
    pub retry_after: Option<std::time::Duration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    request_id: Option<String>,
    error_code: Option<String>,
    code: Option<String>,
    message: Option<String>,
    parameter_name: Option<String>,
    provider_error: Option<ProviderError>,
}

impl ApiError {
    /// Builds from an error response; a body that is not elepay's error JSON
    /// still yields an error carrying the HTTP status.
    pub(crate) fn from_response(status: u16, body: &[u8]) -> Self {
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        let b = parsed.unwrap_or(ErrorBody {
            request_id: None,
            error_code: None,
            code: None,
            message: None,
            parameter_name: None,
            provider_error: None,
        });
        ApiError {
            status,
            error_code: b.error_code.as_deref().map(ErrorCode::parse),
            legacy_code: b.code,
            message: b.message,
            request_id: b.request_id,
            parameter_name: b.parameter_name,
            provider_error: b.provider_error,
            retry_after: None,
        }
    }

    /// The 5-digit number at the end of the legacy `code`.
    pub fn legacy_number(&self) -> Option<u32> {
        self.legacy_code
            .as_deref()?
            .rsplit('_')
            .next()?
            .parse()
            .ok()
    }

    fn is(&self, code: ErrorCode) -> bool {
        self.error_code.as_ref() == Some(&code)
    }

    /// `M002007` (legacy `40022`): the orderNo belongs to a paid code or a
    /// code that is still valid. The create did not happen.
    pub fn is_order_no_in_use(&self) -> bool {
        self.is(ErrorCode::OrderNoAlreadyUsed) || self.legacy_number() == Some(40022)
    }

    /// Throttled (`M005000`), whether sent as 400 as documented or as 429.
    pub fn is_throttled(&self) -> bool {
        self.is(ErrorCode::TooManyRequests) || self.status == 429
    }

    /// Key wrong, missing, or not allowed, whether sent as 400 or 401/403.
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self.error_code,
            Some(ErrorCode::InvalidApiKey)
                | Some(ErrorCode::AuthParametersMissing)
                | Some(ErrorCode::OperationNotAllowed)
        ) || (self.error_code.is_none() && matches!(self.status, 401 | 403))
    }

    /// `M006003`/`M002008`: the code was already paid or cancelled.
    pub fn is_code_paid_or_cancelled(&self) -> bool {
        self.is(ErrorCode::CodePaidOrCancelled) || self.is(ErrorCode::CodePaidOrCancelledLegacy)
    }

    /// `M006004`: the code had already expired.
    pub fn is_code_expired(&self) -> bool {
        self.is(ErrorCode::CodeExpired)
    }

    pub fn is_not_found(&self) -> bool {
        self.is(ErrorCode::ResourceNotFound) || self.legacy_number() == Some(10111)
    }

    /// elepay-side trouble (S-codes or a 5xx status).
    pub fn is_server_error(&self) -> bool {
        self.status >= 500
            || self
                .error_code
                .as_ref()
                .is_some_and(|c| c.as_str().starts_with('S'))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "elepay answered HTTP {}", self.status)?;
        if let Some(c) = &self.error_code {
            write!(f, " {} ({})", c.as_str(), c.description())?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(p) = &self.parameter_name {
            write!(f, " [parameter {p}]")?;
        }
        if let Some(r) = &self.request_id {
            write!(f, " (requestId {r})")?;
        }
        Ok(())
    }
}

/// Which call failed; used in messages and in the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CreateCode,
    RetrieveCode,
    CloseCode,
    RetrieveCharge,
    RetrieveChargeStatus,
    ListCharges,
    CreateRefund,
    ListRefunds,
    RetrieveRefund,
    ListCodePaymentMethods,
}

impl Operation {
    /// The elepay operationId.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::CreateCode => "createCode",
            Operation::RetrieveCode => "retrieveCode",
            Operation::CloseCode => "closeCode",
            Operation::RetrieveCharge => "retrieveCharge",
            Operation::RetrieveChargeStatus => "retrieveChargeStatus",
            Operation::ListCharges => "listCharges",
            Operation::CreateRefund => "createRefund",
            Operation::ListRefunds => "listChargesRefunds",
            Operation::RetrieveRefund => "retrieveChargeRefund",
            Operation::ListCodePaymentMethods => "listCodePaymentMethods",
        }
    }

    /// Reads change nothing on the server, so repeating one is harmless.
    pub fn is_read(self) -> bool {
        !matches!(
            self,
            Operation::CreateCode | Operation::CloseCode | Operation::CreateRefund
        )
    }
}

/// Everything a call can end in, other than success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refused locally before sending; nothing left the machine.
    #[error("invalid request: {0}")]
    Invalid(#[from] ValidationError),

    /// (a) The server answered with an error.
    #[error("{operation}: {api}", operation = .operation.as_str())]
    Api {
        operation: Operation,
        api: Box<ApiError>,
    },

    /// (b) The request may have reached the server, but no usable answer came
    /// back (timeout, connection lost after sending). For a write this means
    /// the server may have acted on it.
    #[error("{operation}: outcome unknown ({reason}); the server may have processed the request", operation = .operation.as_str())]
    OutcomeUnknown {
        operation: Operation,
        reason: String,
    },

    /// (c) The request certainly never reached the server (connection
    /// refused, DNS failure, connect timeout).
    #[error("{operation}: not sent ({reason})", operation = .operation.as_str())]
    NotSent {
        operation: Operation,
        reason: String,
    },

    /// (d) The server answered with a body that could not be decoded.
    #[error("{operation}: undecodable response (HTTP {status}): {reason}; body starts: {raw}", operation = .operation.as_str())]
    Decode {
        operation: Operation,
        status: u16,
        reason: String,
        /// At most [`Error::RAW_LIMIT`] bytes of the body.
        raw: String,
    },
}

impl Error {
    /// How much of an undecodable body is kept for diagnosis.
    pub const RAW_LIMIT: usize = 512;

    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api { api, .. } => Some(&**api),
            _ => None,
        }
    }

    pub fn is_order_no_in_use(&self) -> bool {
        self.api().is_some_and(ApiError::is_order_no_in_use)
    }

    pub fn is_throttled(&self) -> bool {
        self.api().is_some_and(ApiError::is_throttled)
    }

    pub fn is_auth_failure(&self) -> bool {
        self.api().is_some_and(ApiError::is_auth_failure)
    }

    /// True when a create-code call might nevertheless have created a code:
    /// the outcome is unknown, elepay reported a server error mid-way, or it
    /// answered 2xx with a body we could not read. The caller must then
    /// treat the orderNo as possibly payable (PRODUCT.md invariant 3).
    pub fn write_may_have_happened(&self) -> bool {
        match self {
            Error::OutcomeUnknown { .. } => true,
            // A 4xx without elepay's error body came from something in
            // between (a proxy's 408, a gateway); whether elepay saw the
            // request is unknown unless the status itself means "refused
            // before processing".
            Error::Api { api, .. } => {
                api.is_server_error()
                    || (api.error_code.is_none()
                        && api.legacy_code.is_none()
                        && api.request_id.is_none()
                        && !matches!(
                            api.status,
                            400 | 401 | 403 | 404 | 405 | 413 | 414 | 415 | 429
                        ))
            }
            Error::Decode { status, .. } => (200..300).contains(status),
            Error::Invalid(_) | Error::NotSent { .. } => false,
        }
    }

    /// Stable machine-readable code for UIs and exit statuses.
    pub fn code(&self) -> &str {
        match self {
            Error::Invalid(_) => "invalid_request",
            Error::Api { api, .. } => match &api.error_code {
                Some(c) => c.as_str(),
                None if api.is_throttled() => "throttled",
                None if api.is_auth_failure() => "auth_failed",
                None => "api_error",
            },
            Error::OutcomeUnknown { .. } => "outcome_unknown",
            Error::NotSent { .. } => "not_sent",
            Error::Decode { .. } => "bad_response",
        }
    }
}

pub(crate) fn truncate_raw(body: &[u8]) -> String {
    let cut = &body[..body.len().min(Error::RAW_LIMIT)];
    String::from_utf8_lossy(cut).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_code_is_typed() {
        // 71 live codes plus M002008 from the older list.
        assert_eq!(ErrorCode::ALL.len(), 72);
        for c in ErrorCode::ALL {
            let parsed = ErrorCode::parse(c);
            assert!(!matches!(parsed, ErrorCode::Other(_)), "{c}");
            assert_eq!(parsed.as_str(), *c);
        }
        assert_eq!(
            ErrorCode::parse("M999999"),
            ErrorCode::Other("M999999".into())
        );
    }

    #[test]
    fn faq_order_no_error_is_recognised() {
        let body = r#"{"code":"9_000_000_40022","errorCode":"M002007","message":"該当注文番号はすでに支払済み。"}"#;
        let e = ApiError::from_response(400, body.as_bytes());
        assert!(e.is_order_no_in_use());
        assert_eq!(e.legacy_number(), Some(40022));
        // Legacy-only bodies still count.
        let e = ApiError::from_response(400, br#"{"code":"9_000_000_40022"}"#);
        assert!(e.is_order_no_in_use());
    }

    #[test]
    fn throttling_and_auth_in_either_status() {
        let t400 = ApiError::from_response(400, br#"{"errorCode":"M005000"}"#);
        let t429 = ApiError::from_response(429, b"");
        assert!(t400.is_throttled() && t429.is_throttled());
        let a400 = ApiError::from_response(400, br#"{"errorCode":"M004001"}"#);
        let a401 = ApiError::from_response(401, b"Unauthorized");
        assert!(a400.is_auth_failure() && a401.is_auth_failure());
        assert!(!t400.is_auth_failure());
    }

    #[test]
    fn write_may_have_happened_classes() {
        let op = Operation::CreateCode;
        let unknown = Error::OutcomeUnknown {
            operation: op,
            reason: "timeout".into(),
        };
        let not_sent = Error::NotSent {
            operation: op,
            reason: "refused".into(),
        };
        let in_use = Error::Api {
            operation: op,
            api: Box::new(ApiError::from_response(400, br#"{"errorCode":"M002007"}"#)),
        };
        let s500 = Error::Api {
            operation: op,
            api: Box::new(ApiError::from_response(500, br#"{"errorCode":"S001000"}"#)),
        };
        let proxy_timeout = Error::Api {
            operation: op,
            api: Box::new(ApiError::from_response(408, b"Request Timeout")),
        };
        let bare_429 = Error::Api {
            operation: op,
            api: Box::new(ApiError::from_response(429, b"")),
        };
        assert!(proxy_timeout.write_may_have_happened());
        assert!(!bare_429.write_may_have_happened());
        assert!(unknown.write_may_have_happened());
        assert!(s500.write_may_have_happened());
        assert!(!not_sent.write_may_have_happened());
        assert!(!in_use.write_may_have_happened());
        assert_eq!(in_use.code(), "M002007");
    }
}
