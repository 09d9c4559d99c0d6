//! View sessions, kept in PostgreSQL: the browser holds a random id, HQ
//! only its SHA-256. A session ends after `IDLE_MS` without a request or
//! `ABSOLUTE_MS` after its login, at logout, when its user is removed or
//! its password changed. Each login makes a new id (the old one, if sent,
//! is ended), so an id planted before the login is worth nothing after.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;

use super::html::{self, Nav};
use super::{cookie, lang, Lang};
use crate::auth::token_hash;
use crate::error::HqError;
use crate::repo::view_sessions;
use crate::users::{Account, Role};
use crate::{AppState, Db};

pub const SESSION_COOKIE: &str = "hq_session";
pub const IDLE_MS: i64 = 2 * 3_600_000;
pub const ABSOLUTE_MS: i64 = 12 * 3_600_000;

/// 32 random bytes, URL-safe.
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// A new session for `user_id`; ends `old` (the id the browser sent, if
/// any) and sessions long expired. Returns (session id, CSRF token).
pub async fn start(
    db: &Db,
    user_id: i64,
    old: Option<&str>,
    now: i64,
) -> Result<(String, String), HqError> {
    let id = random_token();
    let csrf = random_token();
    if let Some(old) = old {
        view_sessions::end(db, &token_hash(old)).await?;
    }
    view_sessions::drop_expired(db, now - IDLE_MS, now - ABSOLUTE_MS).await?;
    view_sessions::insert(db, &token_hash(&id), user_id, &csrf, now).await?;
    Ok((id, csrf))
}

/// The live session `id` belongs to, touched (its idle time starts again);
/// `None` when unknown, ended or expired.
pub async fn find(db: &Db, id: &str, now: i64) -> Result<Option<(Account, String)>, HqError> {
    view_sessions::touch(db, &token_hash(id), now, now - IDLE_MS, now - ABSOLUTE_MS).await
}

pub async fn end(db: &Db, id: &str) -> Result<(), HqError> {
    view_sessions::end(db, &token_hash(id)).await
}

/// The session cookie: never readable by script, never sent from another
/// site, and `Secure` when HQ's public URL is https.
pub fn set_cookie(s: &AppState, id: &str) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ABSOLUTE_MS / 1000,
        secure(s)
    )
}

pub fn clear_cookie(s: &AppState) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(s)
    )
}

pub fn secure(s: &AppState) -> &'static str {
    if s.view.https {
        "; Secure"
    } else {
        ""
    }
}

/// A signed-in viewer (or a redirect to the login page).
#[derive(Debug)]
pub struct Viewer {
    pub lang: Lang,
    pub account: Account,
    /// The session's token for its forms (logout).
    pub csrf: String,
}

impl Viewer {
    pub fn brand(&self) -> bool {
        self.account.role == Role::Brand
    }

    /// The page frame for this viewer.
    pub fn page(&self, title: &str, body: maud::Markup) -> axum::response::Html<String> {
        let nav = Nav {
            user: &self.account.name,
            brand: self.brand(),
            csrf: &self.csrf,
        };
        axum::response::Html(html::page(self.lang, Some(&nav), title, body).into_string())
    }

    /// Not found for a store this viewer may not see, exactly as for one
    /// that does not exist.
    pub fn may_see(&self, location_id: &str) -> Result<(), HqError> {
        if self.account.scope.allows(location_id) {
            Ok(())
        } else {
            Err(HqError::NotFound(format!("store {location_id}")))
        }
    }

    /// Brand-only pages answer 404 to store users.
    pub fn brand_only(&self) -> Result<(), HqError> {
        if self.brand() {
            Ok(())
        } else {
            Err(HqError::NotFound("page".into()))
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/login").into_response();
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match find(&s.db, id, (s.clock)()).await {
            Ok(Some((account, csrf))) => Ok(Viewer {
                lang: lang(&parts.headers),
                account,
                csrf,
            }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(e.into_response()),
        }
    }
}
