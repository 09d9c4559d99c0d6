//! A job as the printer would put it on 80 mm paper, as a PNG.

use std::io;
use std::path::Path;
use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, ImageFormat, Luma};

use super::model::{char_columns, Align, Job, PrintedLine};

/// Printable width of 80 mm paper at 203 dpi.
const PAPER_DOTS: u32 = 576;
/// One half-width column (Font A is 12 × 24 dots).
const COLUMN_DOTS: u32 = 12;
/// Glyph em size at size 1 (a full-width character is 24 × 24 dots).
const FONT_PX: f32 = 24.0;
/// Line pitch at size 1 (24 dots of character plus the default spacing).
const LINE_PX: u32 = 30;
/// Ideographic ascent of Noto Sans CJK, as a fraction of the em.
const ASCENT: f32 = 0.88;
const MARGIN_TOP: u32 = 12;
const MARGIN_BOTTOM: u32 = 24;
/// Debian's `fonts-noto-cjk`; face 0 of the collection is Noto Sans CJK JP.
const FONT_PATH: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const FONT_INDEX: u32 = 0;

const WHITE: Luma<u8> = Luma([255]);
const BLACK: Luma<u8> = Luma([0]);

impl Job {
    /// Writes the job as a 576-dot-wide PNG: lines aligned and sized as
    /// printed (too-long lines wrap as on paper), a dashed line if cut.
    /// Without the Noto CJK font each character is drawn as a box.
    pub fn render_png(&self, path: &Path) -> io::Result<()> {
        render(self)
            .save_with_format(path, ImageFormat::Png)
            .map_err(|e| match e {
                image::ImageError::IoError(e) => e,
                other => io::Error::other(other),
            })
    }
}

/// The font, read once per process; `None` if missing or unreadable.
fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| {
        // Leaked once per process (19 MB) so the font can be borrowed for 'static.
        let data: &'static [u8] = Vec::leak(std::fs::read(FONT_PATH).ok()?);
        FontRef::try_from_slice_and_index(data, FONT_INDEX).ok()
    })
    .as_ref()
}

/// One row of paper: a line, or the part of a long line that fits.
struct Row<'a> {
    line: &'a PrintedLine,
    chars: Vec<char>,
}

fn char_dots(c: char, line: &PrintedLine) -> u32 {
    // At most 2 columns × 8: the cast cannot truncate.
    char_columns(c) as u32 * COLUMN_DOTS * u32::from(line.width.max(1))
}

/// Splits lines wider than the paper as the printer wraps them.
fn rows(job: &Job) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    for line in &job.lines {
        let mut row = Row {
            line,
            chars: Vec::new(),
        };
        let mut used = 0;
        for c in line.text.chars() {
            let dots = char_dots(c, line);
            if used + dots > PAPER_DOTS && !row.chars.is_empty() {
                rows.push(row);
                row = Row {
                    line,
                    chars: Vec::new(),
                };
                used = 0;
            }
            row.chars.push(c);
            used += dots;
        }
        rows.push(row);
    }
    rows
}

fn render(job: &Job) -> GrayImage {
    let rows = rows(job);
    let text_height: u32 = rows.iter().map(|r| row_height(r.line)).sum();
    let height = MARGIN_TOP + text_height + MARGIN_BOTTOM;
    let mut img = GrayImage::from_pixel(PAPER_DOTS, height, WHITE);
    let mut top = MARGIN_TOP;
    for row in &rows {
        draw_row(&mut img, row, top);
        top += row_height(row.line);
    }
    if job.cut {
        let y = height - MARGIN_BOTTOM / 2;
        for x in (0..PAPER_DOTS).filter(|x| x % 12 < 8) {
            img.put_pixel(x, y, BLACK);
            img.put_pixel(x, y + 1, BLACK);
        }
    }
    img
}

fn row_height(line: &PrintedLine) -> u32 {
    LINE_PX * u32::from(line.height.max(1))
}

