//! What the customer display shows, decided in Rust so a reloaded window
//! (or a late event) can never show something stale. Pure: tested without
//! a window.

use easyqr_engine::CustomerEvent;
use serde::Serialize;

/// How long an outcome stays up before the display returns to idle.
pub const PAID_MS: i64 = 6_000;
pub const OTHER_OUTCOME_MS: i64 = 4_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Screen {
    Idle,
    Payment,
    Paid,
    Expired,
    Cancelled,
}

/// The customer-safe payload of the `customer` event and of
/// `customer_state`: nothing here can carry a key or internal ids beyond
/// the code id, which is inside the QR's URL anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerView {
    pub screen: Screen,
    pub store_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_id: Option<String>,
    pub wallets: Vec<String>,
    /// "demo" puts a "no real charge" ribbon on the display.
    pub mode: String,
    /// The sale's first item lines (none for an amount-only sale).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<CustomerItem>,
    /// Lines not listed (「ほか n 点」).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_items: usize,
    /// The wallet the customer paid with, by name, on "paid".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
}

/// One item line as the customer sees it (amount as rung up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerItem {
    pub name: String,
    pub qty: i64,
    pub amount: i64,
    /// 8 %: marked ※ like on the receipt.
    pub reduced: bool,
}

/// How many lines the payment screen lists before 「ほか n 点」.
pub const ITEMS_SHOWN: usize = 4;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How many finished codes are remembered, so a late refresh of one never
/// brings its QR back (far more than can finish within one event's delay).
const FINISHED_KEPT: usize = 50;

/// The customer display's state: which screen, for which code, since when.
/// The only place it is decided; the window draws each view it is sent
/// (including the return to idle, see [`CustomerScreen::hold_ms`]).
#[derive(Debug, Clone)]
pub struct CustomerScreen {
    view: CustomerView,
    /// When the current view was entered (engine clock, ms).
    since_ms: i64,
    /// Codes that reached an outcome, newest last.
    finished: std::collections::VecDeque<String>,
}

/// How long `screen` stays up before the display returns to idle by
/// itself; `None` for screens that stay until an event moves them.
pub fn hold_ms(screen: Screen) -> Option<i64> {
    match screen {
        Screen::Paid => Some(PAID_MS),
        Screen::Expired | Screen::Cancelled => Some(OTHER_OUTCOME_MS),
        Screen::Idle | Screen::Payment => None,
    }
}

impl CustomerScreen {
    pub fn new(store_name: String, mode: &str) -> Self {
        CustomerScreen {
            view: CustomerView {
                screen: Screen::Idle,
                store_name,
                amount: None,
                qr_svg: None,
                remaining_ms: None,
                code_id: None,
                wallets: Vec::new(),
                mode: mode.to_owned(),
                items: Vec::new(),
                more_items: 0,
                wallet: None,
            },
            since_ms: 0,
            finished: std::collections::VecDeque::new(),
        }
    }

    pub fn set_store_name(&mut self, name: String) {
        self.view.store_name = name;
    }

    pub fn set_wallets(&mut self, wallets: Vec<String>) {
        self.view.wallets = wallets;
    }

    /// The item lines of the sale about to be shown (call before applying
    /// its `Payment`): the first [`ITEMS_SHOWN`], and how many more.
    pub fn set_items(&mut self, lines: &[easyqr_tax::Line]) {
        self.view.items = lines
            .iter()
            .take(ITEMS_SHOWN)
            .map(|l| CustomerItem {
                name: l.name.clone(),
                qty: l.qty,
                amount: l.amount(),
                reduced: l.rate == easyqr_tax::TaxRate::Reduced,
            })
            .collect();
        self.view.more_items = lines.len().saturating_sub(ITEMS_SHOWN);
    }

