//! The view's rendering of a failure: a page in the viewer's language
//! with the status `HqError::status` (or axum's refusal) chose, and
//! nothing of the cause (the JSON the API gets carries that; here it is
//! dropped). Layered over the view's routes only, so `/api/…` and the
//! webhook keep their JSON.

use axum::extract::Request;
use axum::http::{header, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::html::page;
use super::{lang, Lang};
use crate::error::HqError;

/// (title, hint) of a status's page.
fn words(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        403 => ("error_403", "error_403_hint"),
        404 => ("error_404", "error_404_hint"),
        413 => ("error_413", "error_413_hint"),
        503 => ("error_503", "error_503_hint"),
        400..=499 => ("error_400", "error_400_hint"),
        _ => ("error_500", "error_500_hint"),
    }
}

/// The error page for `status`.
pub fn error_page(l: Lang, status: StatusCode) -> Response {
    let (title, hint) = words(status);
    let body = html! {
        section.failure data-status=(status.as_u16()) {
            h1 { (l.t(title)) }
            p { (l.t(hint)) }
            p { a.button href="/" { (l.t("to_stores")) } }
        }
    };
    (status, Html(page(l, None, l.t(title), body).into_string())).into_response()
}

/// Paths of machines (registers, elepay): their errors stay JSON.
fn for_machines(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/elepay/")
}

/// A path no route has: 404, as JSON here and as a page by [`as_page`].
pub async fn no_such_path(uri: Uri) -> HqError {
    HqError::NotFound(uri.path().to_owned())
}

/// Replaces an error answer that is not already a page (the login form
/// answers 401 and 429 with itself) by [`error_page`], keeping
/// `Retry-After`.
pub async fn as_page(req: Request, next: Next) -> Response {
    let l = lang(req.headers());
    let machine = for_machines(req.uri().path());
    let r = next.run(req).await;
    if machine {
        return r;
    }
    let status = r.status();
    let is_page = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_page {
        return r;
    }
    let mut p = error_page(l, status);
    if let Some(v) = r.headers().get(header::RETRY_AFTER) {
        p.headers_mut().insert(header::RETRY_AFTER, v.clone());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_a_page_in_both_languages() {
        for s in [400, 403, 404, 405, 413, 500, 503] {
            let (t, h) = words(StatusCode::from_u16(s).unwrap_or_default());
            for l in [Lang::Ja, Lang::En] {
                assert_ne!(l.t(t), t, "{s}");
                assert_ne!(l.t(h), h, "{s}");
            }
        }
        assert_ne!(Lang::Ja.t("to_stores"), "to_stores");
    }
}
