//! Where the two windows go when there is only one screen (a laptop trying
//! DEMO, a register without a second display): side by side, the cashier on
//! the left, the customer display on the right, neither covering the other.
//! A pure function of the screen's work area so every size is tested
//! without a window system.

use serde::Serialize;

/// A rectangle in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    pub fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    pub fn overlaps(&self, other: &Rect) -> bool {
        i64::from(self.x) < other.right()
            && i64::from(other.x) < self.right()
            && i64::from(self.y) < other.bottom()
            && i64::from(other.y) < self.bottom()
    }

    pub fn contains(&self, other: &Rect) -> bool {
        self.x <= other.x
            && self.y <= other.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }
}

/// The cashier window's size when the screen allows it, and the least it
/// can be (the cashier layout needs it), in logical pixels.
pub const CASHIER_WIDTH: f64 = 1280.0;
pub const CASHIER_MIN_WIDTH: f64 = 1024.0;
/// The customer display, windowed: narrow is fine (amount above the QR),
/// but below this the QR gets too small to scan from a phone.
pub const CUSTOMER_MIN_WIDTH: f64 = 320.0;
pub const CUSTOMER_MAX_WIDTH: f64 = 800.0;

/// Outer rectangles (decorations included) for both windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SideBySide {
    pub cashier: Rect,
    pub customer: Rect,
    /// The screen is narrower than both minimums together: the customer
    /// display sits at the right edge over part of the cashier window.
    pub overlap: bool,
}

/// Splits `area` (a monitor's work area: panels and docks excluded) at
/// `scale` (physical pixels per logical pixel) between the two windows.
/// The customer display takes what the cashier's preferred width leaves,
/// within its own bounds; the cashier takes the rest, and both take the
/// full height.
pub fn side_by_side(area: Rect, scale: f64) -> SideBySide {
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    let px = |logical: f64| (logical * scale).round() as u32;
    let width = area.width;
    let customer = (width.saturating_sub(px(CASHIER_WIDTH)))
        .clamp(px(CUSTOMER_MIN_WIDTH), px(CUSTOMER_MAX_WIDTH))
        .min(width);
    let mut cashier = width - customer;
    let overlap = cashier < px(CASHIER_MIN_WIDTH).min(width);
    if overlap {
        cashier = px(CASHIER_MIN_WIDTH).min(width);
    }
    SideBySide {
        cashier: Rect {
            x: area.x,
            y: area.y,
            width: cashier,
            height: area.height,
        },
        customer: Rect {
            x: area.x + (width - customer) as i32,
            y: area.y,
            width: customer,
            height: area.height,
        },
        overlap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(x: i32, y: i32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn common_screens_fit_both_windows_without_overlap() {
        // (work area, scale, expected cashier width, customer width)
        let cases = [
            (area(0, 0, 1920, 1080), 1.0, 1280, 640),
            (area(0, 27, 1920, 1053), 1.0, 1280, 640), // a top panel
            (area(0, 0, 1366, 768), 1.0, 1046, 320),
            (area(0, 0, 1600, 900), 1.0, 1280, 320),
            (area(0, 0, 2560, 1440), 1.0, 1760, 800),
            (area(0, 0, 2880, 1800), 2.0, 2240, 640), // HiDPI laptop
            (area(1920, 0, 1920, 1080), 1.0, 1280, 640), // not the first monitor
        ];
        for (a, scale, cashier_w, customer_w) in cases {
            let s = side_by_side(a, scale);
            assert!(!s.overlap, "{a:?}");
            assert_eq!(
                (s.cashier.width, s.customer.width),
                (cashier_w, customer_w),
                "{a:?}"
            );
            assert!(a.contains(&s.cashier) && a.contains(&s.customer), "{a:?}");
            assert!(!s.cashier.overlaps(&s.customer), "{a:?}");
            assert_eq!(s.cashier.x, a.x, "the cashier on the left");
            assert_eq!(s.customer.right(), a.right(), "the customer on the right");
            assert_eq!((s.cashier.height, s.customer.height), (a.height, a.height));
        }
    }

    #[test]
    fn a_screen_too_narrow_for_both_says_so_and_keeps_the_cashier_usable() {
        let a = area(0, 0, 1280, 800);
        let s = side_by_side(a, 1.0);
        assert!(s.overlap);
        assert_eq!(s.cashier.width, 1024);
        assert_eq!(s.customer.width, 320);
        assert!(a.contains(&s.cashier) && a.contains(&s.customer));
        // Narrower than the cashier's minimum: nothing leaves the screen.
        let tiny = area(0, 0, 800, 600);
        let s = side_by_side(tiny, 1.0);
        assert!(tiny.contains(&s.cashier) && tiny.contains(&s.customer));
    }

    #[test]
    fn rectangles_overlap_only_when_they_share_pixels() {
        let a = area(0, 0, 100, 100);
        assert!(!a.overlaps(&area(100, 0, 10, 10)), "touching edges");
        assert!(a.overlaps(&area(99, 99, 10, 10)));
        assert!(!area(0, 0, 0, 0).overlaps(&a), "an empty rectangle");
        assert!(side_by_side(a, f64::NAN).cashier.width <= 100);
    }
}
