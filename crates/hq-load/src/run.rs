//! One benchmark run, phase by phase: enrol, start HQ, open the streams,
//! post (with the disruptions asked for), drain, check, report.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng as _;
use tokio::sync::{watch, Semaphore};

use crate::cli::Args;
use crate::enrol::Register;
use crate::proc::{self, Fleet};
use crate::stats::{self, Report, Summary};
use crate::streams::{self, Receipt, Shared};
use crate::webhooks::{self, Poster};
use crate::{check, db, enrol, phase, say};

pub async fn run(args: Args, nofile: u64) -> Result<Report, String> {
    let n_streams = args.streams();
    args.check(nofile)?;
    let database = db::conninfo(args.database_url.clone())?;
    let pool = easyqr_hq::db::pool(&database, 16).map_err(|e| e.to_string())?;
    easyqr_hq::db::migrate(&pool)
        .await
        .map_err(|e| e.to_string())?;

    say(format!(
        "enrolling {} stores x {} registers",
        args.stores, args.registers
    ));
    let t = Instant::now();
    let regs = enrol::enrol_all(
        &pool,
        &args.prefix,
        args.stores as usize,
        args.registers as usize,
        16,
    )
    .await?;
    let enrol_secs = t.elapsed().as_secs_f64();
    let start_seq = db::top_seq(&pool).await?;

    let mut fleet = Fleet::start(
        &args.hq_bin,
        args.processes.into(),
        args.keep_alive_secs,
        // One process must take every stream when the other is killed.
        n_streams + 1024,
        &database,
    )
    .await?;
    say(format!(
        "HQ listening on {:?}; logs in {}",
        fleet.addrs(),
        fleet.log_dir.display()
    ));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before: Vec<u64> = fleet
        .procs
        .iter()
        .map(|p| proc::rss_kib(p.pid).unwrap_or(0))
        .collect();

    // Every register's stream, from the inbox's top now.
    let (stop, stop_rx) = watch::channel(false);
    let shared = Arc::new(streams::Shared {
        addrs: fleet.addrs(),
        counters: streams::Counters::default(),
        opening: Semaphore::new(args.open_concurrency.max(1)),
        stop: stop_rx,
    });
    let t = Instant::now();
    let tasks = open_streams(&regs, start_seq, &shared).await?;
    let open_secs = t.elapsed().as_secs_f64();
    say(format!("{n_streams} streams open in {open_secs:.1} s"));
    // PostgreSQL's backends publish their counts within its idle interval
    // (10 s): the streams' openings are counted before the phase starts.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let rss_with: Vec<u64> = fleet
        .procs
        .iter()
        .map(|p| proc::rss_kib(p.pid).unwrap_or(0))
        .collect();

    // The measured phase.
    let run_id: u32 = rand::rng().random();
    let id_prefix = format!(
        "evt_load_{}_{run_id:08x}_",
        args.prefix.to_ascii_lowercase()
    );
    let poster = Arc::new(Poster::new(fleet.addrs(), &fleet.secret)?);
    let locations: Vec<Arc<str>> = (0..args.stores as usize)
        .map(|s| regs[s * args.registers as usize].location_id.clone())
        .collect();
    let plan = webhooks::Plan {
        rate: args.rate,
        duration: args.duration,
        duplicates: args.duplicates,
        stores: args.stores as usize,
        locations: Arc::new(locations),
        id_prefix: id_prefix.clone(),
    };
    let pids: Vec<u32> = fleet.procs.iter().map(|p| p.pid).collect();
    let start = phase::mark(&pids, &pool, start_seq).await?;
    say(format!(
        "posting {}/s for {} s",
        args.rate,
        args.duration.as_secs()
    ));
    let posting = async {
        let deliveries = webhooks::post(poster.clone(), plan).await;
        (deliveries, phase::mark(&pids, &pool, start_seq).await)
    };
    let ((deliveries, posted), disrupted) = tokio::join!(
        posting,
        phase::disrupt(&mut fleet, &pids, &poster, &pool, &args, start_seq)
    );
    let (mut end, disrupted) = (posted?, disrupted?);
    settle(deliveries, &poster).await;

    // Until every register has every event of its store (or the drain ends).
    let stored = db::stored_since(&pool, start_seq, &id_prefix).await?;
    let due = stored.len() as u64 * args.registers as u64;
    let t = Instant::now();
    while shared.counters.received.load(Relaxed) < due && t.elapsed() < args.drain() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Late duplicates, if any, arrive now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    if let Some(k) = &disrupted.killed {
        end.ticks[k.index] = k.ticks;
    }
    // PostgreSQL's figures stop at the first disruption.
    let pg_end = match &disrupted.before {
        Some(m) if m.at < end.at => (m.at, m.xacts, m.stored),
        _ => (end.at, end.xacts, end.stored),
    };
    let _ = stop.send(true);
    let mut got: Vec<Vec<Receipt>> = Vec::with_capacity(tasks.len());
    for t in tasks {
        got.push(t.await.unwrap_or_default());
    }
    let hq_logs = fleet.log_dir.display().to_string();
    drop(fleet);

    let tally = poster.take_tally();
    let verdict = verdict(&stored, &tally.accepted, &regs, &got);
    let (pairs, last) = stats::latencies(&tally.accepted, &got, args.registers as usize);
    let cpu = phase::cpu_percent(&start, &end, disrupted.killed.as_ref());
    let grown: u64 = rss_with
        .iter()
        .zip(&rss_before)
        .map(|(w, b)| w.saturating_sub(*b))
        .sum();
    let events = pg_end.2 - start.stored;
    let xacts = pg_end.1 - start.xacts;
    let report = Report {
        hq_commit: hq_commit(),
        processes: args.processes.into(),
        stores: args.stores as usize,
        registers_per_store: args.registers as usize,
        streams: n_streams,
        rate_per_sec: args.rate,
        duration_secs: args.duration.as_secs(),
        duplicates: args.duplicates,
        enrol_secs,
        open_secs,
        events_posted: tally.posted.len(),
        duplicates_sent: tally.duplicates_sent,
        latency_pairs: pairs,
        latency_last_register: last,
        webhook_answer: Summary::of(tally.answers.clone()),
        webhook_refused_by_status: tally.refused.clone(),
        webhook_transport_errors: tally.transport_errors,
        hq_cpu_percent: cpu,
        hq_rss_kib_before_streams: rss_before,
        hq_rss_kib_with_streams: rss_with,
        hq_kib_per_1000_streams: (grown as f64 * 1000.0 / n_streams as f64).round(),
        pg_xacts_per_event: (events > 0)
            .then(|| (xacts as f64 / events as f64 * 100.0).round() / 100.0),
        pg_xacts: xacts,
        pg_events_stored: events,
        pg_window_secs: pg_end.0.duration_since(start.at).as_secs_f64(),
        stream_reconnects: shared.counters.reconnects.load(Relaxed),
        stream_refused: shared.counters.refused.load(Relaxed),
        stream_connect_errors: shared.counters.connect_errors.load(Relaxed),
        killed_process: disrupted.killed.as_ref().map(|k| k.index),
        pg_restart: disrupted.pg_restart,
        exactly_once: verdict,
        hq_logs,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", report.text());
    }
    Ok(report)
}

