fn main() {
    // Declaring the app's commands makes each one a permission
    // (`allow-<name>`), so capabilities can grant them per window: the
    // customer display gets `customer_state` and nothing else.
    let commands = &[
        "app_info",
        "subscribe_cashier",
        "charge",
        "retry",
        "cancel",
        "recent_attempts",
        "get_settings",
        "save_settings",
        "set_key",
        "list_monitors",
        "open_phone_view",
        "customer_state",
        "shift_status",
        "open_shift",
        "close_shift",
        "shift_report",
        "transaction_log",
        "sale_timeline",
        "refund",
        "reconcile",
        "export_csv",
        "hq_status",
        "hq_enrol",
        "hq_unenrol",
        "settings_warnings",
        "print_receipt",
        "print_report",
        "sale_record",
        "refund_plan",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build script");
}
