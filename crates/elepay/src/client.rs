//! The HTTP client: one method per elepay operation the POS uses.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, ACCEPT_LANGUAGE, AUTHORIZATION};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::error::{truncate_raw, ApiError, Error, Operation};
use crate::key::{AuthScheme, Mode, SecretKey};
use crate::model::*;
use crate::retry::RetryPolicy;
use crate::validate::ValidationError;

/// elepay's production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.elepay.io";

/// Language of elepay's error `message` (it follows `Accept-Language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Ja,
    En,
}

impl Language {
    fn header(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: Url,
    pub auth: AuthScheme,
    pub language: Language,
    /// Whole-request timeout. elepay documents none; 15 s is long enough for a
    /// slow create, short enough that a cashier is not left waiting.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            #[allow(clippy::unwrap_used)] // a constant that is known to parse
            base_url: Url::parse(DEFAULT_BASE_URL).unwrap(),
            auth: AuthScheme::default(),
            language: Language::default(),
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }
}

impl ClientConfig {
    pub fn with_base_url(base_url: Url) -> Self {
        ClientConfig {
            base_url,
            ..Self::default()
        }
    }
}

/// A client bound to one secret key. Cheap to clone (the connection pool is
/// shared), so key rotation builds a second client with [`Client::with_key`].
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
    key: SecretKey,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url.as_str())
            .field("key", &self.key)
            .finish()
    }
}

/// The HTTP stack could not be set up (e.g. no TLS roots); nothing was sent.
#[derive(Debug, thiserror::Error)]
#[error("could not set up the HTTP client: {0}")]
pub struct BuildError(String);

impl Client {
    pub fn new(key: SecretKey, config: ClientConfig) -> Result<Self, BuildError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("easyqr-pos/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(Client { http, config, key })
    }

    /// Same connection pool and settings, another key (rotation overlap).
    pub fn with_key(&self, key: SecretKey) -> Client {
        Client {
            http: self.http.clone(),
            config: self.config.clone(),
            key,
        }
    }

    pub fn mode(&self) -> Mode {
        self.key.mode()
    }

