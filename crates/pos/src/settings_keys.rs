//! Settings by key, for scripts (`easyqr-cli settings get/set`): a key is
//! the settings file's JSON path, dotted (`invoice.registrationNumber`); a
//! value is checked by the app's own rules ([`Settings::validate`]) before
//! anything is written, and written only while the app is not running.

use std::path::Path;

use easyqr_app_core::settings::{Settings, SettingsStore};
use serde_json::Value;

use crate::config::app_lock;
use crate::error::{ErrorCode, PosError, Result};

/// Keys only other commands change (enrolment, the secret store).
const NOT_HERE: &[(&str, &str)] = &[
    (
        "hq",
        "the head-office link is changed by enrolment: easyqr-cli hq enrol / unenrol",
    ),
    (
        "webhook.secretCount",
        "webhook signing secrets are kept in the key store",
    ),
];

/// The value at `key` (or every setting, with no key).
pub fn get(settings: &Settings, key: Option<&str>) -> Result<Value> {
    let all = to_value(settings)?;
    match key {
        None => Ok(all),
        Some(k) => lookup(&all, k).cloned(),
    }
}

/// Sets `key` to `text` in the data folder's settings, checked by the
/// app's rules and refused while the app runs. Answers the settings as
/// saved and anything a person should check (warnings).
pub fn set(data_dir: &Path, key: &str, text: &str) -> Result<(Settings, Vec<easyqr_tax::Warning>)> {
    if let Some((_, why)) = NOT_HERE
        .iter()
        .find(|(k, _)| key == *k || key.starts_with(&format!("{k}.")))
    {
        return Err(PosError::invalid(key, format!("{key}: {why}")));
    }
    let _app = app_lock(data_dir)?;
    let store = SettingsStore::new(data_dir);
    let loaded = store
        .load()
        .map_err(|e| PosError::new(ErrorCode::SettingsIo, e.to_string()))?;
    let mut all = to_value(&loaded.settings)?;
    let slot = lookup_mut(&mut all, key)?;
    *slot = value_like(slot, key, text)?;
    let mut new: Settings = serde_json::from_value(all).map_err(|e| {
        PosError::invalid(
            key,
            format!(
                "{key}: {}",
                e.to_string().split(" at line").next().unwrap_or_default()
            ),
        )
    })?;
    new.normalize();
    if let Err(errors) = new.validate() {
        let mine = errors.iter().find(|e| e.field == key).or(errors.first());
        let e = mine.map(|e| (e.field, e.to_string())).unwrap_or_default();
        return Err(PosError::invalid(e.0, e.1));
    }
    store
        .save(&new)
        .map_err(|e| PosError::new(ErrorCode::SettingsNotSaved, e.to_string()))?;
    let warnings = new.warnings();
    Ok((new, warnings))
}

fn to_value(s: &Settings) -> Result<Value> {
    serde_json::to_value(s).map_err(|e| PosError::new(ErrorCode::Internal, e.to_string()))
}

fn unknown(key: &str) -> PosError {
    PosError::invalid(
        key,
        format!("{key}: no such setting (easyqr-cli settings get lists them; keys are dotted, e.g. invoice.registrationNumber)"),
    )
}

fn lookup<'a>(v: &'a Value, key: &str) -> Result<&'a Value> {
    key.split('.')
        .try_fold(v, |v, part| v.get(part))
        .ok_or_else(|| unknown(key))
}

fn lookup_mut<'a>(v: &'a mut Value, key: &str) -> Result<&'a mut Value> {
    let slot = key
        .split('.')
        .try_fold(v, |v, part| v.get_mut(part))
        .ok_or_else(|| unknown(key))?;
    if slot.is_object() {
        return Err(PosError::invalid(
            key,
            format!("{key}: a section; set one of its keys"),
        ));
    }
    Ok(slot)
}

/// `text` as the kind of value `key` holds: a number, true/false, or text
/// ("" clears an optional one).
fn value_like(old: &Value, key: &str, text: &str) -> Result<Value> {
    let bad = |what: &str| PosError::invalid(key, format!("{key}: {what}, not {text:?}"));
    Ok(match old {
        Value::Number(_) => text
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| bad("a whole number"))?,
        Value::Bool(_) => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Value::Null if text.trim().is_empty() => Value::Null,
        Value::Null => match text.trim().parse::<u64>() {
            Ok(n) if key == "customerMonitor" => Value::from(n),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_dotted_paths_checked_by_the_apps_rules() {
        let dir = tempfile::tempdir().unwrap();
        let (s, w) = set(dir.path(), "invoice.registrationNumber", "t7000-0120-50002").unwrap();
        assert_eq!(s.invoice.registration_number, "T7000012050002");
        assert!(w.is_empty());
        let (_, w) = set(dir.path(), "invoice.registrationNumber", "T1000012050002").unwrap();
        assert_eq!(w.len(), 1, "a check-digit mismatch is warned about");
        let e = set(dir.path(), "invoice.registrationNumber", "T123").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("invoice.registrationNumber"));
        // Refused: the value kept is the last good one.
        let kept = SettingsStore::new(dir.path()).load().unwrap().settings;
        assert_eq!(kept.invoice.registration_number, "T1000012050002");
        for (key, value) in [
            ("tax.rounding", "bankers"),
            ("tax.defaultRate", "10"),
            ("printer.width", "60"),
            ("printer.width", "wide"),
            ("printer.url", "http://printer"),
            ("receipt.autoPrint", "sometimes"),
            ("expiryMinutes", "99"),
        ] {
            let e = set(dir.path(), key, value).unwrap_err();
            assert_eq!(
                e.field.as_deref(),
                Some(key),
                "{key}={value}: {}",
                e.message
            );
        }
        set(dir.path(), "printer.width", "58").unwrap();
        set(dir.path(), "tax.pricing", "excluded").unwrap();
        let (s, _) = set(dir.path(), "printer.url", "tcp://192.168.1.50:9100").unwrap();
        assert_eq!(get(&s, Some("printer.width")).unwrap(), Value::from(58));
        assert_eq!(
            get(&s, Some("tax.pricing")).unwrap(),
            Value::from("excluded")
        );
        for key in ["nope", "invoice.nope", "invoice", "hq.url"] {
            assert_eq!(
                set(dir.path(), key, "x").unwrap_err().field.as_deref(),
                Some(key)
            );
        }
        assert!(get(&s, Some("invoice.nope")).is_err());
        // Refused while the app holds the data folder.
        let _app = app_lock(dir.path()).unwrap();
        let e = set(dir.path(), "storeName", "渋谷店").unwrap_err();
        assert_eq!(e.code, ErrorCode::AlreadyRunning);
    }
}
