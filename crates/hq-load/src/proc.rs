//! The HQ processes under load: started on loopback ports with a 0600
//! config file (database URL, a webhook secret made for the run), killed
//! with SIGKILL on request, and measured from /proc (CPU ticks, RSS).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::Rng as _;
use tokio::process::{Child, Command};

/// One `easyqr-hq` process.
#[derive(Debug)]
pub struct Hq {
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
}

/// The processes, their config file and where their logs go.
#[derive(Debug)]
pub struct Fleet {
    pub procs: Vec<Hq>,
    pub secret: String,
    pub log_dir: PathBuf,
    /// Holds the config file (0700 directory); removed on drop.
    _secrets: tempfile::TempDir,
}

impl Fleet {
    pub async fn start(
        bin: &Path,
        n: usize,
        keep_alive_secs: u64,
        max_connections: usize,
        database: &str,
    ) -> Result<Fleet, String> {
        let secrets = tempfile::Builder::new()
            .prefix("easyqr-hq-load-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let secret = format!("whsec_load_{:032x}", rand::rng().random::<u128>());
        let config = secrets.path().join("hq.json");
        write_private(
            &config,
            &serde_json::json!({"databaseUrl": database, "webhookSecrets": [secret]}).to_string(),
        )?;
        let log_dir =
            std::env::temp_dir().join(format!("easyqr-hq-load-logs-{}", std::process::id()));
        std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
        let mut procs = Vec::with_capacity(n);
        for i in 0..n {
            let addr = free_port()?;
            let log = std::fs::File::create(log_dir.join(format!("hq-{i}.log")))
                .map_err(|e| format!("log file: {e}"))?;
            let child = Command::new(bin)
                .arg("--config")
                .arg(&config)
                .args(["--addr", &addr.to_string()])
                .args(["--keep-alive-secs", &keep_alive_secs.to_string()])
                .args(["--max-connections", &max_connections.to_string()])
                // The config file is the one source of the secrets.
                .env_remove("DATABASE_URL")
                .env_remove(easyqr_hq::config::SECRETS_ENV)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("{}: {e}", bin.display()))?;
            let pid = child.id().ok_or("easyqr-hq exited at once")?;
            procs.push(Hq { addr, pid, child });
        }
        let mut fleet = Fleet {
            procs,
            secret,
            log_dir,
            _secrets: secrets,
        };
        for i in 0..n {
            fleet.wait_ready(i).await?;
        }
        Ok(fleet)
    }

    /// Until process `i` accepts connections (it migrates first).
    async fn wait_ready(&mut self, i: usize) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let hq = &mut self.procs[i];
        loop {
            if tokio::net::TcpStream::connect(hq.addr).await.is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = hq.child.try_wait() {
                return Err(format!(
                    "easyqr-hq {i} exited ({status}) before listening; see {}",
                    self.log_dir.join(format!("hq-{i}.log")).display()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!("easyqr-hq {i} not listening after 60 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// kill -9.
    pub async fn kill(&mut self, i: usize) -> Result<(), String> {
        let hq = &mut self.procs[i];
        hq.child
            .kill()
            .await
            .map_err(|e| format!("kill easyqr-hq {i}: {e}"))
    }

    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.procs.iter().map(|p| p.addr).collect()
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("config file {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("config file {}: {e}", path.display()))
}

fn free_port() -> Result<SocketAddr, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("a free loopback port: {e}"))
}

/// utime + stime of `pid`, in clock ticks; `None` once it is gone.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat)
}

/// Fields 14 and 15 of /proc/<pid>/stat, counted after the command name
/// (which may hold spaces and parentheses).
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Resident memory of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// Raises this process's open-files limit to the hard limit; the new soft
/// limit. The HQ processes inherit it.
pub fn raise_nofile() -> Result<u64, String> {
    rlimit::increase_nofile_limit(u64::MAX).map_err(|e| format!("open-files limit: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_read_past_a_command_name_with_spaces() {
        let stat = "4242 (easy hq) (x)) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 9";
        assert_eq!(parse_cpu_ticks(stat), Some(175));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }
}