/// Every register's stream, from `cursor`; back once all are open.
async fn open_streams(
    regs: &[Register],
    cursor: i64,
    shared: &Arc<Shared>,
) -> Result<Vec<tokio::task::JoinHandle<Vec<Receipt>>>, String> {
    let n = regs.len();
    say(format!("opening {n} streams"));
    let t = Instant::now();
    let tasks = regs
        .iter()
        .map(|r| tokio::spawn(streams::run(r.clone(), cursor, shared.clone())))
        .collect();
    while shared.counters.opened.load(Relaxed) < n {
        if t.elapsed() > Duration::from_secs(600) {
            return Err(format!(
                "only {} of {n} streams opened in 600 s",
                shared.counters.opened.load(Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(tasks)
}

/// Waits for the deliveries still retrying or holding a duplicate; after
/// two minutes they send once more at most.
async fn settle(mut deliveries: tokio::task::JoinSet<()>, poster: &Poster) {
    let all = async { while deliveries.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .is_err()
    {
        say("deliveries still refused after 120 s; giving up on them");
        poster.give_up.store(true, Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(35), async {
            while deliveries.join_next().await.is_some() {}
        })
        .await;
        deliveries.abort_all();
    }
}

fn verdict(
    stored: &[db::Stored],
    accepted: &std::collections::HashMap<String, Instant>,
    regs: &[Register],
    got: &[Vec<Receipt>],
) -> check::Verdict {
    let views: Vec<Vec<(i64, &str, Option<&str>)>> = got
        .iter()
        .map(|rs| {
            rs.iter()
                .map(|r| (r.seq, r.event_id.as_str(), r.location_id.as_deref()))
                .collect()
        })
        .collect();
    check::check(
        stored,
        accepted.keys().map(String::as_str),
        regs.iter()
            .zip(&views)
            .map(|(r, v)| (&*r.location_id, r.register_id.as_str(), v.as_slice())),
    )
}

/// The working tree's commit (the HQ binary is normally built from it).
fn hq_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
