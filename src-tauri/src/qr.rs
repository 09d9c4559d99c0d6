//! The QR of a code, drawn once where it is shown: the cashier's thumbnail
//! and the customer display share one drawing per code.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Codes kept drawn: the one on screen plus a few recent ones (a retry, a
/// late event of the previous code).
const KEEP: usize = 4;

#[derive(Debug, Default)]
pub struct QrCache {
    drawn: Mutex<VecDeque<(String, String)>>,
}

impl QrCache {
    /// The QR of `code_url` as SVG (level M, quiet zone included).
    pub fn svg(&self, code_url: &str) -> Option<String> {
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, svg)) = drawn.iter().find(|(url, _)| url == code_url) {
            return Some(svg.clone());
        }
        let svg = match easyqr_qr::QrCode::encode(code_url) {
            Ok(qr) => qr.to_svg(),
            Err(e) => {
                tracing::error!(error = %e, "cannot draw the QR");
                return None;
            }
        };
        if drawn.len() == KEEP {
            drawn.pop_front();
        }
        drawn.push_back((code_url.to_owned(), svg.clone()));
        Some(svg)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_drawn_once_and_decodes_to_its_url() {
        let cache = QrCache::default();
        let url = "https://pay.example/code/cod_1";
        let a = cache.svg(url).unwrap();
        assert!(a.starts_with("<svg") && a.contains("<path"));
        assert_eq!(cache.svg(url).unwrap(), a);
        assert_eq!(cache.drawn.lock().unwrap().len(), 1, "drawn once");
        for i in 0..KEEP + 2 {
            cache.svg(&format!("{url}{i}"));
        }
        assert_eq!(cache.drawn.lock().unwrap().len(), KEEP);
    }
}
