/// "2026年12月05日(土) 14:03" in the store's time zone.
pub fn receipt_time(ms: i64, utc_offset_minutes: i32) -> String {
    const WEEKDAYS: [&str; 7] = ["木", "金", "土", "日", "月", "火", "水"];
    let local = ms + i64::from(utc_offset_minutes) * 60_000;
    let days = local.div_euclid(86_400_000);
    // local_time gives "YYYY-MM-DD HH:MM:SS".
    let t = easyqr_ledger::local_time(ms, utc_offset_minutes);
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    format!(
        "{}年{}月{}日({weekday}) {}",
        &t[0..4],
        &t[5..7],
        &t[8..10],
        &t[11..16]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn in_the_store_time_zone_with_its_weekday() {
        // 2026-12-05 05:03 UTC = 14:03 JST, a Saturday.
        assert_eq!(
            super::receipt_time(1_796_446_980_000, 540),
            "2026年12月05日(土) 14:03"
        );
        // 1970-01-01 was a Thursday.
        assert_eq!(super::receipt_time(0, 0), "1970年01月01日(木) 00:00");
    }
}
