//! Turns an elepay EasyQR `codeUrl` into a QR code image for the
//! customer-facing display: a PNG (for a fixed-size `<img>`) or an SVG (which
//! scales to any screen without blurring).
//!
//! Rendering is deliberately plain: black modules on white, integer pixels per
//! module and a full quiet zone, because phone cameras scanning a monitor cope
//! worst with anti-aliased edges and codes that touch other content.

use std::fmt;
use std::fmt::Write as _;

use base64::Engine as _;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use qrcode::types::QrError as EncoderError;
use qrcode::{Color, EcLevel};

/// Light border around the code, in modules. ISO/IEC 18004 asks for 4; scanners
/// find the finder patterns far less reliably when surrounding UI is closer.
pub const QUIET_ZONE_MODULES: u32 = 4;

/// Most bytes a QR code (version 40) holds at error-correction level M in byte
/// mode. Shorter inputs always fit; longer ones never do for URL-like text.
pub const MAX_CODE_URL_BYTES: usize = 2331;

/// Upper bound on `target_px`, so a bad caller value cannot make us allocate
/// gigabytes (8192² grey pixels is 64 MiB, beyond any real display).
pub const MAX_TARGET_PX: u32 = 8192;

/// What went wrong turning a `codeUrl` into an image.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("codeUrl is empty; there is nothing to encode")]
    EmptyData,
    #[error(
        "codeUrl is {len} bytes; a QR code at error-correction level M holds at most {max} bytes"
    )]
    DataTooLong { len: usize, max: usize },
    /// The encoder refused the data for another reason (not expected for
    /// automatic mode selection, but not worth a panic either).
    #[error("codeUrl could not be encoded as a QR code: {reason}")]
    Encoding { reason: String },
    #[error(
        "target_px {target_px} is too small: this code needs at least {min} px \
         (one pixel per module, quiet zone included)"
    )]
    TargetTooSmall { target_px: u32, min: u32 },
    #[error("target_px {target_px} is larger than the maximum of {max} px")]
    TargetTooLarge { target_px: u32, max: u32 },
    #[error("PNG encoding failed: {0}")]
    Png(#[from] image::ImageError),
}

impl QrError {
    /// Stable identifier for the UI, independent of the message wording.
    pub fn code(&self) -> &'static str {
        match self {
            QrError::EmptyData => "qr_empty_data",
            QrError::DataTooLong { .. } => "qr_data_too_long",
            QrError::Encoding { .. } => "qr_encoding_failed",
            QrError::TargetTooSmall { .. } => "qr_target_too_small",
            QrError::TargetTooLarge { .. } => "qr_target_too_large",
            QrError::Png(_) => "qr_png_failed",
        }
    }
}

/// An encoded QR code, ready to render.
///
/// Error-correction level M (15 %): screens do not get dirty or creased, so
/// a lower level keeps modules large (easier to scan from a phone at arm's
/// length). The smallest version that fits is chosen, for the same reason.
#[derive(Clone, PartialEq, Eq)]
pub struct QrCode {
    /// Width (= height) in modules, without quiet zone.
    modules: usize,
    /// Row-major, `true` = dark module.
    dark: Vec<bool>,
}

impl fmt::Debug for QrCode {
    // The module matrix is thousands of booleans; the size is what helps in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrCode")
            .field("modules", &self.modules)
            .finish_non_exhaustive()
    }
}

impl QrCode {
    /// Encodes `data` (a `codeUrl`) at level M in the smallest version that fits.
    pub fn encode(data: &str) -> Result<QrCode, QrError> {
        if data.is_empty() {
            return Err(QrError::EmptyData);
        }
        let code =
            qrcode::QrCode::with_error_correction_level(data, EcLevel::M).map_err(|e| match e {
                EncoderError::DataTooLong => QrError::DataTooLong {
                    len: data.len(),
                    max: MAX_CODE_URL_BYTES,
                },
                other => QrError::Encoding {
                    reason: other.to_string(),
                },
            })?;
        let modules = code.width();
        let dark = code
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(QrCode { modules, dark })
    }

    /// Width in modules, without quiet zone (21 for version 1, +4 per version).
    pub fn modules(&self) -> usize {
        self.modules
    }

    /// Width in modules including the quiet zone on both sides.
    fn side_modules(&self) -> usize {
        self.modules + 2 * QUIET_ZONE_MODULES as usize
    }

    /// Renders a square 8-bit greyscale PNG, black on white, quiet zone
    /// included. The side is the largest multiple of the module count that is
    /// `<= target_px`, so every module is a whole number of pixels: a display
    /// shown at its natural size has crisp edges instead of blurred ones.
    pub fn to_png(&self, target_px: u32) -> Result<Vec<u8>, QrError> {
        if target_px > MAX_TARGET_PX {
            return Err(QrError::TargetTooLarge {
                target_px,
                max: MAX_TARGET_PX,
            });
        }
        // Fits in u32: modules <= 177 for version 40.
        let side_modules = self.side_modules() as u32;
        let scale = target_px / side_modules;
        if scale == 0 {
            return Err(QrError::TargetTooSmall {
                target_px,
                min: side_modules,
            });
        }
        let side = (side_modules * scale) as usize;
        let scale = scale as usize;
        let quiet_px = QUIET_ZONE_MODULES as usize * scale;

        let mut pixels = vec![WHITE; side * side];
        for (my, row_modules) in self.dark.chunks_exact(self.modules).enumerate() {
            // Build one pixel row for this module row, then repeat it `scale` times.
            let first = (quiet_px + my * scale) * side;
            let row = &mut pixels[first..first + side];
            for (mx, _) in row_modules.iter().enumerate().filter(|(_, d)| **d) {
                let x = quiet_px + mx * scale;
                row[x..x + scale].fill(BLACK);
            }
            for r in 1..scale {
                pixels.copy_within(first..first + side, first + r * side);
            }
        }

        let mut out = Vec::new();
        PngEncoder::new(&mut out).write_image(
            &pixels,
            side as u32,
            side as u32,
            ExtendedColorType::L8,
        )?;
        Ok(out)
    }

