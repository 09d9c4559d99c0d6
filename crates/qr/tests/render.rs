//! Behaviour of the public API as the cashier app uses it: encode a codeUrl,
//! render it, and check that an independent decoder reads back the same URL.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use easyqr_qr::{
    png_data_url, QrCode, QrError, MAX_CODE_URL_BYTES, MAX_TARGET_PX, QUIET_ZONE_MODULES,
};
use image::GrayImage;

const LOCAL_URL: &str = "http://127.0.0.1:8790/pay/code/cod_0123456789abcdef01234567";
const PROD_URL: &str =
    "https://pay.elepay.io/code/cod_5f3a9c1e7b2d4a6f8e0c1b3d?appId=app_9e8d7c6b5a4f3e2d1c0b&lang=ja";

fn decode_png(png: &[u8]) -> GrayImage {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap();
    assert_eq!(img.color(), image::ColorType::L8, "8-bit greyscale PNG");
    img.into_luma8()
}

/// Reads a QR code out of a raster with rqrr, which shares no code with the encoder.
fn scan(img: &GrayImage) -> (rqrr::MetaData, String) {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    grids[0].decode().unwrap()
}

#[test]
fn png_round_trips_through_an_independent_decoder() {
    for url in [LOCAL_URL, PROD_URL] {
        assert!((58..=120).contains(&url.len()));
        let code = QrCode::encode(url).unwrap();
        let img = decode_png(&code.to_png(600).unwrap());
        let (meta, text) = scan(&img);
        assert_eq!(text, url);
        assert_eq!(meta.ecc_level, 0, "format bits 00 mean level M");
        assert_eq!(meta.version.to_size(), code.modules());
    }
}

#[test]
fn picks_the_smallest_version_that_fits_at_level_m() {
    for url in [LOCAL_URL, PROD_URL] {
        let code = QrCode::encode(url).unwrap();
        let version = (code.modules() - 17) / 4;
        assert!(version > 1, "these URLs do not fit version 1");
        let smaller = qrcode::Version::Normal(version as i16 - 1);
        assert!(
            qrcode::QrCode::with_version(url, smaller, qrcode::EcLevel::M).is_err(),
            "{url} would also fit version {}",
            version - 1
        );
    }
}

#[test]
fn png_quiet_zone_is_white_and_code_starts_right_after_it() {
    let code = QrCode::encode(PROD_URL).unwrap();
    let img = decode_png(&code.to_png(600).unwrap());
    let side = img.width();
    let ppm = side / (code.modules() as u32 + 2 * QUIET_ZONE_MODULES);
    let quiet = QUIET_ZONE_MODULES * ppm;
    for y in 0..side {
        for x in 0..side {
            let in_border = x < quiet || y < quiet || x >= side - quiet || y >= side - quiet;
            if in_border {
                assert_eq!(img.get_pixel(x, y).0[0], 255, "border pixel ({x},{y})");
            }
        }
    }
    // The finder patterns' outer corners sit exactly at the quiet zone's inner edge.
    for (x, y) in [
        (quiet, quiet),
        (side - quiet - 1, quiet),
        (quiet, side - quiet - 1),
    ] {
        assert_eq!(img.get_pixel(x, y).0[0], 0, "finder corner ({x},{y})");
    }
    // Only pure black and white: no anti-aliasing greys.
    assert!(img.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255));
}

#[test]
fn png_uses_whole_pixels_per_module_within_the_target() {
    let code = QrCode::encode(LOCAL_URL).unwrap();
    let total = code.modules() as u32 + 2 * QUIET_ZONE_MODULES;
    let mut previous = 0;
    for target in [total, 301, 600, 1080] {
        let img = decode_png(&code.to_png(target).unwrap());
        assert_eq!(img.width(), img.height(), "square");
        let side = img.width();
        assert!(side <= target, "{side} > {target}");
        assert_eq!(side % total, 0, "integer pixels per module at {target}");
        // The largest such size, not merely some size that fits.
        assert!(side + total > target, "{side} wastes space at {target}");
        assert!(side > previous, "a larger target gives a larger image");
        previous = side;
    }
}

#[test]
fn empty_code_url_is_rejected() {
    let err = QrCode::encode("").unwrap_err();
    assert!(matches!(err, QrError::EmptyData), "{err:?}");
    assert!(err.to_string().contains("codeUrl"));
    assert_eq!(err.code(), "qr_empty_data");
}

#[test]
fn too_long_code_url_names_the_limit() {
    let err = QrCode::encode(&"a".repeat(5000)).unwrap_err();
    assert!(
        matches!(
            err,
            QrError::DataTooLong {
                len: 5000,
                max: MAX_CODE_URL_BYTES
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("codeUrl") && msg.contains("2331"), "{msg}");
    assert_eq!(err.code(), "qr_data_too_long");
}

#[test]
fn byte_limit_is_exact() {
    let fits = "a".repeat(MAX_CODE_URL_BYTES);
    assert_eq!(QrCode::encode(&fits).unwrap().modules(), 177, "version 40");
    let too_long = "a".repeat(MAX_CODE_URL_BYTES + 1);
    assert!(matches!(
        QrCode::encode(&too_long),
        Err(QrError::DataTooLong { .. })
    ));
}

#[test]
fn tiny_target_names_target_px_and_the_minimum() {
    let code = QrCode::encode(LOCAL_URL).unwrap();
    let min = code.modules() as u32 + 2 * QUIET_ZONE_MODULES;
    let err = code.to_png(min - 1).unwrap_err();
    assert!(
        matches!(err, QrError::TargetTooSmall { target_px, min: m } if target_px == min - 1 && m == min),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("target_px") && msg.contains(&min.to_string()),
        "{msg}"
    );
    assert!(matches!(
        code.to_png(0),
        Err(QrError::TargetTooSmall { .. })
    ));
    // Exactly the minimum works, at one pixel per module.
    assert_eq!(decode_png(&code.to_png(min).unwrap()).width(), min);
}

#[test]
fn huge_target_is_refused_instead_of_allocating() {
    let code = QrCode::encode(LOCAL_URL).unwrap();
    let err = code.to_png(u32::MAX).unwrap_err();
    assert!(
        matches!(
            err,
            QrError::TargetTooLarge {
                max: MAX_TARGET_PX,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("target_px"));
}

#[test]
fn data_url_embeds_the_png() {
    let png = QrCode::encode(LOCAL_URL).unwrap().to_png(300).unwrap();
    let url = png_data_url(&png);
    let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(bytes, png);
}
