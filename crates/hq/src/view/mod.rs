//! The head-office web view: server-rendered pages (no script at all) in
//! Japanese or English, behind named accounts (`crate::users`) with
//! server-side sessions (`session`), a throttled login (`login`,
//! `throttle`, `client`), an audit trail (`audit`) and security headers
//! on every answer (`headers`); a failure is a page in the viewer's
//! language (`errors`). Pages are maud templates that read `crate::books`
//! and render; they decide nothing about money.

pub mod audit;
mod by_rate;
mod client;
mod csv;
mod errors;
mod headers;
mod html;
mod i18n;
mod login;
mod pages;
pub mod session;
mod shift;
pub mod throttle;

use std::net::IpAddr;

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;
pub use client::client_ip;
pub use i18n::Lang;
pub use session::Viewer;

const LANG_COOKIE: &str = "hq_lang";

/// How the view meets the outside: whether its public URL is https (then
/// cookies are `Secure` and HSTS is sent, whatever a request's headers
/// say) and which peers are proxies whose `X-Forwarded-For` counts. The
/// login throttle is in the database (`throttle`), shared by every process.
#[derive(Debug)]
pub struct ViewAuth {
    pub(crate) https: bool,
    pub(crate) trusted_proxies: Vec<IpAddr>,
}

impl ViewAuth {
    pub fn new(public_url: Option<&url::Url>, trusted_proxies: Vec<IpAddr>) -> ViewAuth {
        ViewAuth {
            https: public_url.is_some_and(|u| u.scheme() == "https"),
            trusted_proxies,
        }
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
    axum::extract::State(s): axum::extract::State<AppState>,
    axum::extract::Path(l): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let l = Lang::parse(&l).unwrap_or(Lang::Ja);
    let back = back_to(headers.get(header::REFERER).and_then(|v| v.to_str().ok()));
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000{}",
        l.code(),
        session::secure(&s)
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

/// The view's routes, with `body_limit` inside the error pages (a form
/// too large is a page too); `state` configures the headers layer. The
/// fallback is here, so an unknown path is a page as well (under `/api/`
/// and `/elepay/` JSON, see [`errors::as_page`]).
pub fn routes(state: &AppState, body_limit: crate::limits::BodyLimitLayer) -> Router<AppState> {
    Router::new()
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", post(login::logout))
        .route("/lang/{lang}", get(set_lang))
        .route("/", get(pages::overview))
        .route("/stores/{location}", get(pages::store))
        .route("/registers/{register}", get(pages::register))
        .route("/registers/{register}/shifts/{shift}", get(shift::shift))
        .route("/events/unknown", get(pages::unknown_events))
        .route("/audit", get(audit::page))
        .route("/export/z.csv", get(csv::z_reports))
        .route(
            "/hq.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css"),
                        (header::CACHE_CONTROL, "max-age=3600"),
                    ],
                    html::CSS,
                )
            }),
        )
        .fallback(errors::no_such_path)
        .layer(body_limit)
        // Inside the headers: an error page gets them too.
        .layer(axum::middleware::from_fn(errors::as_page))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            headers::add,
        ))
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
}