    /// Renders a scalable SVG: a white background and a single `<path>` with one
    /// rectangle per horizontal run of dark modules (`M{x},{y}h{n}v1h-{n}z`, in
    /// module units, quiet zone offset included). `crispEdges` keeps browsers
    /// from anti-aliasing the seams between adjacent runs.
    pub fn to_svg(&self) -> String {
        let side = self.side_modules();
        let q = QUIET_ZONE_MODULES as usize;
        let mut svg = String::with_capacity(256 + self.dark.len() * 4);
        // `write!` into a String cannot fail, so its Result is ignored below.
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d=""##
        );
        for (y, row) in self.dark.chunks_exact(self.modules).enumerate() {
            let mut x = 0;
            while x < row.len() {
                if !row[x] {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < row.len() && row[x] {
                    x += 1;
                }
                let n = x - start;
                let _ = write!(svg, "M{},{}h{n}v1h-{n}z", start + q, y + q);
            }
        }
        svg.push_str(r#""/></svg>"#);
        svg
    }
}

const WHITE: u8 = 0xff;
const BLACK: u8 = 0x00;

/// `data:image/png;base64,...` for an `<img src>` in the webview, so the image
/// needs no file on disk and no extra IPC round trip.
pub fn png_data_url(png: &[u8]) -> String {
    let mut url = String::from("data:image/png;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(png, &mut url);
    url
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const LOCAL_URL: &str = "http://127.0.0.1:8790/pay/code/cod_0123456789abcdef01234567";

    /// Reads the SVG path back into a module matrix (quiet zone included) by
    /// undoing the `M{x},{y}h{n}v1h-{n}z` format `to_svg` promises.
    fn svg_matrix(svg: &str, side: usize) -> Vec<bool> {
        const PATH_OPEN: &str = r##"<path fill="#000" d=""##;
        let start = svg.find(PATH_OPEN).unwrap() + PATH_OPEN.len();
        let d = &svg[start..start + svg[start..].find('"').unwrap()];
        let mut grid = vec![false; side * side];
        for cmd in d.split('z').filter(|c| !c.is_empty()) {
            let rest = cmd.strip_prefix('M').unwrap();
            let (x, rest) = rest.split_once(',').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (n, rest) = rest.split_once("v1h-").unwrap();
            assert_eq!(n, rest, "run must close back to its start: {cmd}");
            let (x, y, n): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
            assert!(
                n > 0 && x + n <= side && y < side,
                "run out of bounds: {cmd}"
            );
            for cell in &mut grid[y * side + x..y * side + x + n] {
                assert!(!*cell, "overlapping runs at {cmd}");
                *cell = true;
            }
        }
        grid
    }

    #[test]
    fn svg_path_reproduces_the_encoder_matrix() {
        let code = QrCode::encode(LOCAL_URL).unwrap();
        let svg = code.to_svg();
        let side = code.modules() + 8;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)));
        assert!(svg.contains(r#"shape-rendering="crispEdges""#));
        assert!(svg.contains(&format!(
            r##"<rect width="{side}" height="{side}" fill="#fff"/>"##
        )));
        assert_eq!(svg.matches("<path").count(), 1);

        let grid = svg_matrix(&svg, side);
        let q = QUIET_ZONE_MODULES as usize;
        for y in 0..side {
            for x in 0..side {
                let inside =
                    (q..q + code.modules()).contains(&x) && (q..q + code.modules()).contains(&y);
                let expected = inside && code.dark[(y - q) * code.modules() + (x - q)];
                assert_eq!(grid[y * side + x], expected, "module ({x},{y})");
            }
        }
    }

    #[test]
    fn svg_matrix_decodes_with_an_independent_reader() {
        let code = QrCode::encode(LOCAL_URL).unwrap();
        let side = code.modules() + 8;
        let grid = svg_matrix(&code.to_svg(), side);
        let q = QUIET_ZONE_MODULES as usize;
        let bits = rqrr::SimpleGrid::from_func(code.modules(), |x, y| grid[(y + q) * side + x + q]);
        let (meta, text) = rqrr::Grid::new(bits).decode().unwrap();
        assert_eq!(text, LOCAL_URL);
        assert_eq!(meta.ecc_level, 0, "format bits 00 mean level M");
    }

    #[test]
    fn debug_does_not_dump_the_matrix() {
        let code = QrCode::encode(LOCAL_URL).unwrap();
        let dbg = format!("{code:?}");
        assert!(dbg.starts_with("QrCode { modules: "), "{dbg}");
        assert!(!dbg.contains("true"));
    }
}
