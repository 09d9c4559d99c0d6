//! The head-office (HQ) link's setting: where HQ is. The enrolment token is
//! a secret and lives in the secret store ([`crate::secrets::HqTokenStore`]);
//! this is only the address, which the owner may read in `settings.json`.

use serde::{Deserialize, Serialize};
use url::Url;

use super::FieldError;

/// `hq` in `settings.json`. Missing in files written before the HQ link
/// existed, hence `default`: such a register is simply not enrolled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HqSettings {
    /// HQ's base address, e.g. `https://hq.example.jp`; `None`: not enrolled.
    pub url: Option<String>,
    /// The ledger the enrolment reports, `test` or `live` (the key's mode
    /// when it was made): another mode's sales never reach that HQ
    /// register's copy. `None` in enrolments made before it was kept: live.
    pub mode: Option<String>,
}

/// What `hq.mode` may be.
pub const HQ_MODE_ALLOWED: &str = "test or live (the mode the register was enrolled in)";

/// What `hq.url` may be, in the owner's words.
pub const HQ_URL_ALLOWED: &str = "empty (no head office), or an https:// address such as https://hq.example.jp (http:// only for this computer or a private network address such as 192.168.1.10) — no user name or password, no ?query and no #fragment";

impl HqSettings {
    /// The URL, checked, as the base the register's calls are joined to
    /// (always ending in `/`, so `https://hq.example.jp/brand` keeps its path).
    pub fn base_url(&self) -> Result<Option<Url>, FieldError> {
        self.url.as_deref().map(hq_base_url).transpose()
    }

    /// The mode whose ledger the enrolment reports (`test` or `live`).
    pub fn enrolled_mode(&self) -> &str {
        self.mode.as_deref().unwrap_or("live")
    }

    pub(super) fn validate(&self, errs: &mut Vec<FieldError>) {
        if let Err(e) = self.base_url() {
            errs.push(e);
        }
        if !matches!(self.mode.as_deref(), None | Some("test" | "live")) {
            errs.push(FieldError::new("hq.mode", HQ_MODE_ALLOWED));
        }
    }
}

/// Checks an HQ address and makes it a base URL. A token in the address
/// (userinfo, query) would end up in logs and proxies, so neither is allowed:
/// the token goes in the `Authorization` header only.
pub fn hq_base_url(raw: &str) -> Result<Url, FieldError> {
    let bad = || FieldError::new("hq.url", HQ_URL_ALLOWED);
    let mut u = Url::parse(raw.trim()).map_err(|_| bad())?;
    let scheme_ok = match u.scheme() {
        "https" => true,
        // The token and the journal cross the network in the clear over
        // http: only where that network is the store's own.
        "http" => u.host().is_some_and(|h| private_host(&h)),
        _ => false,
    };
    let ok = scheme_ok
        && u.host_str().is_some_and(|h| !h.is_empty())
        && u.username().is_empty()
        && u.password().is_none()
        && u.query().is_none()
        && u.fragment().is_none();
    if !ok {
        return Err(bad());
    }
    if !u.path().ends_with('/') {
        let path = format!("{}/", u.path());
        u.set_path(&path);
    }
    Ok(u)
}

/// This computer, or an address of a private network (RFC 1918, unique
/// local, link-local).
fn private_host(h: &url::Host<&str>) -> bool {
    match h {
        url::Host::Domain(d) => *d == "localhost",
        url::Host::Ipv4(a) => a.is_loopback() || a.is_private() || a.is_link_local(),
        url::Host::Ipv6(a) => {
            a.is_loopback() || (a.segments()[0] & 0xfe00) == 0xfc00 || a.is_unicast_link_local()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn good_addresses_become_bases_ending_in_a_slash() {
        for (raw, base) in [
            ("https://hq.example.jp", "https://hq.example.jp/"),
            (" http://127.0.0.1:8800/ ", "http://127.0.0.1:8800/"),
            ("http://192.168.1.10:8800", "http://192.168.1.10:8800/"),
            ("http://localhost:8800", "http://localhost:8800/"),
            ("http://[fd00::1]:8800", "http://[fd00::1]:8800/"),
            ("https://example.jp/brand", "https://example.jp/brand/"),
        ] {
            assert_eq!(hq_base_url(raw).unwrap().as_str(), base);
        }
        let base = hq_base_url("https://example.jp/brand").unwrap();
        assert_eq!(
            base.join("api/register/me").unwrap().as_str(),
            "https://example.jp/brand/api/register/me"
        );
    }

    #[test]
    fn bad_addresses_name_the_field_and_what_is_allowed() {
        for raw in [
            "",
            "hq.example.jp",
            "ftp://hq.example.jp",
            "https://user:pw@hq.example.jp",
            "https://tok@hq.example.jp",
            "https://hq.example.jp/?token=abc",
            "https://hq.example.jp/#x",
            "file:///etc/passwd",
            // The token would cross the internet in the clear.
            "http://hq.example.jp",
            "http://203.0.113.7:8800",
        ] {
            let e = hq_base_url(raw).unwrap_err();
            assert_eq!(e.field, "hq.url", "{raw}");
            assert!(e.allowed.contains("https://"), "{raw}");
            assert!(!e.to_string().contains("abc") && !e.to_string().contains("pw"));
        }
    }

    #[test]
    fn settings_validate_and_sanitize_the_hq_url() {
        let mut s = Settings::default();
        s.hq.url = Some("https://hq.example.jp?token=1".into());
        let errs = s.validate().unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field).collect::<Vec<_>>(), ["hq.url"]);
        let (fixed, reset) = s.sanitized();
        assert_eq!(fixed.hq.url, None);
        assert_eq!(reset.len(), 1);
    }

    #[test]
    fn a_settings_file_from_before_hq_loads_unenrolled() {
        let s: Settings =
            serde_json::from_str(r#"{"storeName":"Shop","registerId":"S01R1"}"#).unwrap();
        assert_eq!(s.hq, HqSettings::default());
        let s: Settings =
            serde_json::from_str(r#"{"hq":{"url":"https://hq.example.jp"}}"#).unwrap();
        assert_eq!(s.hq.url.as_deref(), Some("https://hq.example.jp"));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["hq"]["url"], "https://hq.example.jp");
        assert_eq!(
            s.hq.enrolled_mode(),
            "live",
            "enrolled before modes were kept"
        );
    }

    #[test]
    fn the_enrolled_mode_is_test_or_live() {
        let mut s = Settings::default();
        s.hq.url = Some("https://hq.example.jp".into());
        s.hq.mode = Some("test".into());
        assert!(s.validate().is_ok());
        assert_eq!(s.hq.enrolled_mode(), "test");
        s.hq.mode = Some("demo".into());
        let errs = s.validate().unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["hq.mode"]
        );
        let (fixed, _) = s.sanitized();
        assert_eq!(fixed.hq, HqSettings::default(), "no enrolment is half kept");
    }
}
