//! The measured phase: its marks (time, CPU ticks, PostgreSQL's
//! transaction counter, events stored) and its disruptions (kill -9 of one
//! HQ process, a PostgreSQL restart) at their times.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crate::cli::Args;
use crate::proc::{self, Fleet};
use crate::webhooks::Poster;
use crate::{db, say};

/// A point of the measured phase: time, CPU ticks per process, the
/// transaction counter and the events stored.
pub struct Mark {
    pub at: Instant,
    pub ticks: Vec<Option<u64>>,
    pub xacts: i64,
    pub stored: i64,
}

/// A mark now; the database's figures are awaited while it is away (a
/// restart near the phase's end), for up to 60 s.
pub async fn mark(pids: &[u32], pool: &easyqr_hq::Db, after_seq: i64) -> Result<Mark, String> {
    let at = Instant::now();
    let ticks = pids.iter().map(|&p| proc::cpu_ticks(p)).collect();
    let mut tries = 0;
    loop {
        let figures = async {
            Ok::<_, String>((
                db::xacts(pool).await?,
                db::stored_count(pool, after_seq).await?,
            ))
        };
        match figures.await {
            Ok((xacts, stored)) => {
                return Ok(Mark {
                    at,
                    ticks,
                    xacts,
                    stored,
                })
            }
            Err(e) if tries >= 60 => return Err(e),
            Err(_) => tries += 1,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

pub struct Killed {
    pub index: usize,
    pub at: Instant,
    pub ticks: Option<u64>,
}

pub struct Disrupted {
    /// The steady phase's end: just before the first disruption.
    pub before: Option<Mark>,
    pub killed: Option<Killed>,
    pub pg_restart: Option<String>,
}

/// kill -9 of the last process and the PostgreSQL restart, at their times
/// from the posting's start.
pub async fn disrupt(
    fleet: &mut Fleet,
    pids: &[u32],
    poster: &Poster,
    pool: &easyqr_hq::Db,
    args: &Args,
    start_seq: i64,
) -> Result<Disrupted, String> {
    let t0 = Instant::now();
    let mut plan: Vec<(u64, bool)> = Vec::new();
    plan.extend(args.kill_one_at.map(|s| (s, true)));
    plan.extend(args.restart_pg_at.map(|s| (s, false)));
    plan.sort_unstable();
    let mut out = Disrupted {
        before: None,
        killed: None,
        pg_restart: None,
    };
    for (at, kill) in plan {
        tokio::time::sleep_until((t0 + Duration::from_secs(at)).into()).await;
        if out.before.is_none() {
            out.before = Some(mark(pids, pool, start_seq).await?);
        }
        if kill {
            let index = fleet.procs.len() - 1;
            poster.down[index].store(true, Relaxed);
            let ticks = proc::cpu_ticks(fleet.procs[index].pid);
            let at = Instant::now();
            fleet.kill(index).await?;
            say(format!(
                "killed HQ process {index} (SIGKILL) at {} s",
                t0.elapsed().as_secs()
            ));
            out.killed = Some(Killed { index, at, ticks });
        } else if let Some(cmd) = &args.restart_pg {
            say(format!(
                "restarting PostgreSQL at {} s",
                t0.elapsed().as_secs()
            ));
            let t = Instant::now();
            let status = tokio::process::Command::new("sh")
                .args(["-c", cmd])
                .status()
                .await
                .map_err(|e| format!("--restart-pg: {e}"))?;
            out.pg_restart = Some(format!(
                "`{cmd}` at {at} s, {status} after {:.1} s",
                t.elapsed().as_secs_f64()
            ));
        }
    }
    Ok(out)
}

/// Each process's utime+stime from `start` to `end` (or to its kill), as
/// % of one core.
pub fn cpu_percent(start: &Mark, end: &Mark, killed: Option<&Killed>) -> Vec<f64> {
    let tck = proc::clock_ticks() as f64;
    start
        .ticks
        .iter()
        .zip(&end.ticks)
        .enumerate()
        .map(|(i, (a, b))| {
            let until = match killed {
                Some(k) if k.index == i => k.at,
                _ => end.at,
            };
            let secs = until.duration_since(start.at).as_secs_f64();
            match (a, b) {
                (Some(a), Some(b)) if secs > 0.0 => {
                    ((b - a) as f64 / tck / secs * 1000.0).round() / 10.0
                }
                _ => 0.0,
            }
        })
        .collect()
}
