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
    ("user", "ユーザー名", "User name"),
    ("logout", "ログアウト", "Sign out"),
    ("wrong_login", "ユーザー名またはパスワードが違います。", "That user name or password is not right."),
    ("form_expired", "画面の有効期限が切れました。もう一度入力してください。", "This form has expired. Please enter your details again."),
    ("throttled", "ログインの失敗が続いたため、{s} 秒後にもう一度お試しください。", "Too many failed sign-ins. Try again in {s} s."),
    ("no_users", "ユーザーがまだいません。サーバーで easyqr-hq user add --role brand <名前> を実行して作成します。", "No user yet. Create one on the server with easyqr-hq user add --role brand <name>."),
    ("audit", "操作履歴", "Audit trail"),
    ("audit_hint", "ログイン・ログイン失敗・ログアウト・CSV出力の記録です（新しい順、最大500件）。", "Sign-ins, failed sign-ins, sign-outs and CSV exports (newest first, up to 500)."),
    ("when", "日時", "When"),
    ("what", "操作", "What"),
    ("client", "接続元", "From"),
    ("detail", "詳細", "Detail"),
    ("stores", "店舗", "Stores"),
    ("net_sales_today", "本日の純売上", "Net sales today"),
    ("legend", "用語の説明", "What the terms mean"),
    ("unknown_banner", "どの店舗にも属さないイベントを受信しています", "Events arrived for no known store"),
    ("count_of", "{n} 件", "{n} in all"),
    ("no_location", "locationId なし", "no locationId"),
    ("see_all", "すべて見る", "See them all"),
    ("unknown_next", "この locationId の店舗を追加すると、以後のイベントはその店舗のレジに届きます。", "Add a store with this locationId and its registers receive the events that follow."),
    ("role_brand", "ブランド（全店舗）", "brand (every store)"),
    ("role_store", "店舗", "store"),
    ("since_close_short", "締め後", "since the close"),
    ("poll", "照会", "checked with elepay"),
    ("store", "店舗", "Store"),
    ("brand_today", "ブランド合計（本日）", "Brand total (today)"),
    ("today", "本日", "Today"),
    ("registers", "レジ", "Registers"),
    ("register", "レジ", "Register"),
    ("online", "オンライン", "Online"),
    ("offline", "オフライン", "Offline"),
    ("revoked", "無効化済み", "Revoked"),
    ("diverged", "履歴の不一致", "History mismatch"),
    ("broken", "規則違反の記録（集計から除外）", "Breaks the ledger's rules (not counted)"),
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
    ("source", "確認方法", "How confirmed"),
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
    ("error_400", "リクエストが正しくありません", "This request is not valid"),
    ("error_400_hint", "アドレスや入力した内容を確認してください。", "Check the address or what was entered."),
    ("error_403", "この操作は受け付けられませんでした", "This could not be done"),
    ("error_403_hint", "ページを再読み込みしてから、もう一度お試しください。", "Reload the page and try again."),
    ("error_404", "ページが見つかりません", "Page not found"),
    ("error_404_hint", "この店舗・レジ・シフトは存在しないか、このアカウントでは表示できません。", "This store, register or shift does not exist, or this account may not see it."),
    ("error_413", "送信した内容が大きすぎます", "What was sent is too large"),
    ("error_413_hint", "入力を短くして、もう一度お試しください。", "Shorten what was entered and try again."),
    ("error_503", "本部のデータベースに接続できません", "The head office cannot reach its database"),
    ("error_503_hint", "しばらくしてから再読み込みしてください。", "Reload the page in a moment."),
    ("error_500", "本部でエラーが発生しました", "The head office hit an error"),
    ("error_500_hint", "時間をおいてもう一度お試しください。続く場合は管理者に連絡してください。", "Try again later. If it goes on, tell the administrator."),
    ("to_stores", "店舗一覧へ", "To the stores"),
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

/// (key, Japanese, English): what a term on the pages means.
const EXPLAIN: &[(&str, &str, &str)] = &[
    ("backlog", "レジで記録済みで、まだ本部に届いていない記録の件数です。レジがオンラインに戻ると自動で送られ、0 になります。", "Records a register has written that have not reached the head office yet. They are sent automatically when the register is back online, and this goes back to 0."),
    ("late", "締めた後で elepay から支払いが確認された会計です。売上は会計したシフトに計上され、Zレポートの「締め後の変化」に現れます。", "Sales that elepay confirmed as paid after their shift had closed. They count in the shift the sale was rung up in, and show as a change since the close on its Z report."),
    ("poll", "Webhook（elepay からの通知）を待たずに、レジが elepay に問い合わせて支払いを確認したことを示します。", "The register asked elepay and learned the payment that way, instead of from elepay's notification (webhook)."),
    ("since_close", "Zレポートを締めた後に加わった純売上の変化です（締め後の入金や返金）。", "How much the net sales changed after the Z report was closed (late payments, refunds)."),
];

impl Lang {
    /// A count of things: 「3件」, "3".
    pub fn count(self, n: i64) -> String {
        match self {
            Lang::Ja => format!("{n}件"),
            Lang::En => n.to_string(),
        }
    }

    /// What `key` means, for the legend and tooltips.
    pub fn explain(self, key: &'static str) -> &'static str {
        EXPLAIN
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, ja, en)| match self {
                Lang::Ja => ja,
                Lang::En => en,
            })
    }

    /// An elepay event type in words.
    pub fn event_type(self, t: &str) -> &str {
        match (self, t) {
            (Lang::Ja, "code.paid" | "charge.captured") => "支払い",
            (Lang::Ja, "refund.succeeded") => "返金",
            (Lang::En, "code.paid" | "charge.captured") => "payment",
            (Lang::En, "refund.succeeded") => "refund",
            (_, other) => other,
        }
    }

    /// An audit row's kind.
    pub fn audit_kind(self, k: &str) -> &str {
        match (self, k) {
            (Lang::Ja, "login") => "ログイン",
            (Lang::Ja, "login_failed") => "ログイン失敗",
            (Lang::Ja, "logout") => "ログアウト",
            (Lang::Ja, "csv_export") => "CSV出力",
            (Lang::En, "login") => "sign-in",
            (Lang::En, "login_failed") => "failed sign-in",
            (Lang::En, "logout") => "sign-out",
            (Lang::En, "csv_export") => "CSV export",
            (_, other) => other,
        }
    }

    /// How the register learned of a payment (the journal's `source`).
    pub fn source(self, s: &str) -> &str {
        match (self, s) {
            (Lang::Ja, "poll") => "照会",
            (Lang::Ja, "webhook") => "Webhook",
            (Lang::Ja, "recovery") => "起動時の確認",
            (Lang::Ja, "cancel") => "取消時の確認",
            (Lang::Ja, r) if r.starts_with("reconcil") => "照合",
            (Lang::En, "poll") => "checked with elepay",
            (Lang::En, "webhook") => "elepay notification",
            (Lang::En, "recovery") => "check at start-up",
            (Lang::En, "cancel") => "check at cancel",
            (Lang::En, r) if r.starts_with("reconcil") => "reconciliation",
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
        for (k, ja, en) in EXPLAIN {
            assert!(!ja.is_empty() && !en.is_empty(), "{k}");
            assert_ne!(Lang::Ja.t(k), *k, "{k} has a word to explain");
        }
        assert_eq!(Lang::Ja.state("captured"), "支払済");
    }
}