    /// Applies an engine event; returns the view to send if the screen
    /// changed. The newest QR always wins; an outcome counts only for the
    /// code being shown, so a stale attempt never flashes "paid" over
    /// another customer's QR.
    /// `draw` turns the code's URL into its QR.
    pub fn apply(
        &mut self,
        ev: &CustomerEvent,
        now_ms: i64,
        draw: impl FnOnce(&str) -> Option<String>,
    ) -> Option<CustomerView> {
        self.expire(now_ms);
        let (screen, code_id) = match ev {
            CustomerEvent::Payment {
                code_id,
                amount,
                code_url,
                remaining_ms,
                ..
            } => {
                if self.finished.contains(code_id) {
                    // A late countdown refresh of a code already over.
                    return None;
                }
                self.view.amount = Some(*amount);
                self.view.qr_svg = draw(code_url);
                self.view.remaining_ms = Some(*remaining_ms);
                self.view.code_id = Some(code_id.clone());
                self.view.wallet = None;
                self.view.screen = Screen::Payment;
                self.since_ms = now_ms;
                return Some(self.view.clone());
            }
            CustomerEvent::SalePaid { amount } => {
                // The sale at the counter was paid through an earlier code:
                // "paid", whatever is up (never a QR for a paid sale).
                self.view.screen = Screen::Paid;
                self.view.wallet = None;
                self.view.amount = Some(*amount);
                self.view.qr_svg = None;
                self.view.remaining_ms = None;
                self.view.code_id = None;
                self.since_ms = now_ms;
                return Some(self.view.clone());
            }
            CustomerEvent::Paid {
                code_id, wallet, ..
            } => {
                if self.view.screen == Screen::Payment
                    && self.view.code_id.as_ref() == Some(code_id)
                {
                    self.view.wallet = wallet
                        .as_deref()
                        .map(|w| elepay::PaymentMethod::new(w).display_name().to_owned());
                }
                (Screen::Paid, code_id)
            }
            CustomerEvent::Expired { code_id, .. } => (Screen::Expired, code_id),
            CustomerEvent::Cancelled { code_id, .. } => (Screen::Cancelled, code_id),
        };
        if self.view.screen != Screen::Payment || self.view.code_id.as_deref() != Some(code_id) {
            return None;
        }
        self.finished.push_back(code_id.clone());
        if self.finished.len() > FINISHED_KEPT {
            self.finished.pop_front();
        }
        self.view.screen = screen;
        self.view.qr_svg = None;
        self.view.remaining_ms = None;
        self.since_ms = now_ms;
        Some(self.view.clone())
    }

    /// What should be on screen now (for a window that just loaded).
    pub fn current(&mut self, now_ms: i64) -> CustomerView {
        self.expire(now_ms);
        let mut v = self.view.clone();
        if let (Screen::Payment, Some(r)) = (v.screen, v.remaining_ms) {
            v.remaining_ms = Some((r - (now_ms - self.since_ms)).max(0));
        }
        v
    }

