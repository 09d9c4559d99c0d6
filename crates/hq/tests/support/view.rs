//! Signing in to the head-office view over plain HTTP, as a browser does:
//! the login form first (its CSRF token and cookie), then the post.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// A client that does not follow redirects (a login answers 303).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `name=value` of the `Set-Cookie` named `name`.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The login form's token and its cookie (`hq_login=…`).
pub async fn login_form(http: &reqwest::Client, base: &str) -> (String, String) {
    let r = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = set_cookie(&r, "hq_login").unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let page = r.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let token = page[at..at + page[at..].find('"').unwrap()].to_owned();
    (token, cookie)
}

/// Posts the login form with `headers` added; the answer.
pub async fn try_login_with(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let (token, cookie) = login_form(http, base).await;
    let mut req = http
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .form(&[("user", user), ("password", password), ("csrf", &token)]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

pub async fn try_login(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    try_login_with(http, base, user, password, &[]).await
}

/// Signs in; the session cookie (`hq_session=…`).
pub async fn login(http: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let r = try_login(http, base, user, password).await;
    assert_eq!(r.status(), 303, "login of {user}");
    let c = set_cookie(&r, "hq_session").unwrap();
    c.split(';').next().unwrap().to_owned()
}

/// GET `path` with the session `cookie`: (status, body).
pub async fn get(http: &reqwest::Client, base: &str, path: &str, cookie: &str) -> (u16, String) {
    let r = http
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}