fn draw_row(img: &mut GrayImage, row: &Row<'_>, top: u32) {
    let line = row.line;
    let width: u32 = row.chars.iter().map(|&c| char_dots(c, line)).sum();
    let free = PAPER_DOTS.saturating_sub(width);
    let mut x = match line.align {
        Align::Left => 0,
        Align::Center => free / 2,
        Align::Right => free,
    };
    let h = f32::from(line.height.max(1));
    let em_top = top as f32 + (LINE_PX as f32 - FONT_PX) / 2.0 * h;
    let baseline = em_top + ASCENT * FONT_PX * h;
    for &c in &row.chars {
        let cell = char_dots(c, line);
        if !c.is_whitespace() {
            let drawn = font().is_some_and(|f| draw_glyph(img, f, c, line, x, cell, baseline));
            if !drawn {
                draw_box(img, x, cell, em_top, FONT_PX * h);
            }
        }
        x += cell;
    }
    if line.underline {
        let y = (baseline + 2.0 * h) as u32;
        for px in x.saturating_sub(width)..x.min(PAPER_DOTS) {
            for dy in 0..2 {
                put_black(img, px, y + dy);
            }
        }
    }
}

/// Draws `c` centred in its cell, squeezed to fit; false if the font has
/// no glyph for it.
fn draw_glyph(
    img: &mut GrayImage,
    font: &FontRef<'_>,
    c: char,
    line: &PrintedLine,
    x: u32,
    cell: u32,
    baseline: f32,
) -> bool {
    let id = font.glyph_id(c);
    if id.0 == 0 {
        return false;
    }
    // ab_glyph's scale is the height of ascent - descent, not the em.
    let em = font.height_unscaled() / font.units_per_em().unwrap_or(1000.0);
    let mut scale = PxScale {
        x: FONT_PX * em * f32::from(line.width.max(1)),
        y: FONT_PX * em * f32::from(line.height.max(1)),
    };
    let mut advance = font.as_scaled(scale).h_advance(id);
    if advance > cell as f32 {
        scale.x *= cell as f32 / advance;
        advance = cell as f32;
    }
    let left = x as f32 + (cell as f32 - advance) / 2.0;
    let Some(outline) =
        font.outline_glyph(id.with_scale_and_position(scale, point(left, baseline)))
    else {
        return true; // a glyph with no outline prints nothing
    };
    let bounds = outline.px_bounds();
    let passes = if line.bold { 2 } else { 1 };
    outline.draw(|gx, gy, coverage| {
        for pass in 0..passes {
            let px = bounds.min.x as i64 + i64::from(gx) + pass;
            let py = bounds.min.y as i64 + i64::from(gy);
            blend(img, px, py, coverage);
        }
    });
    true
}

/// Darkens a pixel by `coverage` (0..=1), never lightening it.
fn blend(img: &mut GrayImage, x: i64, y: i64, coverage: f32) {
    let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
        return;
    };
    if x >= img.width() || y >= img.height() {
        return;
    }
    let ink = (255.0 * (1.0 - coverage.clamp(0.0, 1.0))) as u8;
    let pixel = img.get_pixel_mut(x, y);
    pixel.0[0] = pixel.0[0].min(ink);
}

fn put_black(img: &mut GrayImage, x: u32, y: u32) {
    blend(img, i64::from(x), i64::from(y), 1.0);
}

/// The fallback: an outlined box per character.
fn draw_box(img: &mut GrayImage, x: u32, cell: u32, top: f32, height: f32) {
    let (x0, x1) = (x + 2, (x + cell).saturating_sub(2));
    let (y0, y1) = (top as u32 + 2, (top + height) as u32 - 2);
    for px in x0..=x1 {
        put_black(img, px, y0);
        put_black(img, px, y1);
    }
    for py in y0..=y1 {
        put_black(img, x0, py);
        put_black(img, x1, py);
    }
}
