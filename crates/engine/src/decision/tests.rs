//! Table tests of every decision, no network.
#![allow(clippy::unwrap_used)]

use super::*;
use elepay::{ApiError, ErrorCode, Operation};
use serde_json::json;

fn code(v: serde_json::Value) -> CodeDto {
    serde_json::from_value(v).unwrap()
}

fn api(status: u16, error_code: Option<&str>, message: Option<&str>) -> elepay::Error {
    elepay::Error::Api {
        operation: Operation::CreateCode,
        api: Box::new(ApiError {
            status,
            error_code: error_code.map(ErrorCode::parse),
            legacy_code: None,
            message: message.map(str::to_owned),
            request_id: Some("req_1".into()),
            parameter_name: None,
            provider_error: None,
            retry_after: None,
        }),
    }
}

fn attempt(
    id: i64,
    state: AttemptState,
    code_id: Option<&str>,
    charge_id: Option<&str>,
) -> Attempt {
    Attempt {
        id,
        sale_id: 1,
        shift_id: None,
        order_no: "S01R1-20261128-0001".into(),
        amount: 1280,
        state,
        code_id: code_id.map(str::to_owned),
        code_url: None,
        expiry_time: None,
        key_last4: None,
        charge_id: charge_id.map(str::to_owned),
        payment_method: None,
        paid_time: None,
        error_code: None,
        created_at: 0,
        updated_at: 0,
    }
}

const ASKED: Asked<'static> = Asked {
    order_no: "S01R1-20261128-0001",
    amount: 1280,
    validity_ms: 600_000,
    now: 1_000,
    key_last4: "0001",
};

#[test]
fn create_answers_are_shown_burned_or_rejected() {
    let good = json!({"id": "cod_1", "codeUrl": "https://qr.example/cod_1", "amount": 1280,
                      "orderNo": "S01R1-20261128-0001", "status": "pending"});
    let with = |k: &str, v: serde_json::Value| {
        let mut c = good.clone();
        c[k] = v;
        Ok(code(c))
    };
    let unknown = elepay::Error::OutcomeUnknown {
        operation: Operation::CreateCode,
        reason: "timeout".into(),
    };
    let not_sent = elepay::Error::NotSent {
        operation: Operation::CreateCode,
        reason: "refused".into(),
    };
    let mismatch = || CreateVerdict::Burn {
        reason: "elepay returned code cod_1 that does not match the request".into(),
        cause: BurnCause::Mismatch {
            code_id: "cod_1".into(),
        },
    };
    let table: Vec<(&str, Result<CodeDto, elepay::Error>, CreateVerdict)> = vec![
        (
            "the code asked for, validity assumed",
            Ok(code(good.clone())),
            CreateVerdict::Show {
                change: Change::Pending {
                    code_id: "cod_1".into(),
                    code_url: "https://qr.example/cod_1".into(),
                    expiry_time: 601_000,
                    key_last4: "0001".into(),
                },
                remaining_ms: 600_000,
            },
        ),
        (
            "the server's validity and expiry win",
            {
                let mut c = good.clone();
                c["expiryPeriod"] = json!(170_000);
                c["expiryTime"] = json!(180_000);
                Ok(code(c))
            },
            CreateVerdict::Show {
                change: Change::Pending {
                    code_id: "cod_1".into(),
                    code_url: "https://qr.example/cod_1".into(),
                    expiry_time: 180_000,
                    key_last4: "0001".into(),
                },
                remaining_ms: 170_000,
            },
        ),
        ("another orderNo", with("orderNo", json!("S01R1-20261128-0002")), mismatch()),
        ("another amount", with("amount", json!(1)), mismatch()),
        ("no codeUrl", with("codeUrl", json!(null)), mismatch()),
        ("an empty codeUrl", with("codeUrl", json!("")), mismatch()),
        (
            "no answer",
            Err(unknown),
            CreateVerdict::Burn {
                reason: "createCode: outcome unknown (timeout); the server may have processed the request".into(),
                cause: BurnCause::OutcomeUnknown,
            },
        ),
        (
            "a plain refusal",
            Err(api(400, Some("M001000"), Some("bad amount"))),
            CreateVerdict::Reject {
                error_code: "M001000".into(),
                message: "bad amount".into(),
            },
        ),
        (
            "never sent",
            Err(not_sent),
            CreateVerdict::Reject {
                error_code: "not_sent".into(),
                message: "createCode: not sent (refused)".into(),
            },
        ),
    ];
    for (what, answer, want) in table {
        assert_eq!(classify_create(&answer, &ASKED), want, "{what}");
    }
    // Burned with their own cause (the engine gives each its message).
    let in_use = Err(api(400, Some("M002007"), None));
    assert!(matches!(
        classify_create(&in_use, &ASKED),
        CreateVerdict::Burn {
            cause: BurnCause::OrderNoInUse,
            ..
        }
    ));
    let server = Err(api(500, Some("S001000"), None));
    assert!(matches!(
        classify_create(&server, &ASKED),
        CreateVerdict::Burn {
            cause: BurnCause::OutcomeUnknown,
            ..
        }
    ));
}

