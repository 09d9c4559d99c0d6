//! Product bar: QR encode + render <= 2 ms for a realistic codeUrl.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use easyqr_qr::QrCode;

const CODE_URL: &str =
    "https://pay.elepay.io/code/cod_5f3a9c1e7b2d4a6f8e0c1b3d?appId=app_9e8d7c6b5a4f3e2d1c0b&lang=ja";

fn bench(c: &mut Criterion) {
    c.bench_function("encode + render PNG 600px", |b| {
        b.iter(|| {
            QrCode::encode(black_box(CODE_URL))
                .and_then(|code| code.to_png(600))
                .map(|png| png.len())
        })
    });
    c.bench_function("encode + render SVG", |b| {
        b.iter(|| QrCode::encode(black_box(CODE_URL)).map(|code| code.to_svg().len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