    pub fn key_last4(&self) -> &str {
        self.key.last4()
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `POST /codes`. Validated first; never retried once it may have reached
    /// the server. On `Err(e)` with `e.write_may_have_happened()` the orderNo
    /// must be treated as possibly payable.
    pub async fn create_code(&self, req: &CodeReq) -> Result<CodeDto, Error> {
        req.validate()?;
        self.call(
            Operation::CreateCode,
            Method::POST,
            &["codes"],
            &[],
            Some(req),
        )
        .await
    }

    /// `GET /codes/{codeId}`.
    pub async fn retrieve_code(&self, code_id: &str) -> Result<CodeDto, Error> {
        let id = path_id("codeId", code_id)?;
        self.get(Operation::RetrieveCode, &["codes", id]).await
    }

    /// `DELETE /codes/{codeId}` (204, no body). Read the code back afterwards:
    /// a payment may have won the race.
    pub async fn close_code(&self, code_id: &str) -> Result<(), Error> {
        let id = path_id("codeId", code_id)?;
        self.send(
            Operation::CloseCode,
            Method::DELETE,
            &["codes", id],
            &[],
            None::<&()>,
        )
        .await
        .map(|_| ())
    }

    /// `GET /charges/{id}`.
    pub async fn retrieve_charge(&self, charge_id: &str) -> Result<ChargeDto, Error> {
        let id = path_id("chargeId", charge_id)?;
        self.get(Operation::RetrieveCharge, &["charges", id]).await
    }

    /// `GET /charges/{id}/status`.
    pub async fn retrieve_charge_status(&self, charge_id: &str) -> Result<ChargeStatusDto, Error> {
        let id = path_id("chargeId", charge_id)?;
        self.get(Operation::RetrieveChargeStatus, &["charges", id, "status"])
            .await
    }

    /// `GET /charges`, one page.
    pub async fn list_charges(&self, params: &ListChargesParams) -> Result<ChargesResponse, Error> {
        if let Some(l) = params.limit {
            if !(1..=100).contains(&l) {
                return Err(ValidationError::new("limit", "1 to 100").into());
            }
        }
        let query = params.query_pairs();
        self.call(
            Operation::ListCharges,
            Method::GET,
            &["charges"],
            &query,
            None::<&()>,
        )
        .await
    }

    /// `GET /charges` page after page (100 at a time) until `total` is reached.
    /// `params.offset` is the starting point; `params.limit` is ignored.
    pub async fn list_all_charges(
        &self,
        params: &ListChargesParams,
    ) -> Result<Vec<ChargeDto>, Error> {
        let mut page = params.clone();
        page.limit = Some(100);
        let mut offset = params.offset.unwrap_or(0);
        let mut all = Vec::new();
        loop {
            page.offset = Some(offset);
            let resp = self.list_charges(&page).await?;
            let got = resp.charges.len() as u32;
            all.extend(resp.charges);
            offset += got;
            // Stop on a short page too, so a server whose total drifts while
            // paging cannot keep us looping.
            if got == 0 || i64::from(offset) >= resp.total {
                return Ok(all);
            }
        }
    }

    /// `POST /charges/{id}/refunds`. Never retried once it may have reached
    /// the server: a repeated refund would pay the customer twice.
    pub async fn create_refund(
        &self,
        charge_id: &str,
        req: &RefundReq,
    ) -> Result<RefundDto, Error> {
        let id = path_id("chargeId", charge_id)?;
        req.validate()?;
        self.call(
            Operation::CreateRefund,
            Method::POST,
            &["charges", id, "refunds"],
            &[],
            Some(req),
        )
        .await
    }

    /// `GET /charges/{id}/refunds`, every page: the answer's `total` may
    /// exceed one page's `refunds`, so the rest is asked for with
    /// `offset`/`limit` (the convention of `GET /charges`; not documented
    /// for refunds) until `total` is reached. A server that ignores the
    /// paging gives no new refunds and the list ends there, shorter than
    /// `total`: callers compare the two.
    pub async fn list_refunds(&self, charge_id: &str) -> Result<RefundsResponse, Error> {
        let id = path_id("chargeId", charge_id)?;
        let path = ["charges", id, "refunds"];
        let mut all: RefundsResponse = self.get(Operation::ListRefunds, &path).await?;
        while (all.refunds.len() as i64) < all.total {
            let query = [
                ("offset", all.refunds.len().to_string()),
                ("limit", "100".to_owned()),
            ];
            let page: RefundsResponse = self
                .call(
                    Operation::ListRefunds,
                    Method::GET,
                    &path,
                    &query,
                    None::<&()>,
                )
                .await?;
            let before = all.refunds.len();
            for r in page.refunds {
                if !all.refunds.iter().any(|x| x.id == r.id) {
                    all.refunds.push(r);
                }
            }
            if all.refunds.len() == before {
                break; // no progress: paging not honoured
            }
        }
        Ok(all)
    }

    /// `GET /charges/{id}/refunds/{refundId}`.
    pub async fn retrieve_refund(
        &self,
        charge_id: &str,
        refund_id: &str,
    ) -> Result<RefundDto, Error> {
        let id = path_id("chargeId", charge_id)?;
        let rid = path_id("refundId", refund_id)?;
        self.get(Operation::RetrieveRefund, &["charges", id, "refunds", rid])
            .await
    }

    /// `GET /code-setting/payment-methods`: wallets enabled for EasyQR. Also
    /// a harmless call for checking that a key works.
    pub async fn list_code_payment_methods(&self) -> Result<CodePaymentMethodResponse, Error> {
        self.get(
            Operation::ListCodePaymentMethods,
            &["code-setting", "payment-methods"],
        )
        .await
    }

    async fn get<T: DeserializeOwned>(&self, op: Operation, path: &[&str]) -> Result<T, Error> {
        self.call(op, Method::GET, path, &[], None::<&()>).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        op: Operation,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, Error> {
        let (status, bytes) = self.send(op, method, path, query, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            operation: op,
            status,
            reason: e.to_string(),
            raw: truncate_raw(&bytes),
        })
    }

    /// Sends with the retry policy; returns status and body of a 2xx answer.
    async fn send(
        &self,
        op: Operation,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<(u16, Vec<u8>), Error> {
        let url = self.url(path, query);
        let mut retry = 0;
        loop {
            let result = self.send_once(op, method.clone(), url.clone(), body).await;
            match result {
                Err(e)
                    if retry < self.config.retry.max_retries
                        && RetryPolicy::is_retryable(op, &e) =>
                {
                    let retry_after = e.api().and_then(|a| a.retry_after);
                    let wait = self.config.retry.delay(retry, retry_after);
                    tracing::debug!(operation = op.as_str(), retry, ?wait, error = %e, "retrying");
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        op: Operation,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<(u16, Vec<u8>), Error> {
        let mut req = self.http.request(method, url).headers(self.headers());
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| transport_error(op, &e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // The status line arrived, so the server saw the request; losing the
        // body now leaves the outcome unknown for writes.
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Error::OutcomeUnknown {
                operation: op,
                reason: format!("response body lost: {}", error_chain(&e)),
            })?
            .to_vec();
        tracing::debug!(
            operation = op.as_str(),
            status = status.as_u16(),
            "elepay answered"
        );
        if status.is_success() {
            return Ok((status.as_u16(), bytes));
        }
        let mut api = ApiError::from_response(status.as_u16(), &bytes);
        api.retry_after = retry_after;
        Err(Error::Api {
            operation: op,
            api: Box::new(api),
        })
    }

    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(mut v) = HeaderValue::from_str(&self.config.auth.header_value(&self.key)) {
            // Keeps the value out of any Debug output of the request.
            v.set_sensitive(true);
            h.insert(AUTHORIZATION, v);
        }
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        h.insert(
            ACCEPT_LANGUAGE,
            HeaderValue::from_static(self.config.language.header()),
        );
        h
    }

    fn url(&self, path: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().extend(path);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }
}

/// Ids go into the path; refuse anything that could change the path.
fn path_id<'a>(field: &str, id: &'a str) -> Result<&'a str, Error> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ValidationError::new(field, "an elepay id of letters, digits, _ and -").into());
    }
    Ok(id)
}

/// Connect failures mean nothing was sent; anything after that may have
/// reached the server.
fn transport_error(op: Operation, e: &reqwest::Error) -> Error {
    let reason = error_chain(e);
    if e.is_connect() || e.is_builder() {
        Error::NotSent {
            operation: op,
            reason,
        }
    } else {
        Error::OutcomeUnknown {
            operation: op,
            reason,
        }
    }
}

/// The error and its causes, e.g. "timed out" / "connection reset by peer".
/// reqwest puts only the URL in the outer message, which carries no secret.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}
