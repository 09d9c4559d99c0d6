//! Signing in and out. Both forms carry a CSRF token: the login form the
//! one in its `hq_login` cookie (set with the form, so another site can
//! neither read nor post it), the logout form the session's own. The
//! session cookie is `SameSite=Strict` besides.

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::audit::{self, Kind};
use super::client::Client;
use super::html::page;
use super::session::{self, random_token, Viewer, SESSION_COOKIE};
use super::throttle::{self, Key};
use super::{cookie, lang, Lang};
use crate::repo::view_users;
use crate::users;
use crate::AppState;

const LOGIN_COOKIE: &str = "hq_login";

/// What the login page says above the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Note {
    None,
    NoUsers,
    Wrong,
    Expired,
    Throttled(i64),
}

fn form(s: &AppState, l: Lang, note: Note, user: &str, status: StatusCode) -> Response {
    let token = random_token();
    let msg = match note {
        Note::None => None,
        Note::NoUsers => Some(l.t("no_users").to_owned()),
        Note::Wrong => Some(l.t("wrong_login").to_owned()),
        Note::Expired => Some(l.t("form_expired").to_owned()),
        Note::Throttled(secs) => Some(l.t("throttled").replace("{s}", &secs.to_string())),
    };
    let body = html! {
        form.login method="post" action="/login" {
            h1 { (l.t("login")) }
            @if let Some(m) = msg { p.error #login-error { (m) } }
            input type="hidden" name="csrf" value=(token);
            label {
                (l.t("user"))
                input type="text" name="user" value=(user) autocomplete="username" autofocus;
            }
            label {
                (l.t("password"))
                input type="password" name="password" autocomplete="current-password";
            }
            button type="submit" #sign-in { (l.t("login")) }
        }
    };
    let set = format!(
        "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        session::secure(s)
    );
    let mut r = (
        status,
        [(header::SET_COOKIE, set)],
        Html(page(l, None, l.t("login"), body).into_string()),
    )
        .into_response();
    if let Note::Throttled(secs) = note {
        if let Ok(v) = secs.to_string().parse() {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

pub async fn login_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let none = view_users::any(&s.db)
        .await
        .map(|any| !any)
        .unwrap_or(false);
    let note = if none { Note::NoUsers } else { Note::None };
    form(&s, lang(&headers), note, "", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct Login {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn login(
    State(s): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<Login>,
) -> Response {
    let l = lang(&headers);
    let posted = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if posted.is_empty() || !bool::from(posted.as_bytes().ct_eq(f.csrf.as_bytes())) {
        return form(&s, l, Note::Expired, &f.user, StatusCode::FORBIDDEN);
    }
    let now = (s.clock)();
    let mut keys = vec![Key::account(&f.user)];
    keys.extend(client.0.map(Key::address));
    let begun = match throttle::begin(&s.db, &keys, now).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if let Err(wait) = begun {
        s.metrics.login_failures.inc();
        return form(
            &s,
            l,
            Note::Throttled(wait.secs()),
            &f.user,
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let account = match users::verify(&s.db, &f.user, &f.password).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let Some(account) = account else {
        s.metrics.login_failures.inc();
        audit::note(&s, Kind::LoginFailed, &f.user, client, "").await;
        return form(&s, l, Note::Wrong, &f.user, StatusCode::UNAUTHORIZED);
    };
    if let Err(e) = throttle::succeeded(&s.db, &keys).await {
        return e.into_response();
    }
    let old = cookie(&headers, SESSION_COOKIE);
    let (id, _) = match session::start(&s.db, account.id, old, now).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    audit::note(
        &s,
        Kind::Login,
        &account.name,
        client,
        account.role.as_str(),
    )
    .await;
    let mut r = Redirect::to("/").into_response();
    let h = r.headers_mut();
    for c in [
        session::set_cookie(&s, &id),
        format!(
            "{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0{}",
            session::secure(&s)
        ),
    ] {
        if let Ok(v) = c.parse() {
            h.append(header::SET_COOKIE, v);
        }
    }
    r
}

#[derive(Deserialize)]
pub struct Logout {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(s): State<AppState>,
    v: Viewer,
    client: Client,
    headers: HeaderMap,
    Form(f): Form<Logout>,
) -> Response {
    if !bool::from(v.csrf.as_bytes().ct_eq(f.csrf.as_bytes())) {
        return (
            StatusCode::FORBIDDEN,
            "logout: the form is stale; reload the page",
        )
            .into_response();
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = session::end(&s.db, id).await {
            return e.into_response();
        }
    }
    audit::note(&s, Kind::Logout, &v.account.name, client, "").await;
    (
        [(header::SET_COOKIE, session::clear_cookie(&s))],
        Redirect::to("/login"),
    )
        .into_response()
}
