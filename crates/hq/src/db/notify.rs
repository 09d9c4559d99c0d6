//! One dedicated connection that LISTENs: PostgreSQL's notifications reach
//! only the session that asked, so this connection is never a pooled one
//! (nor may it go through a transaction-mode pooler such as PgBouncer's).
//! The connection also runs the fan-out's reads, on statements it prepares
//! once.

use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Connection, NoTls};

use super::Target;
use crate::error::HqError;

/// A notification: its channel and payload.
#[derive(Debug)]
pub struct Note {
    pub channel: String,
    pub payload: String,
}

/// A LISTENing session: `notes` closes when the connection is lost.
#[derive(Debug)]
pub struct Listening {
    pub client: Client,
    pub notes: mpsc::UnboundedReceiver<Note>,
}

/// A dead database host must not leave the listener waiting for hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects and LISTENs on `channels` (fixed identifiers, never input).
pub async fn listen(target: &Target, channels: &[&str]) -> Result<Listening, HqError> {
    let mut cfg = target.cfg.clone();
    cfg.connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(KEEPALIVE_IDLE)
        .application_name("easyqr-hq listener");
    let (tx, notes) = mpsc::unbounded_channel();
    let client = match &target.tls {
        None => {
            let (client, conn) = cfg.connect(NoTls).await?;
            tokio::spawn(drive(conn, tx));
            client
        }
        Some(tls) => {
            let (client, conn) = cfg.connect(tls.clone()).await?;
            tokio::spawn(drive(conn, tx));
            client
        }
    };
    for ch in channels {
        client.batch_execute(&format!("LISTEN {ch}")).await?;
    }
    Ok(Listening { client, notes })
}

/// Runs the connection, handing its notifications on until it ends.
async fn drive<S, T>(mut conn: Connection<S, T>, tx: mpsc::UnboundedSender<Note>)
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
    while let Some(m) = messages.next().await {
        match m {
            Ok(AsyncMessage::Notification(n)) => {
                let note = Note {
                    channel: n.channel().to_owned(),
                    payload: n.payload().to_owned(),
                };
                if tx.send(note).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(error = %e, "listener connection ended");
                return;
            }
        }
    }
}
