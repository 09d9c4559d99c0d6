//! The benchmark's flags. The database URL carries a password, so it comes
//! from `--database-url` only for convenience on a throwaway cluster; it is
//! never printed.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "easyqr-hq-load",
    version,
    about = "Load benchmark of easyqr-hq: S stores x R registers streaming, signed webhooks at a rate, exactly-once checked"
)]
pub struct Args {
    /// PostgreSQL (a postgres:// URL or key=value string). Without it, the
    /// PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE of pg_virtualenv.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The easyqr-hq binary to start.
    #[arg(long, default_value = "target/release/easyqr-hq")]
    pub hq_bin: PathBuf,
    /// HQ processes to start on loopback ports.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub processes: u16,
    /// HQ's --keep-alive-secs.
    #[arg(long, default_value_t = 15)]
    pub keep_alive_secs: u64,
    #[arg(long, default_value_t = 2500, value_parser = clap::value_parser!(u32).range(1..=99_999))]
    pub stores: u32,
    /// Registers per store.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=99))]
    pub registers: u32,
    /// Names this run's stores and registers (A-Z, 0-9): a re-run with the
    /// same prefix enrols the same ones again instead of adding more.
    #[arg(long, default_value = "LD", value_parser = prefix)]
    pub prefix: String,
    /// Webhooks per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// How long webhooks are posted, e.g. 60s or 2m.
    #[arg(long, default_value = "60s", value_parser = duration)]
    pub duration: Duration,
    /// Share of deliveries elepay sends again (0 to 1), some later and out
    /// of order.
    #[arg(long, default_value_t = 0.1)]
    pub duplicates: f64,
    /// Seconds into the posting phase to kill -9 one HQ process.
    #[arg(long)]
    pub kill_one_at: Option<u64>,
    /// Shell command that restarts PostgreSQL, e.g. "pg_ctlcluster 15 main restart".
    #[arg(long, requires = "restart_pg_at")]
    pub restart_pg: Option<String>,
    /// Seconds into the posting phase to run --restart-pg.
    #[arg(long, requires = "restart_pg")]
    pub restart_pg_at: Option<u64>,
    /// Streams being opened at once.
    #[arg(long, default_value_t = 64)]
    pub open_concurrency: usize,
    /// Seconds to wait, after the last webhook is stored, for every register
    /// to have its events (longer than a beat: the old HQ relays across
    /// processes only at the next beat).
    #[arg(long)]
    pub drain_secs: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    pub fn drain(&self) -> Duration {
        Duration::from_secs(self.drain_secs.unwrap_or(self.keep_alive_secs * 2 + 10))
    }

    pub fn streams(&self) -> usize {
        self.stores as usize * self.registers as usize
    }

    /// What the flags cannot check alone; `nofile` is this process's
    /// open-files limit.
    pub fn check(&self, nofile: u64) -> Result<(), String> {
        let n = self.streams();
        if (nofile as usize) < n + 512 {
            return Err(format!(
                "open-files limit {nofile} is too low for {n} streams: raise the hard limit (ulimit -Hn)"
            ));
        }
        if self.kill_one_at.is_some() && self.processes < 2 {
            return Err("--kill-one-at: needs --processes 2 or more".into());
        }
        if !(self.rate > 0.0 && self.rate <= 10_000.0) {
            return Err(format!(
                "--rate: above 0 and at most 10000 per second (got {})",
                self.rate
            ));
        }
        if !(0.0..=1.0).contains(&self.duplicates) {
            return Err(format!(
                "--duplicates: a share from 0 to 1 (got {})",
                self.duplicates
            ));
        }
        if !self.hq_bin.is_file() {
            return Err(format!(
                "--hq-bin {}: no such file (cargo build --release -p easyqr-hq)",
                self.hq_bin.display()
            ));
        }
        Ok(())
    }
}

fn prefix(s: &str) -> Result<String, String> {
    if (1..=6).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(s.to_owned())
    } else {
        Err("1 to 6 of A-Z and 0-9".into())
    }
}

/// `90`, `90s`, `2m`.
fn duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = match s.strip_suffix('m') {
        Some(n) => (n, 60),
        None => (s.strip_suffix('s').unwrap_or(s), 1),
    };
    n.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| Duration::from_secs(n * unit))
        .ok_or_else(|| "whole seconds or minutes, e.g. 60s or 2m".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_prefixes_read() {
        assert_eq!(duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("20"), Ok(Duration::from_secs(20)));
        assert!(duration("0s").is_err() && duration("1h").is_err());
        assert!(prefix("LD2").is_ok());
        assert!(prefix("ld").is_err() && prefix("A-B").is_err() && prefix("").is_err());
    }
}
