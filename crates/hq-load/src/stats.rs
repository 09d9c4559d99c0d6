//! Figures: percentiles of latencies, and the report (text or JSON).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::check::Verdict;
use crate::streams::Receipt;

/// p50/p95/p99/max in milliseconds (nearest rank).
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(mut xs: Vec<Duration>) -> Summary {
        if xs.is_empty() {
            return Summary::default();
        }
        xs.sort_unstable();
        let at = |p: f64| {
            let rank = ((p / 100.0) * xs.len() as f64).ceil() as usize;
            ms(xs[rank.clamp(1, xs.len()) - 1])
        };
        Summary {
            n: xs.len(),
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: ms(xs[xs.len() - 1]),
        }
    }

    fn line(&self) -> String {
        format!(
            "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n = {})",
            self.p50, self.p95, self.p99, self.max, self.n
        )
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub hq_commit: Option<String>,
    pub processes: usize,
    pub stores: usize,
    pub registers_per_store: usize,
    pub streams: usize,
    pub rate_per_sec: f64,
    pub duration_secs: u64,
    pub duplicates: f64,
    pub enrol_secs: f64,
    /// From the first stream opening to all open.
    pub open_secs: f64,
    pub events_posted: usize,
    pub duplicates_sent: u64,
    /// Webhook → a register of its store, over (event, register) pairs.
    pub latency_pairs: Summary,
    /// Webhook → the last register of its store, per event.
    pub latency_last_register: Summary,
    /// Every answer HQ gave the webhook, refusals included.
    pub webhook_answer: Summary,
    pub webhook_refused_by_status: BTreeMap<u16, u64>,
    pub webhook_transport_errors: u64,
    /// Each process's utime+stime over the measured phase, % of one core.
    pub hq_cpu_percent: Vec<f64>,
    pub hq_rss_kib_before_streams: Vec<u64>,
    pub hq_rss_kib_with_streams: Vec<u64>,
    pub hq_kib_per_1000_streams: f64,
    /// pg_stat_database transactions over the steady phase per webhook stored.
    pub pg_xacts_per_event: Option<f64>,
    pub pg_xacts: i64,
    pub pg_events_stored: i64,
    pub pg_window_secs: f64,
    pub stream_reconnects: u64,
    pub stream_refused: u64,
    pub stream_connect_errors: u64,
    pub killed_process: Option<usize>,
    pub pg_restart: Option<String>,
    pub exactly_once: Verdict,
    pub hq_logs: String,
}

impl Report {
    pub fn text(&self) -> String {
        let r = self;
        let mut s = String::new();
        let mut line = |l: String| {
            s.push_str(&l);
            s.push('\n');
        };
        line(format!(
            "easyqr-hq-load: {} process(es) (HQ {}), {} stores x {} registers = {} streams, {}/s for {} s, {:.0} % duplicates",
            r.processes,
            r.hq_commit.as_deref().unwrap_or("commit unknown"),
            r.stores,
            r.registers_per_store,
            r.streams,
            r.rate_per_sec,
            r.duration_secs,
            r.duplicates * 100.0
        ));
        line(format!(
            "  enrolled in {:.1} s; streams all open in {:.1} s",
            r.enrol_secs, r.open_secs
        ));
        line(format!(
            "  events posted {}, duplicate deliveries {}",
            r.events_posted, r.duplicates_sent
        ));
        line(format!(
            "  webhook → each register:        {}",
            r.latency_pairs.line()
        ));
        line(format!(
            "  webhook → last register of store: {}",
            r.latency_last_register.line()
        ));
        line(format!(
            "  webhook answer:                {}",
            r.webhook_answer.line()
        ));
        line(format!(
            "  webhook refused {:?}, transport errors {}",
            r.webhook_refused_by_status, r.webhook_transport_errors
        ));
        line(format!("  HQ CPU (% of one core): {:?}", r.hq_cpu_percent));
        line(format!(
            "  HQ RSS KiB before streams {:?}, with streams {:?}: {:.0} KiB per 1,000 streams",
            r.hq_rss_kib_before_streams, r.hq_rss_kib_with_streams, r.hq_kib_per_1000_streams
        ));
        line(format!(
            "  PostgreSQL: {} transactions for {} events over {:.1} s = {} per event",
            r.pg_xacts,
            r.pg_events_stored,
            r.pg_window_secs,
            r.pg_xacts_per_event
                .map_or("n/a".into(), |x| format!("{x:.2}"))
        ));
        line(format!(
            "  streams: reconnects {}, refused opens {}, connect errors {}",
            r.stream_reconnects, r.stream_refused, r.stream_connect_errors
        ));
        if let Some(k) = r.killed_process {
            line(format!("  killed HQ process {k} with SIGKILL"));
        }
        if let Some(p) = &r.pg_restart {
            line(format!("  PostgreSQL restart: {p}"));
        }
        let v = &r.exactly_once;
        line(format!(
            "  exactly-once: {} — {} pairs due, {} received, lost {}, duplicates {}, out of order {}, foreign {}, wrong seq {}, answered 2xx but not stored {}",
            if v.ok() { "held" } else { "BROKEN" },
            v.expected, v.received, v.lost, v.duplicates, v.out_of_order, v.foreign, v.wrong_seq, v.accepted_not_stored
        ));
        for e in &v.examples {
            line(format!("    {e}"));
        }
        line(format!("  HQ logs: {}", r.hq_logs));
        s
    }
}

/// Webhook → each register (over pairs, first receipt each) and → the last
/// register of its store (events every register got).
pub fn latencies(
    accepted: &HashMap<String, Instant>,
    got: &[Vec<Receipt>],
    per_store: usize,
) -> (Summary, Summary) {
    let mut pairs = Vec::new();
    let mut last: HashMap<&str, (Instant, usize)> = HashMap::new();
    for rs in got {
        let mut seen = HashSet::new();
        for r in rs.iter().filter(|r| seen.insert(r.event_id.as_str())) {
            let Some(sent) = accepted.get(&r.event_id) else {
                continue;
            };
            pairs.push(r.at.saturating_duration_since(*sent));
            let e = last.entry(&r.event_id).or_insert((r.at, 0));
            e.0 = e.0.max(r.at);
            e.1 += 1;
        }
    }
    let whole = last
        .iter()
        .filter(|(_, (_, n))| *n == per_store)
        .filter_map(|(id, (at, _))| accepted.get(*id).map(|s| at.saturating_duration_since(*s)))
        .collect();
    (Summary::of(pairs), Summary::of(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let xs = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(xs);
        assert_eq!(
            (s.n, s.p50, s.p95, s.p99, s.max),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(Summary::of(vec![Duration::from_millis(7)]).p99, 7.0);
        assert_eq!(Summary::of(Vec::new()).n, 0);
    }

    #[test]
    fn latency_counts_each_register_once_and_whole_stores_only() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let r = |id: &str, ms| Receipt {
            seq: 1,
            event_id: id.into(),
            location_id: None,
            at: at(ms),
        };
        let accepted = HashMap::from([("a".to_owned(), t0), ("b".to_owned(), t0)]);
        // Two registers per store: both got "a" (one twice), one got "b".
        let got = vec![vec![r("a", 3), r("a", 50), r("b", 4)], vec![r("a", 7)]];
        let (pairs, last) = latencies(&accepted, &got, 2);
        assert_eq!((pairs.n, pairs.max), (3, 7.0));
        assert_eq!((last.n, last.max), (1, 7.0));
    }
}