#[test]
fn a_code_read_means_one_ledger_change() {
    let charge = json!({"id": "cha_1", "amount": 1280, "status": "captured",
                        "paymentMethod": "paypay", "paidTime": 5});
    let table = [
        (json!({"status": "pending", "expiryPeriod": 9}), None),
        (json!({"status": "completed"}), None),
        (json!({"status": "somethingNew"}), None),
        (json!({"status": "closed"}), Some(Change::Closed)),
        (
            json!({"status": "closed", "expired": true}),
            Some(Change::Expired),
        ),
        (
            json!({"status": "captured", "charge": charge}),
            Some(Change::Captured {
                charge_id: Some("cha_1".into()),
                payment_method: Some("paypay".into()),
                paid_time: Some(5),
                source: "poll".into(),
            }),
        ),
        (
            json!({"status": "captured"}),
            Some(Change::Captured {
                charge_id: None,
                payment_method: None,
                paid_time: None,
                source: "poll".into(),
            }),
        ),
    ];
    for (mut body, want) in table {
        body["id"] = json!("cod_1");
        let read = read_code(&code(body.clone()), "poll");
        assert_eq!(read.change, want, "{body}");
        assert_eq!(read.remaining_ms, body["expiryPeriod"].as_i64(), "{body}");
    }
}

fn event(kind: &str, charge: serde_json::Value) -> Event {
    let v = json!({"id": "evt_1", "object": "event", "createTime": 0, "liveMode": false,
                   "type": kind, "data": {"object": charge}});
    Event::parse(&serde_json::to_vec(&v).unwrap()).unwrap()
}

#[test]
fn a_webhook_concerns_a_paid_charge_of_this_store_with_an_order_no() {
    let charge = json!({"id": "cha_1", "object": "charge", "amount": 1, "status": "captured",
                        "orderNo": "S01R1-1", "location": {"id": "loc_1"}});
    let paid = Ok(ReportedPayment {
        charge_id: "cha_1".into(),
        order_no: "S01R1-1".into(),
    });
    let mut no_order = charge.clone();
    no_order["orderNo"] = json!(null);
    let table = [
        (
            event("charge.succeeded", charge.clone()),
            Some("loc_1"),
            paid.clone(),
        ),
        (event("charge.succeeded", charge.clone()), None, paid),
        (
            event("charge.succeeded", charge.clone()),
            Some("loc_2"),
            Err("another store's payment"),
        ),
        (
            event("charge.refunded", charge.clone()),
            None,
            Err("not a payment event"),
        ),
        (
            event("charge.succeeded", json!({"object": "refund"})),
            None,
            Err("no charge in the event"),
        ),
        (
            event("charge.succeeded", no_order),
            None,
            Err("charge without orderNo"),
        ),
    ];
    for (i, (ev, location, want)) in table.into_iter().enumerate() {
        assert_eq!(webhook_payment(&ev, location), want, "row {i}");
    }
}

