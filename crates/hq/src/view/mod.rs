//! The head-office web view: server-rendered pages (no script needed) in
//! Japanese or English, behind a password login. Pages read `crate::books`
//! and render; they decide nothing about money.

mod by_rate;
mod csv;
mod html;
mod i18n;
mod pages;
mod shift;

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::AppState;
pub use i18n::Lang;

const SESSION_COOKIE: &str = "hq_session";
const LANG_COOKIE: &str = "hq_lang";
const SESSION_HOURS: i64 = 12;

/// The view's password and the key its session cookies are signed with
/// (random per process: a restart signs everyone out).
pub struct ViewAuth {
    password: Option<String>,
    key: [u8; 32],
}

impl std::fmt::Debug for ViewAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewAuth")
            .field("on", &self.password.is_some())
            .finish_non_exhaustive()
    }
}

impl ViewAuth {
    pub fn new(password: Option<String>) -> ViewAuth {
        ViewAuth {
            password,
            key: rand::random(),
        }
    }

    fn sign(&self, expires: i64) -> String {
        // A 32-byte key is always a valid HMAC key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(format!("view:{expires}").as_bytes());
        format!("{expires}.{}", hex::encode(mac.finalize().into_bytes()))
    }

    fn valid(&self, cookie: &str, now_ms: i64) -> bool {
        let Some((exp, _)) = cookie.split_once('.') else {
            return false;
        };
        let Ok(expires) = exp.parse::<i64>() else {
            return false;
        };
        use subtle::ConstantTimeEq as _;
        expires > now_ms && bool::from(self.sign(expires).as_bytes().ct_eq(cookie.as_bytes()))
    }

    fn password_ok(&self, given: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        self.password
            .as_deref()
            .is_some_and(|p| bool::from(p.as_bytes().ct_eq(given.as_bytes())))
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The viewer's language: the cookie, else the browser's first choice.
pub fn lang(headers: &HeaderMap) -> Lang {
    if let Some(l) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
        return l;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("en") {
        Lang::En
    } else {
        Lang::Ja
    }
}

/// A signed-in viewer (or a redirect to the login page).
#[derive(Debug)]
pub struct Viewer {
    pub lang: Lang,
}

impl axum::extract::FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let now = (s.clock)();
        let ok = cookie(&parts.headers, SESSION_COOKIE).is_some_and(|c| s.view.valid(c, now));
        if ok {
            Ok(Viewer {
                lang: lang(&parts.headers),
            })
        } else {
            Err(Redirect::to("/login").into_response())
        }
    }
}

#[derive(Deserialize)]
struct Login {
    password: String,
}

async fn login_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    pages::login(lang(&headers), s.view.password.is_none(), false).into_response()
}

async fn login(State(s): State<AppState>, headers: HeaderMap, Form(f): Form<Login>) -> Response {
    let l = lang(&headers);
    if !s.view.password_ok(&f.password) {
        tracing::warn!("head-office view: wrong password");
        return (
            StatusCode::UNAUTHORIZED,
            pages::login(l, s.view.password.is_none(), true),
        )
            .into_response();
    }
    let expires = (s.clock)() + SESSION_HOURS * 3_600_000;
    // Behind the TLS proxy the cookie must only travel over TLS.
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        s.view.sign(expires),
        SESSION_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

/// Where switching the language returns: the referring page's path on
/// this site, never another site ("//host/…" is one).
fn back_to(referer: Option<&str>) -> String {
    referer
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| {
            let mut p = u.path().to_owned();
            if let Some(q) = u.query() {
                p.push('?');
                p.push_str(q);
            }
            p
        })
        .filter(|p| !p.starts_with("//") && !p.starts_with("/\\"))
        .unwrap_or_else(|| "/".into())
}

async fn set_lang(
    axum::extract::Path(l): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let l = Lang::parse(&l).unwrap_or(Lang::Ja);
    let back = back_to(headers.get(header::REFERER).and_then(|v| v.to_str().ok()));
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        l.code()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/lang/{lang}", get(set_lang))
        .route("/", get(pages::overview))
        .route("/stores/{location}", get(pages::store))
        .route("/registers/{register}", get(pages::register))
        .route("/registers/{register}/shifts/{shift}", get(shift::shift))
        .route("/events/unknown", get(pages::unknown_events))
        .route("/export/z.csv", get(csv::z_reports))
        .route(
            "/hq.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], html::CSS) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_switch_returns_to_a_page_of_this_site_only() {
        assert_eq!(
            back_to(Some("https://hq.example/stores/loc_a?x=1")),
            "/stores/loc_a?x=1"
        );
        assert_eq!(back_to(Some("https://hq.example//evil.example/x")), "/");
        assert_eq!(back_to(Some("not a url")), "/");
        assert_eq!(back_to(None), "/");
    }

    #[test]
    fn a_session_cookie_is_signed_and_expires() {
        let a = ViewAuth::new(Some("correct horse battery".into()));
        let c = a.sign(2_000);
        assert!(a.valid(&c, 1_000));
        assert!(!a.valid(&c, 2_000), "expired");
        assert!(
            !a.valid(&c.replace("2000.", "9000."), 1_000),
            "forged expiry"
        );
        assert!(
            !ViewAuth::new(None).valid(&c, 1_000),
            "another process's key"
        );
        assert!(a.password_ok("correct horse battery"));
        assert!(!a.password_ok("correct horse"));
        assert!(
            !ViewAuth::new(None).password_ok(""),
            "no password: no login"
        );
    }
}
