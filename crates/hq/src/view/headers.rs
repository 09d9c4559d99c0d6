//! Security headers on every answer of the view: no script at all and
//! nothing from another origin (the pages need none), never framed, no
//! type sniffing, no referrer to other sites, nothing with figures cached;
//! HSTS when HQ's public URL is https.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::Response;

use crate::AppState;

pub const CSP: &str = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; \
                       form-action 'self'; frame-ancestors 'none'";
pub const HSTS: &str = "max-age=31536000";

pub async fn add(State(s): State<AppState>, mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Only the style sheet says otherwise: every page and CSV may hold figures.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if s.view.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    r
}
