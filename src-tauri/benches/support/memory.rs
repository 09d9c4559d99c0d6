//! What the app's processes hold and when the app was exec'd, read from
//! `/proc` (Linux only, like the rest of the bench).

/// One process of the app's tree, in MB.
#[derive(Debug, Clone)]
pub struct Proc {
    pub name: String,
    pub rss: f64,
    /// Shared pages split between the processes that map them.
    pub pss: f64,
    /// Private_Clean + Private_Dirty: what ending this process frees.
    pub private: f64,
}

/// The app (`root_name`) and every process it started (WebKit's web and
/// network processes).
#[derive(Debug, Clone)]
pub struct Tree {
    pub procs: Vec<Proc>,
}

impl Tree {
    pub fn pss(&self) -> f64 {
        self.procs.iter().map(|p| p.pss).sum()
    }

    pub fn rss(&self) -> f64 {
        self.procs.iter().map(|p| p.rss).sum()
    }

    pub fn lines(&self) -> Vec<String> {
        self.procs
            .iter()
            .map(|p| {
                format!(
                    "  {:<18} PSS {:>5.0} MB  private {:>5.0} MB  RSS {:>5.0} MB",
                    p.name, p.pss, p.private, p.rss
                )
            })
            .collect()
    }
}

fn status_field(status: &str, key: &str) -> Option<String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_owned())
}

fn kb_to_mb(v: Option<&str>) -> f64 {
    v.and_then(|r| r.trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn rollup(pid: u32) -> (f64, f64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |k: &str| kb_to_mb(text.lines().find_map(|l| l.strip_prefix(k)));
    (
        field("Pss:"),
        field("Private_Clean:") + field("Private_Dirty:"),
    )
}

/// (pid, parent pid, name) of every process.
fn all_procs() -> Vec<(u32, u32, String, f64)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let name = status_field(&status, "Name:").unwrap_or_default();
        let ppid = status_field(&status, "PPid:")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let rss = kb_to_mb(status_field(&status, "VmRSS:").as_deref());
        out.push((pid, ppid, name, rss));
    }
    out
}

pub fn tree(root_name: &str) -> Tree {
    let all = all_procs();
    let mut pids: Vec<u32> = all
        .iter()
        .filter(|p| p.2 == root_name)
        .map(|p| p.0)
        .collect();
    let mut grew = true;
    while grew {
        grew = false;
        for p in &all {
            if pids.contains(&p.1) && !pids.contains(&p.0) {
                pids.push(p.0);
                grew = true;
            }
        }
    }
    let procs = all
        .into_iter()
        .filter(|p| pids.contains(&p.0))
        .map(|(pid, _, name, rss)| {
            let (pss, private) = rollup(pid);
            Proc {
                name,
                rss,
                pss,
                private,
            }
        })
        .collect();
    Tree { procs }
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64
}

/// When the newest process called `name` was exec'd, in Unix ms (10 ms
/// resolution: the kernel counts start times in clock ticks of 1/100 s).
pub fn exec_time_ms(name: &str) -> Option<f64> {
    let started = all_procs()
        .into_iter()
        .filter(|p| p.2 == name)
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", p.0)).ok()?;
            // Fields after the command name, which is in parentheses.
            let rest = &stat[stat.rfind(')')? + 2..];
            rest.split(' ').nth(19)?.parse::<f64>().ok()
        })
        .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.max(t))))?;
    let uptime_s: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    const TICKS_PER_S: f64 = 100.0;
    Some(now_ms() - (uptime_s - started / TICKS_PER_S) * 1000.0)
}
