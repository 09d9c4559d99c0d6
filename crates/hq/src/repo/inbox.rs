//! The `inbox` table: every verified elepay event, once, in commit order.

use elepay::webhook::Event;
use serde_json::Value;
use tokio_postgres::{Client, Statement};

use crate::db::Db;
use crate::error::HqError;

/// Key of the lock that orders inbox seqs by commit.
const INBOX_LOCK: i64 = 0x4551_5248_515f_4942;

#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    New(i64),
    Again,
}

/// The code an event concerns, for the view (`codeId`, or a code's `id`).
fn code_id(e: &Event) -> Option<String> {
    let o = &e.data_object;
    o.get("codeId")
        .or_else(|| (o.get("object").and_then(Value::as_str) == Some("code")).then(|| &o["id"]))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

pub async fn store(db: &Db, e: &Event, body: &str) -> Result<Stored, HqError> {
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    // Prepared once per connection: a delivery is four round trips.
    let again = tx
        .prepare_cached(
            "UPDATE inbox SET deliveries = deliveries + 1, last_delivery_at = now()
             WHERE event_id = $1",
        )
        .await?;
    let again = tx.execute(&again, &[&e.id]).await?;
    if again == 1 {
        tx.commit().await?;
        return Ok(Stored::Again);
    }
    // Seqs in commit order: a stream that has read up to N never finds a
    // row below N committed after it looked.
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await?;
    tx.execute(&lock, &[&INBOX_LOCK]).await?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO inbox (seq, event_id, event_type, location_id, code_id, body)
             SELECT coalesce(max(seq), 0) + 1, $1, $2, $3, $4, $5 FROM inbox
             ON CONFLICT (event_id) DO UPDATE SET deliveries = inbox.deliveries + 1
             RETURNING seq, deliveries",
        )
        .await?;
    let row = tx
        .query_one(
            &insert,
            &[
                &e.id,
                &e.event_type.as_str(),
                &e.location_id(),
                &code_id(e),
                &body,
            ],
        )
        .await?;
    tx.commit().await?;
    let deliveries: i32 = row.get(1);
    Ok(if deliveries == 1 {
        Stored::New(row.get(0))
    } else {
        Stored::Again
    })
}

/// The newest seq (0 for an empty inbox).
pub async fn newest_seq(db: &Db) -> Result<i64, HqError> {
    let c = db.get().await?;
    let newest = c
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM inbox")
        .await?;
    Ok(c.query_one(&newest, &[]).await?.get(0))
}

/// Up to `limit` rows of `location` after seq `after` and up to `upto`.
pub async fn of_location(
    db: &Db,
    location: &str,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, HqError> {
    let c = db.get().await?;
    let page = c
        .prepare_cached(
            "SELECT seq, body FROM inbox
             WHERE location_id = $1 AND seq > $2 AND seq <= $3
             ORDER BY seq LIMIT $4",
        )
        .await?;
    let rows = c.query(&page, &[&location, &after, &upto, &limit]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A row as the relay hands it out.
#[derive(Debug)]
pub struct Fresh {
    pub seq: i64,
    pub location_id: Option<String>,
    pub body: String,
    /// Seconds from its commit to this read.
    pub age_secs: f64,
}

/// The relay's read, prepared once on its own connection.
#[derive(Debug)]
pub struct After(Statement);

impl After {
    pub async fn prepare(c: &Client) -> Result<After, HqError> {
        Ok(After(
            c.prepare(
                "SELECT seq, location_id, body,
                    extract(epoch FROM clock_timestamp() - received_at)::float8
                 FROM inbox WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .await?,
        ))
    }

    /// Up to `limit` rows after seq `after`, in seq order.
    pub async fn read(&self, c: &Client, after: i64, limit: i64) -> Result<Vec<Fresh>, HqError> {
        let rows = c.query(&self.0, &[&after, &limit]).await?;
        Ok(rows
            .iter()
            .map(|r| Fresh {
                seq: r.get(0),
                location_id: r.get(1),
                body: r.get(2),
                age_secs: r.get(3),
            })
            .collect())
    }
}
