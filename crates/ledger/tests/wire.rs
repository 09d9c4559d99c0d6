//! The register protocol's bodies are the bytes HQ and the register have
//! always exchanged (docs/HQ-PROTOCOL.md): each sample below is a body as
//! sent before the bodies were shared, read and written back unchanged.

#![allow(clippy::unwrap_used)]

use easyqr_ledger::wire::{
    self, Batch, Diverged, ErrorBody, EventAck, JournalRow, Me, MeStore, ShipAnswer,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// `json` reads as `T` and writes back as the same bytes.
fn round_trip<T: Serialize + DeserializeOwned>(json: &str) -> T {
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(serde_json::to_string(&value).unwrap(), json);
    value
}

const ROW: &str = r#"{"seq":121,"at":1795824079000,"kind":"sale.created","saleId":40,"attemptId":null,"payload":"{\"amount\":1280}","prevHash":"aa","hash":"bb"}"#;

#[test]
fn me_is_hqs_answer_byte_for_byte() {
    let me: Me = round_trip(
        r#"{"registerId":"S01R1","store":{"name":"Shibuya","locationId":"loc_shibuya"},"journalAcked":120,"eventCursor":35,"diverged":null,"broken":null}"#,
    );
    assert_eq!(
        me,
        Me {
            register_id: "S01R1".into(),
            store: MeStore {
                name: "Shibuya".into(),
                location_id: Some("loc_shibuya".into()),
            },
            journal_acked: 120,
            event_cursor: 35,
            diverged: None,
            broken: None,
        }
    );
    let flagged: Me = round_trip(
        r#"{"registerId":"S01R1","store":{"name":"Shibuya","locationId":"loc_shibuya"},"journalAcked":6,"eventCursor":0,"diverged":{"seq":7,"reason":"hash differs"},"broken":{"seq":3,"reason":"a refund beyond its sale"}}"#,
    );
    assert_eq!(flagged.diverged.map(|d| d.seq), Some(7));
    assert_eq!(flagged.broken.map(|d| d.seq), Some(3));
}

#[test]
fn a_register_reads_an_older_hqs_me() {
    // No `broken` (HQ before it), no store name, a null locationId.
    let me: Me = serde_json::from_str(
        r#"{"registerId":"R1","store":{"locationId":null},"journalAcked":0,"eventCursor":0,"diverged":null}"#,
    )
    .unwrap();
    assert_eq!((me.broken, me.store.name.as_str()), (None, ""));
    assert_eq!(me.store.location_id, None);
}

#[test]
fn a_batch_is_the_same_bytes_owned_or_borrowed() {
    let json = format!(r#"{{"head":130,"ackedSeen":120,"rows":[{ROW}]}}"#);
    let batch: Batch = round_trip(&json);
    assert_eq!(batch.rows[0].sale_id, Some(40));
    assert_eq!(batch.rows[0].payload, r#"{"amount":1280}"#);
    let sent = Batch {
        head: 130,
        acked_seen: 120,
        rows: batch.rows.as_slice(),
    };
    assert_eq!(serde_json::to_string(&sent).unwrap(), json);
    let empty: Batch<&[JournalRow]> = Batch {
        head: 0,
        acked_seen: 0,
        rows: &[],
    };
    assert_eq!(
        serde_json::to_string(&empty).unwrap(),
        r#"{"head":0,"ackedSeen":0,"rows":[]}"#
    );
    // A register before `ackedSeen` did not know it: 0.
    let old: Batch = serde_json::from_str(&format!(r#"{{"head":121,"rows":[{ROW}]}}"#)).unwrap();
    assert_eq!(old.acked_seen, 0);
}

#[test]
fn a_ship_answer_and_an_ack_are_hqs_bytes() {
    let a: ShipAnswer = round_trip(r#"{"acked":130,"diverged":null}"#);
    assert_eq!(a.acked, 130);
    let d: ShipAnswer = round_trip(r#"{"acked":6,"diverged":{"seq":7,"reason":"hash differs"}}"#);
    assert_eq!(
        d.diverged,
        Some(Diverged {
            seq: 7,
            reason: "hash differs".into()
        })
    );
    let ack: EventAck = round_trip(r#"{"cursor":36}"#);
    assert_eq!(ack, EventAck { cursor: 36 });
}

#[test]
fn error_bodies_are_hqs_bytes() {
    for json in [
        r#"{"error":"unauthorized"}"#,
        r#"{"error":"revoked"}"#,
        r#"{"error":"the head office cannot store this now; send it again"}"#,
        r#"{"code":"batch_too_large","error":"body: at most 1048576 bytes","limitBytes":1048576}"#,
        r#"{"code":"backlog_full","error":"rows: at most 5000 rows (16777216 bytes) may wait beyond the acknowledged row 120; send row 121 first","limitRows":5000}"#,
        r#"{"code":"request_timeout","error":"the request took too long","limitMs":30000}"#,
        r#"{"code":"too_many_connections","error":"the head office has too many open connections; try again shortly"}"#,
    ] {
        round_trip::<ErrorBody>(json);
    }
    let built = ErrorBody::new("batch too large")
        .code("batch_too_large")
        .limit(wire::LIMIT_BYTES, 1_048_576);
    assert_eq!(
        serde_json::to_string(&built).unwrap(),
        r#"{"code":"batch_too_large","error":"batch too large","limitBytes":1048576}"#
    );
    assert_eq!(
        ErrorBody::new("x").limit("limitWhatever", 1),
        ErrorBody::new("x"),
        "no limit of the protocol's"
    );
    // A proxy's page is no body of HQ's; a client classifies it by status.
    assert!(serde_json::from_str::<ErrorBody>("<html>413</html>").is_err());
}

#[test]
fn event_ids_are_inbox_seqs() {
    assert_eq!(wire::EVENT_WEBHOOK, "webhook");
    assert_eq!(wire::event_id(36), "36");
    assert_eq!(wire::parse_event_id(" 36 "), Some(36));
    assert_eq!(wire::parse_event_id("evt_1"), None);
    assert_eq!(
        (wire::HEADER_LAST_EVENT_ID, wire::QUERY_AFTER),
        ("Last-Event-ID", "after")
    );
}
