//! A shift's payments and refunds, and the events no store claims: the
//! lists the view shows as they are stored.

use serde::Serialize;
use tokio_postgres::Client;

use crate::error::HqError;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRow {
    pub order_no: String,
    pub amount: i64,
    pub state: String,
    pub payment_method: Option<String>,
    pub paid_time: Option<i64>,
    pub paid_source: Option<String>,
    pub late: bool,
    pub refunded: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRow {
    pub order_no: Option<String>,
    pub amount: i64,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: i64,
}

/// One shift's payments (attempts) and refunds.
pub async fn shift_detail(
    c: &Client,
    register: i64,
    shift_id: i64,
) -> Result<(Vec<PaymentRow>, Vec<RefundRow>), HqError> {
    let payments = c
        .query(
            &format!(
                "SELECT a.order_no, a.amount, a.state, a.payment_method, a.paid_time, a.paid_source,
                        a.late, {}
                 FROM attempts a WHERE a.register = $1 AND a.shift_id = $2 ORDER BY a.attempt_id",
                super::saturating_bigint(
                    "coalesce((SELECT sum(f.amount) FROM refunds f WHERE f.register = a.register
                        AND f.attempt_id = a.attempt_id AND f.status <> 'failed'), 0)"
                )
            ),
            &[&register, &shift_id],
        )
        .await?
        .iter()
        .map(|r| PaymentRow {
            order_no: r.get(0),
            amount: r.get(1),
            state: r.get(2),
            payment_method: r.get(3),
            paid_time: r.get(4),
            paid_source: r.get(5),
            late: r.get(6),
            refunded: r.get(7),
        })
        .collect();
    let refunds = c
        .query(
            "SELECT a.order_no, f.amount, f.status, f.reason, f.created_at
             FROM refunds f LEFT JOIN attempts a
               ON a.register = f.register AND a.attempt_id = f.attempt_id
             WHERE f.register = $1 AND f.shift_id = $2 ORDER BY f.refund",
            &[&register, &shift_id],
        )
        .await?
        .iter()
        .map(|r| RefundRow {
            order_no: r.get(0),
            amount: r.get(1),
            status: r.get(2),
            reason: r.get(3),
            created_at: r.get(4),
        })
        .collect();
    Ok((payments, refunds))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnknownEvent {
    pub seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub location_id: Option<String>,
    pub code_id: Option<String>,
    pub received_at: i64,
    pub deliveries: i32,
    /// The amount the event's object names (`data.object.amount`), if any.
    pub amount: Option<i64>,
}

/// Events for no known store, newest first (a store not added yet, or a
/// code created without a `locationId`).
pub async fn unknown_events(c: &Client, limit: i64) -> Result<Vec<UnknownEvent>, HqError> {
    Ok(c.query(
        "SELECT seq, event_id, event_type, location_id, code_id,
                    (extract(epoch FROM received_at) * 1000)::bigint, deliveries, body
             FROM inbox i WHERE NOT EXISTS
                 (SELECT 1 FROM stores s WHERE s.location_id = i.location_id)
             ORDER BY seq DESC LIMIT $1",
        &[&limit],
    )
    .await?
    .iter()
    .map(|r| UnknownEvent {
        seq: r.get(0),
        event_id: r.get(1),
        event_type: r.get(2),
        location_id: r.get(3),
        code_id: r.get(4),
        received_at: r.get(5),
        deliveries: r.get(6),
        amount: elepay::webhook::Event::parse(r.get::<_, &str>(7).as_bytes())
            .ok()
            .and_then(|e| e.data_object.get("amount").and_then(|a| a.as_i64())),
    })
    .collect())
}
