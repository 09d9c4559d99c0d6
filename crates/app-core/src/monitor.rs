//! Which monitor the customer display goes on. A pure function so every
//! rule is tested without a window system; the Tauri shell only feeds it
//! the monitor list and applies the answer (build hidden, place, show).

use serde::{Deserialize, Serialize};

/// One monitor as the window system reports it. `index` is the identity
/// used by the `customerMonitor` setting and by `cashier_on`; coordinates
/// are physical pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorInfo {
    pub index: usize,
    pub name: Option<String>,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub scale: f64,
    pub primary: bool,
}

impl MonitorInfo {
    /// A zero-sized entry is a disconnected output some drivers still list.
    fn usable(&self) -> bool {
        self.width > 0 && self.height > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Placement {
    /// Fullscreen on this monitor.
    Fullscreen {
        index: usize,
        x: i32,
        y: i32,
        width: u32,
        height: u32,
    },
    /// An ordinary window the cashier can move, and why.
    Windowed { reason: &'static str },
}

pub const REASON_NO_MONITORS: &str = "no monitors were reported";
pub const REASON_ONE_MONITOR: &str =
    "only one monitor: the customer display opens as a window so it never covers the cashier's screen";
pub const REASON_NO_OTHER: &str =
    "every other monitor is unusable: the customer display opens as a window";

fn fullscreen(m: &MonitorInfo) -> Placement {
    Placement::Fullscreen {
        index: m.index,
        x: m.x,
        y: m.y,
        width: m.width,
        height: m.height,
    }
}

/// Decides where the customer display goes.
///
/// - Fewer than two usable monitors → windowed, whatever the setting: going
///   fullscreen would hide the cashier's only screen.
/// - `setting` naming a present monitor wins, even the cashier's own: the
///   owner chose it (e.g. a mirrored or rotated setup we cannot see).
/// - `setting` naming a missing monitor (unplugged) → automatic choice, so
///   the register still works; the setting is kept for when it returns.
/// - Automatic: the first non-primary monitor that is not the cashier's,
///   else the first that is not the cashier's ("first" in the order given).
///   With `cashier_on` unknown, every monitor counts as "not the
///   cashier's".
pub fn place_customer_display(
    monitors: &[MonitorInfo],
    setting: Option<u32>,
    cashier_on: Option<usize>,
) -> Placement {
    let usable: Vec<&MonitorInfo> = monitors.iter().filter(|m| m.usable()).collect();
    match usable.len() {
        0 => {
            return Placement::Windowed {
                reason: REASON_NO_MONITORS,
            }
        }
        1 => {
            return Placement::Windowed {
                reason: REASON_ONE_MONITOR,
            }
        }
        _ => {}
    }
    if let Some(wanted) = setting {
        if let Some(m) = usable.iter().find(|m| m.index as u64 == u64::from(wanted)) {
            return fullscreen(m);
        }
    }
    let not_cashier = |m: &&&MonitorInfo| Some(m.index) != cashier_on;
    usable
        .iter()
        .filter(not_cashier)
        .find(|m| !m.primary)
        .or_else(|| usable.iter().find(not_cashier))
        .map_or(
            Placement::Windowed {
                reason: REASON_NO_OTHER,
            },
            |m| fullscreen(m),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mon(index: usize, primary: bool) -> MonitorInfo {
        MonitorInfo {
            index,
            name: Some(format!("DP-{index}")),
            x: 1920 * index as i32,
            y: 0,
            width: 1920,
            height: 1080,
            scale: 1.0,
            primary,
        }
    }

    fn dead(index: usize) -> MonitorInfo {
        MonitorInfo {
            width: 0,
            height: 0,
            ..mon(index, false)
        }
    }

    enum Want {
        Full(usize),
        Win(&'static str),
    }
    use Want::*;

    /// name, monitors, setting, cashier's monitor, expected placement.
    type Case<'a> = (&'a str, &'a [MonitorInfo], Option<u32>, Option<usize>, Want);

    #[test]
    fn table() {
        let two = vec![mon(0, true), mon(1, false)];
        let three = vec![mon(0, true), mon(1, false), mon(2, false)];
        let no_primary = vec![mon(0, false), mon(1, false)];
        let primary_second = vec![mon(0, false), mon(1, true)];
        let one = vec![mon(0, true)];
        let one_plus_dead = vec![mon(0, true), dead(1)];
        let gap = vec![mon(0, true), mon(3, false)];
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("none",                               &[],              None,    None,    Win(REASON_NO_MONITORS)),
            ("none, setting ignored",              &[],              Some(0), None,    Win(REASON_NO_MONITORS)),
            ("one",                                &one,             None,    Some(0), Win(REASON_ONE_MONITOR)),
            ("one, setting names it",              &one,             Some(0), Some(0), Win(REASON_ONE_MONITOR)),
            ("one, cashier unknown",               &one,             Some(0), None,    Win(REASON_ONE_MONITOR)),
            ("one plus a zero-sized ghost",        &one_plus_dead,   Some(1), Some(0), Win(REASON_ONE_MONITOR)),
            ("two auto, cashier on primary",       &two,             None,    Some(0), Full(1)),
            ("two auto, cashier unknown",          &two,             None,    None,    Full(1)),
            ("two auto, cashier on secondary",     &two,             None,    Some(1), Full(0)),
            ("two, setting names secondary",       &two,             Some(1), Some(0), Full(1)),
            ("two, setting names cashier's own",   &two,             Some(0), Some(0), Full(0)),
            ("two, setting names unplugged",       &two,             Some(5), Some(0), Full(1)),
            ("two, unplugged, cashier secondary",  &two,             Some(5), Some(1), Full(0)),
            ("three auto, cashier on 1",           &three,           None,    Some(1), Full(2)),
            ("three auto, cashier on 0",           &three,           None,    Some(0), Full(1)),
            ("three auto, cashier on 2",           &three,           None,    Some(2), Full(1)),
            ("three, setting 2",                   &three,           Some(2), Some(0), Full(2)),
            ("no primary flagged, cashier on 0",   &no_primary,      None,    Some(0), Full(1)),
            ("no primary flagged, cashier on 1",   &no_primary,      None,    Some(1), Full(0)),
            ("no primary flagged, cashier unknown",&no_primary,      None,    None,    Full(0)),
            ("primary listed second, cashier on 1",&primary_second,  None,    Some(1), Full(0)),
            ("primary listed second, unknown",     &primary_second,  None,    None,    Full(0)),
            ("indexes with a gap, auto",           &gap,             None,    Some(0), Full(3)),
            ("indexes with a gap, setting 3",      &gap,             Some(3), Some(0), Full(3)),
            ("indexes with a gap, setting 1",      &gap,             Some(1), Some(0), Full(3)),
            ("cashier on a monitor not listed",    &two,             None,    Some(9), Full(1)),
        ];
        for (name, monitors, setting, cashier, want) in cases {
            let got = place_customer_display(monitors, setting, cashier);
            match want {
                Full(i) => {
                    let m = monitors
                        .iter()
                        .find(|m| m.index == i)
                        .unwrap_or_else(|| panic!("{name}: bad case"));
                    assert_eq!(
                        got,
                        Placement::Fullscreen {
                            index: i,
                            x: m.x,
                            y: m.y,
                            width: m.width,
                            height: m.height
                        },
                        "{name}"
                    );
                }
                Win(reason) => assert_eq!(got, Placement::Windowed { reason }, "{name}"),
            }
        }
    }

    #[test]
    fn never_covers_the_cashiers_only_screen() {
        // Property over every setting/cashier combination with one monitor.
        for setting in [None, Some(0), Some(1), Some(u32::MAX)] {
            for cashier in [None, Some(0), Some(1)] {
                assert!(matches!(
                    place_customer_display(&[mon(0, true)], setting, cashier),
                    Placement::Windowed { .. }
                ));
            }
        }
    }

    #[test]
    fn automatic_choice_is_never_the_cashiers_monitor() {
        let ms = [mon(0, true), mon(1, false), mon(2, false), mon(3, true)];
        for cashier in 0..4 {
            match place_customer_display(&ms, None, Some(cashier)) {
                Placement::Fullscreen { index, .. } => assert_ne!(index, cashier),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn placement_json_for_the_shell_log() {
        let p = place_customer_display(&[mon(0, true), mon(1, false)], None, Some(0));
        let j = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(j["kind"], "fullscreen");
        assert_eq!(j["x"], 1920);
        let w = serde_json::to_value(place_customer_display(&[], None, None)).unwrap_or_default();
        assert_eq!(w["kind"], "windowed");
    }
}
