//! The UI decides nothing (issue 23): every input and money rule lives in
//! Rust, the pages only draw what it sends. This test reads `ui/` and fails
//! when a rule creeps back in: a limit-like number, a `validate` function, a
//! browser-enforced limit in markup, a second backend, or a command that is
//! not one of the app's own (`generate_handler!` in `src-tauri/src/lib.rs`).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every file under `ui/` ending in `ext`, with its text.
fn files(ext: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join("ui")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.strip_prefix(root()).unwrap().display().to_string();
                out.push((name, text));
            }
        }
    }
    assert!(!out.is_empty(), "no .{ext} files under ui/");
    out
}

/// The JS without its comments, so a comment may name a rule.
fn code_of(js: &str) -> String {
    let mut out = String::new();
    let mut rest = js;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else if rest.starts_with("//") && !out.ends_with(':') {
            rest = rest.find('\n').map_or("", |i| &rest[i..]);
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Numbers written in the code, separators (`_`, a `,` before three
/// digits) removed.
fn numbers(code: &str) -> Vec<String> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut n = String::new();
        while i < b.len() {
            let group = b[i] == b','
                && b.len() > i + 3
                && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
                && !b.get(i + 4).is_some_and(u8::is_ascii_digit);
            if b[i].is_ascii_digit() {
                n.push(b[i] as char);
            } else if b[i] != b'_' && !group {
                break;
            }
            i += 1;
        }
        out.push(n);
    }
    out
}

#[test]
fn no_limit_or_validation_in_the_ui_js() {
    let mut found = Vec::new();
    for (name, text) in files("js") {
        let code = code_of(&text);
        for n in numbers(&code) {
            // A yen limit (¥9,999,999, ¥99,999,999, …) or a run of nines
            // (999, 9999…) is a rule: it comes from app_info.limits.
            let nines = n.len() >= 3 && n.chars().all(|c| c == '9');
            if n.len() >= 7 || nines {
                found.push(format!("{name}: the number {n}"));
            }
        }
        for word in ["validate", "function valid", "isValid", "checkValidity"] {
            if code.contains(word) {
                found.push(format!("{name}: `{word}`"));
            }
        }
    }
    assert!(found.is_empty(), "rules in ui/js: {found:#?}");
}

#[test]
fn the_markup_leaves_limits_to_rust() {
    let mut found = Vec::new();
    for (name, text) in files("html") {
        for attr in [
            " maxlength=",
            " minlength=",
            " min=",
            " max=",
            " pattern=",
            " required",
        ] {
            if text.contains(attr) {
                found.push(format!("{name}:{}", attr.trim_end_matches('=')));
            }
        }
    }
    assert!(found.is_empty(), "browser-enforced limits: {found:?}");
}

/// The commands the app registers, from `generate_handler![...]`.
fn registered_commands() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(root().join("src-tauri/src/lib.rs")).unwrap();
    let start = lib.find("generate_handler![").unwrap() + "generate_handler![".len();
    let list = &lib[start..start + lib[start..].find(']').unwrap()];
    list.split(',')
        .map(|p| p.trim().rsplit("::").next().unwrap().to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn there_is_no_second_backend_and_every_command_is_the_apps() {
    assert!(
        !root().join("ui/js/fake-backend.js").exists(),
        "previews run the real app in DEMO"
    );
    let registered = registered_commands();
    assert!(registered.contains("charge") && registered.contains("customer_state"));
    let mut called = BTreeSet::new();
    for (name, text) in files("js").into_iter().chain(files("html")) {
        assert!(!text.contains("fake-backend"), "{name} names fake-backend");
        for quote in ["call('", "subscribe('"] {
            for (i, _) in text.match_indices(quote) {
                let rest = &text[i + quote.len()..];
                called.insert(rest[..rest.find('\'').unwrap()].to_owned());
            }
        }
    }
    let unknown: Vec<_> = called.difference(&registered).collect();
    assert!(unknown.is_empty(), "called but not registered: {unknown:?}");
}

/// The retry and cancel buttons and the customer display draw Rust's
/// decisions.
#[test]
fn screens_draw_what_rust_decided() {
    let js = |f: &str| code_of(&std::fs::read_to_string(root().join("ui/js").join(f)).unwrap());
    let payments = js("payments.js");
    assert!(payments.contains("#pay-retry').hidden = !a.retryable"));
    assert!(payments.contains("#pay-cancel').hidden = !a.cancellable"));
    assert!(
        !payments.contains("state !== 'pending' ||"),
        "whether a code may be cancelled is Rust's (`cancellable`)"
    );
    assert!(
        !payments.contains("=== 'pending'") && !payments.contains("!== 'pending'"),
        "whether a code is live (its QR, its countdown) is Rust's (`showsCode`)"
    );
    assert!(
        !payments.contains("'burned', 'rejected'"),
        "which states are final is Rust's (`final`)"
    );
    let customer = js("customer.js");
    for rule in [
        "BACK_TO_IDLE",
        "finishedCodes",
        "accepts(",
        "setTimeout(() => show",
    ] {
        assert!(
            !customer.contains(rule),
            "customer.js decides its screen: {rule}"
        );
    }
}

#[test]
fn the_scanner_sees_what_it_looks_for() {
    let code =
        code_of("const MAX = 9_999_999; // 99999999\nlet q = 999; f(1,2); x9999999; '¥9,999,999'");
    assert_eq!(numbers(&code), ["9999999", "999", "1", "2", "9999999"]);
}