#[test]
fn a_webhook_reads_back_every_code_of_the_order_not_known_paid() {
    use AttemptState::*;
    let pending = attempt(1, Pending, Some("cod_1"), None);
    let expired = attempt(2, Expired, Some("cod_2"), None);
    let closed = attempt(3, Closed, Some("cod_3"), None);
    let burned = attempt(4, Burned, None, None);
    let rejected = attempt(5, Rejected, None, None);
    let paid = attempt(6, Captured, Some("cod_6"), Some("cha_1"));
    let all = [
        pending.clone(),
        expired.clone(),
        closed.clone(),
        burned.clone(),
    ];
    assert_eq!(
        webhook_targets(&all, "cha_1"),
        WebhookTargets::Refetch(vec![&pending, &expired, &closed])
    );
    let known = [expired.clone(), paid];
    assert_eq!(
        webhook_targets(&known, "cha_1"),
        WebhookTargets::AlreadyRecorded
    );
    assert_eq!(
        webhook_targets(&known, "cha_2"),
        WebhookTargets::Refetch(vec![&expired])
    );
    assert_eq!(
        webhook_targets(&[burned, rejected], "cha_1"),
        WebhookTargets::NotOurs
    );
    assert_eq!(webhook_targets(&[], "cha_1"), WebhookTargets::NotOurs);
}

#[test]
fn a_webhook_is_applied_once_a_read_back_recorded_something() {
    use AttemptState::*;
    use WebhookOutcome::*;
    let table: [(&[AttemptState], bool, WebhookOutcome); 6] = [
        (&[Expired, Captured], true, Applied(Captured)),
        (&[Captured, Expired], false, Applied(Captured)),
        (&[Pending, Expired], false, Applied(Expired)),
        (&[Expired], true, NotYetApplied),
        (&[], true, NotYetApplied),
        (&[], false, NotYetApplied),
    ];
    for (states, failed, want) in table {
        assert_eq!(webhook_outcome(states, failed), want, "{states:?} {failed}");
    }
}

#[test]
fn a_cancel_reads_back_unless_the_close_certainly_failed() {
    let table = [
        (api(400, Some("M006003"), None), true),
        (api(400, Some("M002008"), None), true),
        (api(400, Some("M006004"), None), true),
        (api(500, Some("S001000"), None), true),
        (api(400, Some("M001000"), None), false),
        (api(401, None, None), false),
    ];
    for (e, want) in table {
        assert_eq!(close_failure_may_have_ended(&e), want, "{e}");
    }
}

#[test]
fn siblings_of_a_paid_attempt() {
    use AttemptState::*;
    for (state, want) in [
        (Captured, Sibling::PaidTwice),
        (Pending, Sibling::Close),
        (Expired, Sibling::Leave),
        (Closed, Sibling::Leave),
        (Burned, Sibling::Leave),
    ] {
        assert_eq!(
            sibling_of_paid(&attempt(1, state, None, None)),
            want,
            "{state}"
        );
    }
}

#[test]
fn polls_once_at_expiry_and_never_floods() {
    let i = Duration::from_millis(1000);
    assert_eq!(next_poll_delay(Some(60_000), i, false), (i, false));
    assert_eq!(next_poll_delay(None, i, false), (i, false));
    assert_eq!(
        next_poll_delay(Some(300), i, false),
        (Duration::from_millis(320), true)
    );
    // Once checked at expiry, the server may still say a little time is
    // left: normal pace.
    assert_eq!(next_poll_delay(Some(10), i, true), (i, false));
    // A countdown stuck at 0 or below: normal pace.
    assert_eq!(next_poll_delay(Some(0), i, false), (i, false));
    assert_eq!(next_poll_delay(Some(-5), i, false), (i, false));
}