    fn expire(&mut self, now_ms: i64) {
        let Some(hold) = hold_ms(self.view.screen) else {
            return;
        };
        if now_ms - self.since_ms >= hold {
            self.view.screen = Screen::Idle;
            self.view.amount = None;
            self.view.code_id = None;
            self.view.items.clear();
            self.view.more_items = 0;
            self.view.wallet = None;
            self.since_ms = now_ms;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(code: &str, amount: i64) -> CustomerEvent {
        CustomerEvent::Payment {
            code_id: code.into(),
            amount,
            code_url: format!("http://sim/pay/code/{code}"),
            remaining_ms: 600_000,
            sale_id: 1,
        }
    }

    fn svg(url: &str) -> Option<String> {
        Some(format!("<svg>{url}</svg>"))
    }

    fn paid(code: &str) -> CustomerEvent {
        CustomerEvent::Paid {
            code_id: code.into(),
            amount: 1,
            wallet: Some("paypay".into()),
        }
    }

    #[test]
    fn shows_the_qr_then_the_outcome_then_idle() {
        let mut s = CustomerScreen::new("Cafe".into(), "demo");
        assert_eq!(s.current(0).screen, Screen::Idle);
        let v = s.apply(&payment("cod_a", 1280), 1_000, svg).unwrap();
        assert_eq!((v.screen, v.amount), (Screen::Payment, Some(1280)));
        assert_eq!(
            v.qr_svg.as_deref(),
            Some("<svg>http://sim/pay/code/cod_a</svg>"),
            "the code's own QR"
        );
        // A reload 10 s later gets the countdown where it is now.
        assert_eq!(s.current(11_000).remaining_ms, Some(590_000));
        let v = s.apply(&paid("cod_a"), 12_000, svg).unwrap();
        assert_eq!(v.screen, Screen::Paid);
        assert!(v.qr_svg.is_none(), "the QR is gone once paid");
        assert_eq!(s.current(12_000 + PAID_MS - 1).screen, Screen::Paid);
        assert_eq!(s.current(12_000 + PAID_MS).screen, Screen::Idle);
    }

    #[test]
    fn a_stale_outcome_never_covers_another_qr() {
        let mut s = CustomerScreen::new("Cafe".into(), "demo");
        s.apply(&payment("cod_old", 500), 0, svg);
        s.apply(&payment("cod_new", 700), 10, svg);
        assert!(s.apply(&paid("cod_old"), 20, svg).is_none());
        let expired_old = CustomerEvent::Expired {
            code_id: "cod_old".into(),
            amount: 500,
        };
        assert!(s.apply(&expired_old, 30, svg).is_none());
        let v = s.current(40);
        assert_eq!(
            (v.screen, v.code_id.as_deref()),
            (Screen::Payment, Some("cod_new"))
        );
        // Nor does an outcome arriving while idle light up the screen.
        let mut idle = CustomerScreen::new("Cafe".into(), "demo");
        assert!(idle.apply(&paid("cod_x"), 0, svg).is_none());
    }

    #[test]
    fn a_sale_paid_through_an_earlier_code_shows_paid_even_when_idle() {
        let mut s = CustomerScreen::new("Cafe".into(), "demo");
        let v = s
            .apply(&CustomerEvent::SalePaid { amount: 1500 }, 0, svg)
            .unwrap();
        assert_eq!((v.screen, v.amount), (Screen::Paid, Some(1500)));
        assert!(v.qr_svg.is_none());
        assert_eq!(s.current(PAID_MS).screen, Screen::Idle);
    }

    #[test]
    fn cancelled_and_expired_return_to_idle_sooner() {
        let mut s = CustomerScreen::new("Cafe".into(), "demo");
        s.apply(&payment("cod_a", 100), 0, svg);
        let cancelled = CustomerEvent::Cancelled {
            code_id: "cod_a".into(),
            amount: 100,
        };
        assert_eq!(
            s.apply(&cancelled, 5, svg).unwrap().screen,
            Screen::Cancelled
        );
        assert_eq!(s.current(5 + OTHER_OUTCOME_MS).screen, Screen::Idle);
    }

    #[test]
    fn the_first_items_then_how_many_more_and_the_wallet_once_paid() {
        let mut s = CustomerScreen::new("Cafe".into(), "live");
        let line = |name: &str, rate| easyqr_tax::Line {
            name: name.into(),
            qty: 2,
            unit_price: 100,
            rate,
        };
        let lines: Vec<_> = (0..6)
            .map(|i| {
                let rate = if i == 1 {
                    easyqr_tax::TaxRate::Reduced
                } else {
                    easyqr_tax::TaxRate::Standard
                };
                line(&format!("品{i}"), rate)
            })
            .collect();
        s.set_items(&lines);
        let v = s.apply(&payment("cod_a", 1200), 0, svg).unwrap();
        assert_eq!(v.items.len(), ITEMS_SHOWN);
        assert_eq!(v.more_items, 2);
        assert_eq!(
            (v.items[1].amount, v.items[1].reduced, v.items[0].reduced),
            (200, true, false)
        );
        let v = s.apply(&paid("cod_a"), 10, svg).unwrap();
        assert_eq!(v.wallet.as_deref(), Some("PayPay"));
        let idle = s.current(10 + PAID_MS);
        assert!(idle.items.is_empty() && idle.wallet.is_none());
    }

    /// Every engine event, from every screen: what the display shows next
    /// (`None`: unchanged). The window has no rule of its own.
    #[test]
    fn the_screen_each_event_leads_to_from_each_screen() {
        let cancelled = |c: &str| CustomerEvent::Cancelled {
            code_id: c.into(),
            amount: 1,
        };
        let expired = |c: &str| CustomerEvent::Expired {
            code_id: c.into(),
            amount: 1,
        };
        let sale_paid = CustomerEvent::SalePaid { amount: 1 };
        // (screen before, with code "cod_a" when showing one) → event → after
        let table: Vec<(Screen, CustomerEvent, Option<Screen>)> = vec![
            (Screen::Idle, payment("cod_a", 1), Some(Screen::Payment)),
            (Screen::Idle, paid("cod_a"), None),
            (Screen::Idle, expired("cod_a"), None),
            (Screen::Idle, cancelled("cod_a"), None),
            (Screen::Idle, sale_paid.clone(), Some(Screen::Paid)),
            (Screen::Payment, paid("cod_a"), Some(Screen::Paid)),
            (Screen::Payment, expired("cod_a"), Some(Screen::Expired)),
            (Screen::Payment, cancelled("cod_a"), Some(Screen::Cancelled)),
            (Screen::Payment, paid("cod_b"), None),
            (Screen::Payment, expired("cod_b"), None),
            (Screen::Payment, sale_paid.clone(), Some(Screen::Paid)),
            (Screen::Payment, payment("cod_a", 1), Some(Screen::Payment)),
            (Screen::Expired, paid("cod_a"), None),
            (Screen::Expired, payment("cod_a", 1), None),
            (Screen::Expired, payment("cod_b", 1), Some(Screen::Payment)),
            (Screen::Cancelled, payment("cod_a", 1), None),
            (Screen::Paid, expired("cod_a"), None),
        ];
        for (before, ev, after) in table {
            let mut s = CustomerScreen::new("Cafe".into(), "test");
            match before {
                Screen::Idle => {}
                Screen::Payment => {
                    s.apply(&payment("cod_a", 1), 0, svg);
                }
                outcome => {
                    s.apply(&payment("cod_a", 1), 0, svg);
                    let end = match outcome {
                        Screen::Paid => paid("cod_a"),
                        Screen::Expired => expired("cod_a"),
                        _ => cancelled("cod_a"),
                    };
                    assert_eq!(s.apply(&end, 1, svg).unwrap().screen, outcome);
                }
            }
            let got = s.apply(&ev, 2, svg).map(|v| v.screen);
            assert_eq!(got, after, "{before:?} then {ev:?}");
        }
        // Each screen's name on the wire, and how long it stays by itself.
        for (screen, name, hold) in [
            (Screen::Idle, "idle", None),
            (Screen::Payment, "payment", None),
            (Screen::Paid, "paid", Some(PAID_MS)),
            (Screen::Expired, "expired", Some(OTHER_OUTCOME_MS)),
            (Screen::Cancelled, "cancelled", Some(OTHER_OUTCOME_MS)),
        ] {
            assert_eq!(serde_json::to_value(screen).unwrap(), name);
            assert_eq!(hold_ms(screen), hold, "{name}");
        }
    }

    #[test]
    fn the_view_carries_only_what_the_customer_sees() {
        let mut s = CustomerScreen::new("Cafe".into(), "demo");
        s.set_wallets(vec!["PayPay".into()]);
        let v = s.apply(&payment("cod_a", 100), 0, svg).unwrap();
        let json = serde_json::to_value(&v).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "amount",
                "codeId",
                "mode",
                "qrSvg",
                "remainingMs",
                "screen",
                "storeName",
                "wallets"
            ]
        );
    }
}
