//! The view's words in Japanese and English.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

/// (key, Japanese, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("title", "本部", "Head office"),
    ("login", "ログイン", "Sign in"),
    ("password", "パスワード", "Password"),
    ("wrong_password", "パスワードが違います。", "That password is not right."),
    ("view_off", "本部画面は無効です（EASYQR_HQ_VIEW_PASSWORD が未設定）。", "The head-office view is off (EASYQR_HQ_VIEW_PASSWORD is not set)."),
    ("stores", "店舗", "Stores"),
    ("store", "店舗", "Store"),
    ("brand_today", "ブランド合計（本日）", "Brand total (today)"),
    ("today", "本日", "Today"),
    ("registers", "レジ", "Registers"),
    ("register", "レジ", "Register"),
    ("online", "オンライン", "Online"),
    ("offline", "オフライン", "Offline"),
    ("revoked", "無効化済み", "Revoked"),
    ("diverged", "履歴の不一致", "History mismatch"),
    ("unreadable", "この本部のバージョンでは読めない記録があります。easyqr-hq を更新してください（記録は保管済み、集計はその手前まで）", "This head office cannot read a journal row yet: upgrade easyqr-hq (the row is kept; figures stop before it)"),
    ("last_seen", "最終接続", "Last seen"),
    ("never", "未接続", "never"),
    ("open_shift", "営業中のシフト", "Open shift"),
    ("no_open_shift", "なし", "none"),
    ("backlog", "未送信", "Not shipped"),
    ("rows", "件", "rows"),
    ("paid", "支払済", "Paid"),
    ("refunds", "返金", "Refunds"),
    ("net_sales", "純売上", "Net sales"),
    ("late", "遅延入金", "Late payments"),
    ("shifts", "シフト", "Shifts"),
    ("z_reports", "Zレポート", "Z reports"),
    ("z_no", "Z番号", "Z no."),
    ("cashier", "担当", "Cashier"),
    ("opened", "開始", "Opened"),
    ("closed", "締め", "Closed"),
    ("since_close", "締め後の変化", "Since the close"),
    ("payments", "支払い", "Payments"),
    ("order_no", "注文番号", "Order no."),
    ("amount", "金額", "Amount"),
    ("state", "状態", "State"),
    ("method", "支払方法", "Method"),
    ("paid_at", "支払日時", "Paid at"),
    ("source", "確認方法", "Learned by"),
    ("refunded", "返金額", "Refunded"),
    ("reason", "理由", "Reason"),
    ("status", "状況", "Status"),
    ("reconciliation", "照合で見つかった差異", "Reconciliation differences"),
    ("none", "ありません。", "None."),
    ("unknown_events", "不明な店舗宛てのイベント", "Events for unknown stores"),
    ("event", "イベント", "Event"),
    ("event_type", "種類", "Type"),
    ("location", "locationId", "locationId"),
    ("code", "コード", "Code"),
    ("received", "受信", "Received"),
    ("deliveries", "配信回数", "Deliveries"),
    ("csv", "CSV出力", "Export CSV"),
    ("at_close", "締め時点", "At the close"),
    ("now", "現在", "Now"),
    ("back", "戻る", "Back"),
    ("by_rate_today", "税率別 売上・消費税額（本日）", "Sales and tax by rate (today)"),
    ("by_rate", "税率別 売上・消費税額", "Sales and tax by rate"),
    ("rate_standard", "10%", "10%"),
    ("rate_reduced", "8%（軽減）", "8% (reduced)"),
    ("rate_free", "0%（非課税）", "0% (tax-free)"),
    ("rate_unrecorded", "税率不明/記録なし", "Rate not recorded"),
    ("sales", "売上", "Sales"),
    ("tax", "消費税額", "Tax"),
    ("gross_sales", "総売上", "Gross sales"),
    ("customers", "客数", "Customers"),
    ("average_sale", "客単価", "Average sale"),
    ("brand", "ブランド合計", "Brand total"),
    ("no_stores", "店舗がまだありません。easyqr-hq store add で追加します。", "No stores yet. Add one with easyqr-hq store add."),
    ("unknown_hint", "どの店舗にも属さないイベントです。店舗を追加すると、その店舗のレジに届きます。", "These events name no known store. Add the store and its registers receive what comes next."),
];

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The word for `key`; an unknown key shows itself (caught by a test).
    pub fn t(self, key: &'static str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, ja, en)| match self {
                Lang::Ja => ja,
                Lang::En => en,
            })
    }

    /// A state or status word as the registers show it.
    pub fn state(self, s: &str) -> &str {
        let ja = match s {
            "captured" => "支払済",
            "pending" => "表示中",
            "reserved" | "creating" => "作成中",
            "closed" => "取消",
            "expired" => "期限切れ",
            "burned" => "無効",
            "rejected" => "拒否",
            "requested" => "依頼済",
            "refunded" => "返金済",
            "failed" => "失敗",
            other => other,
        };
        match self {
            Lang::Ja => ja,
            Lang::En => match s {
                "captured" => "paid",
                "closed" => "cancelled",
                other => other,
            },
        }
    }
}

impl Lang {
    /// How the register learned of a payment (the journal's `source`).
    pub fn source(self, s: &str) -> &str {
        match (self, s) {
            (Lang::Ja, "poll") => "照会",
            (Lang::Ja, "webhook") => "Webhook",
            (Lang::Ja, "recovery") => "起動時の確認",
            (Lang::Ja, "cancel") => "取消時の確認",
            (Lang::Ja, r) if r.starts_with("reconcil") => "照合",
            (_, other) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages() {
        for (k, ja, en) in WORDS {
            assert!(!ja.is_empty() && !en.is_empty(), "{k}");
            assert_eq!(
                WORDS.iter().filter(|(x, _, _)| x == k).count(),
                1,
                "{k} twice"
            );
        }
        assert_eq!(Lang::En.t("paid"), "Paid");
        assert_eq!(Lang::Ja.state("captured"), "支払済");
    }
}