#[test]
fn checks_back_off_after_failures_and_cap() {
    let base = Duration::from_millis(100);
    let cap = Duration::from_secs(2);
    assert_eq!(next_check_delay(base, cap, 0, Some(cap)), base);
    for f in 1..20 {
        let d = next_check_delay(base, cap, f, None);
        assert!(d <= cap, "{d:?}");
        assert!(d >= (base * 2u32.pow(f.min(10))).min(cap) / 2);
    }
    let one = Some(Duration::from_secs(1));
    assert!(next_check_delay(base, cap, 1, one) >= Duration::from_secs(1));
    // A Retry-After beyond the cap waits the cap, not longer.
    let long = Some(Duration::from_secs(50));
    assert!(next_check_delay(base, cap, 1, long) == cap);
}

#[test]
fn a_refund_elepay_does_not_list_is_given_up_only_when_it_cannot_fit() {
    // (paid, refunds elepay lists, the unlisted refund's amount, may exist)
    for (paid, listed, amount, may) in [
        (1280, 0, 1280, true),
        (1280, 780, 500, true),
        (1280, 781, 500, false),
        (1280, 1280, 1, false),
    ] {
        assert_eq!(
            refund_may_exist(paid, listed, amount),
            may,
            "{paid} {listed} {amount}"
        );
    }
}

fn schedule() -> EngineConfig {
    // The defaults: 1 s for two minutes, then 3 s; with push 5 s, then 15 s.
    EngineConfig::new(easyqr_ledger::OrderPrefix::new("S01R1").unwrap(), "R1")
}

#[test]
fn codes_are_polled_fast_while_new_and_gently_after() {
    let (fast, slow) = (Duration::from_secs(1), Duration::from_secs(3));
    let cfg = schedule();
    // (age of the code in ms, interval)
    for (age, want) in [(0, fast), (119_999, fast), (120_000, slow), (600_000, slow)] {
        assert_eq!(poll_interval_at(age, false, &cfg), want, "{age}");
    }
    // A slow interval set below the fast one never speeds polling up.
    let mut odd = schedule();
    odd.slow_poll_interval = Duration::from_millis(10);
    assert_eq!(poll_interval_at(200_000, false, &odd), fast);
}

#[test]
fn while_push_is_live_codes_are_polled_every_5_s_then_every_15_s() {
    let cfg = schedule();
    let s = Duration::from_secs;
    // (age of the code in ms, interval with push live, without)
    for (age, live, down) in [
        (0, s(5), s(1)),
        (119_999, s(5), s(1)),
        (120_000, s(15), s(3)),
        (600_000, s(15), s(3)),
    ] {
        assert_eq!(poll_interval_at(age, true, &cfg), live, "{age} live");
        assert_eq!(poll_interval_at(age, false, &cfg), down, "{age} down");
    }
    // Push never makes polling faster than without it: a register set to
    // poll every 10 s keeps 10 s.
    let mut patient = schedule();
    patient.poll_interval = s(10);
    assert_eq!(poll_interval_at(0, true, &patient), s(10));
    assert_eq!(poll_interval_at(600_000, true, &patient), s(15));
    let mut odd = schedule();
    odd.push_slow_poll_interval = s(2);
    assert_eq!(poll_interval_at(600_000, true, &odd), s(5));
}

#[test]
fn push_is_live_while_connected_and_beating_within_the_limit() {
    let limit = Duration::from_secs(35);
    assert!(!push_live(Push::Down, 1_000, limit), "never connected");
    assert_eq!(push_live_until(Push::Down, limit), None);
    let up = Push::Up {
        last_sign_ms: 1_000,
    };
    assert_eq!(push_live_until(up, limit), Some(36_000));
    // (now, live): a beat every 15 s keeps it live with one missed; two
    // missed beats and the margin end it, though TCP still looks connected.
    for (now, live) in [
        (1_000, true),
        (31_000, true),
        (35_999, true),
        (36_000, false),
    ] {
        assert_eq!(push_live(up, now, limit), live, "{now}");
    }
    assert_eq!(
        crate::config::PUSH_SILENCE_LIMIT,
        limit,
        "two of HQ's 15 s beats and 5 s"
    );
}
