//! Takes libpq's TLS settings (`sslmode`, `sslrootcert`) out of a database
//! URL, in either of libpq's forms (`postgres://…?sslmode=…` or
//! `key=value …`), and hands the rest to `tokio_postgres`, which knows
//! neither `verify-ca`, `verify-full` nor `sslrootcert`.
//!
//! Error texts never quote the URL: it carries the database password.

use crate::error::HqError;

/// The TLS settings found and the URL without them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub rest: String,
}

pub fn split(url: &str) -> Result<Split, HqError> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        split_uri(url)
    } else {
        split_key_values(url)
    }
}

fn unreadable(why: &str) -> HqError {
    HqError::Config(format!("database URL does not read: {why}"))
}

fn take(out: &mut Split, key: &str, value: String) -> bool {
    match key {
        "sslmode" => out.sslmode = Some(value),
        "sslrootcert" => out.sslrootcert = Some(value),
        _ => return false,
    }
    true
}

fn split_uri(url: &str) -> Result<Split, HqError> {
    let mut out = Split::default();
    let Some((base, query)) = url.split_once('?') else {
        out.rest = url.to_owned();
        return Ok(out);
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !take(&mut out, &percent_decode(key)?, percent_decode(value)?) {
            kept.push(pair);
        }
    }
    out.rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, HqError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    unreadable("a % in its parameters is not followed by two hex digits")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| unreadable("its parameters are not UTF-8"))
}

/// libpq's `key = value` form: values are bare (backslash escapes) or
/// single-quoted (backslash escapes). What is kept is written back quoted.
fn split_key_values(s: &str) -> Result<Split, HqError> {
    let mut out = Split::default();
    let mut kept = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = it.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        if key.is_empty() {
            if it.peek().is_some() {
                return Err(unreadable("a parameter has no name"));
            }
            break;
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.next() != Some('=') {
            // Not named: a stray word may be half of an unquoted password.
            return Err(unreadable("a word is not a key=value parameter"));
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = it.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        loop {
            match it.next() {
                Some('\'') if quoted => break,
                Some('\\') => value.extend(it.next()),
                Some(c) if !quoted && c.is_whitespace() => break,
                Some(c) => value.push(c),
                None if quoted => {
                    return Err(unreadable(&format!(
                        "the value of {key:?} has no closing quote"
                    )))
                }
                None => break,
            }
        }
        if !take(&mut out, &key, value.clone()) {
            let escaped = value.replace('\\', "\\\\").replace('\'', "\\'");
            kept.push(format!("{key}='{escaped}'"));
        }
    }
    out.rest = kept.join(" ");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_settings_leave_the_uri_form() {
        let s = split("postgres://hq:p%40ss@db.example:5432/hq?sslmode=verify-full&application_name=hq&sslrootcert=%2Fetc%2Fca.pem").unwrap();
        assert_eq!(s.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(s.sslrootcert.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(
            s.rest,
            "postgres://hq:p%40ss@db.example:5432/hq?application_name=hq"
        );
        let s = split("postgresql://db/hq?sslmode=require").unwrap();
        assert_eq!(s.rest, "postgresql://db/hq");
        let s = split("postgres://db/hq").unwrap();
        assert_eq!((s.sslmode, s.rest.as_str()), (None, "postgres://db/hq"));
        assert!(split("postgres://db/hq?sslmode=%zz").is_err());
    }

    #[test]
    fn tls_settings_leave_the_key_value_form() {
        let s = split(r"host=db port = 5433 password='it\'s a \\secret' sslmode=verify-ca sslrootcert='/etc/my ca.pem' dbname=hq")
            .unwrap();
        assert_eq!(s.sslmode.as_deref(), Some("verify-ca"));
        assert_eq!(s.sslrootcert.as_deref(), Some("/etc/my ca.pem"));
        assert_eq!(
            s.rest,
            r"host='db' port='5433' password='it\'s a \\secret' dbname='hq'"
        );
        let cfg: tokio_postgres::Config = s.rest.parse().unwrap();
        assert_eq!(cfg.get_password(), Some(&b"it's a \\secret"[..]));
        assert_eq!(cfg.get_ports(), &[5433]);
    }

    #[test]
    fn unreadable_urls_are_refused_without_quoting_them() {
        let e = split("host=db password='hunter2").unwrap_err().to_string();
        assert!(e.contains("closing quote") && !e.contains("hunter2"), "{e}");
        let e = split("host=db password=correct horse")
            .unwrap_err()
            .to_string();
        assert!(e.contains("key=value") && !e.contains("horse"), "{e}");
    }
}
