//! TLS to PostgreSQL: a throw-away cluster of its own (initdb in a temp
//! directory, as the `postgres` user when the test runs as root) with
//! `ssl = on`, a server certificate from a CA this test makes with the
//! openssl CLI, and `hostssl`-only password logins; and one with TLS off.
//! Runs under the same `pg_virtualenv` as the other HQ tests (skipped
//! without it, like them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use easyqr_hq::db;
use support::*;

const PASSWORD: &str = "tls-test-Secret-7781";

/// A PostgreSQL cluster in a temp dir, stopped on drop.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// uid, gid of `postgres` when running as root (initdb refuses root).
    run_as: Option<(u32, u32)>,
}

impl Cluster {
    /// `None` (test skipped) without PostgreSQL, as `fresh_db`.
    fn start(ssl: bool) -> Option<Cluster> {
        if std::env::var_os("PGHOST").is_none() {
            assert!(
                std::env::var_os("EASYQR_REQUIRE_PG").is_none(),
                "EASYQR_REQUIRE_PG is set but PGHOST is not: run under pg_virtualenv"
            );
            eprintln!("TLS test skipped: no PostgreSQL (run it through ./scripts/test)");
            return None;
        }
        let run_as = (std::fs::metadata("/proc/self").unwrap().uid() == 0).then(postgres_user);
        let c = Cluster {
            dir: tempfile::tempdir().unwrap(),
            bin: pg_bindir(),
            port: free_port(),
            run_as,
        };
        make_certs(c.path());
        std::fs::write(c.path().join("pw"), PASSWORD).unwrap();
        c.chown_all();
        c.run(
            "initdb",
            &[
                "-D",
                "data",
                "-U",
                "hq",
                "-A",
                "scram-sha-256",
                "--pwfile=pw",
                "--no-sync",
            ],
        );
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             ssl = {}\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\n\
             fsync = off\nmax_connections = 30\n",
            c.port,
            c.path().display(),
            if ssl { "on" } else { "off" },
            dir = c.path().display(),
        );
        append(&c.path().join("data/postgresql.conf"), &conf);
        // Network logins only over TLS when it is on: a plaintext
        // connection could not pass unnoticed.
        let hba = if ssl {
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n"
        } else {
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
        };
        std::fs::write(c.path().join("data/pg_hba.conf"), hba).unwrap();
        c.chown_all();
        c.run(
            "pg_ctl",
            &["-D", "data", "-l", "log", "-w", "-t", "60", "start"],
        );
        Some(c)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let mut cmd = Command::new(self.bin.join(tool));
        cmd.args(args).current_dir(self.path());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        let out = cmd.output().unwrap();
        let log = std::fs::read_to_string(self.path().join("log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "{tool} failed: {}\n{}\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn chown_all(&self) {
        let Some((uid, gid)) = self.run_as else {
            return;
        };
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
            }
        }
        std::os::unix::fs::chown(self.path(), Some(uid), Some(gid)).unwrap();
    }

    /// A libpq key=value URL for host name `host` (reached at 127.0.0.1).
    fn url(&self, host: &str, tls: &str) -> String {
        format!(
            "host={host} hostaddr=127.0.0.1 port={} user=hq password={PASSWORD} dbname=postgres {tls}",
            self.port
        )
    }

    fn cert(&self, name: &str) -> String {
        self.path().join(name).display().to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.args(["-D", "data", "-m", "immediate", "stop"])
            .current_dir(self.path());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        let _ = cmd.output();
    }
}

fn pg_bindir() -> PathBuf {
    let pg_config = std::env::var("PG_CONFIG").unwrap_or_else(|_| "pg_config".into());
    if let Ok(out) = Command::new(pg_config).arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("no PostgreSQL server binaries (initdb) found")
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|d| d.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("no initdb under /usr/lib/postgresql")
}

fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("running as root needs a postgres user for initdb");
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().unwrap(), f[3].parse().unwrap())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap();
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ca.crt` (signs `server.crt`, named `pg.test`) and an unrelated
/// `other-ca.crt`.
fn make_certs(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let (key, crt, subj) = (
            format!("{ca}.key"),
            format!("{ca}.crt"),
            format!("/CN=easyqr test {ca}"),
        );
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout",
            &key,
            "-out",
            &crt,
            "-days",
            "2",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(dir, &args);
    }
    let mut args = vec!["req", "-new"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=pg.test",
    ]);
    openssl(dir, &args);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:pg.test\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
}

/// Connects as HQ starts (pool, then the migrations): whether the session
/// is encrypted, or the error HQ would stop with.
async fn connect(url: &str) -> Result<bool, String> {
    let pool = db::pool(url, 1).map_err(|e| e.to_string())?;
    let run = async {
        db::migrate(&pool).await.map_err(|e| e.to_string())?;
        let ssl: bool = pool
            .get()
            .await
            .map_err(|e| e.to_string())?
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?
            .get(0);
        Ok::<bool, String>(ssl)
    };
    let r = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("connecting took over 30 s");
    if let Err(e) = &r {
        assert!(!e.contains(PASSWORD), "an error shows the password: {e}");
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_checks_what_it_names_against_a_cluster_with_a_test_ca() {
    let Some(pg) = Cluster::start(true) else {
        return;
    };
    let ca = pg.cert("ca.crt");
    let other = pg.cert("other-ca.crt");

    // verify-full with the right CA and name: HQ itself runs on it, over TLS.
    let url = pg.url("pg.test", &format!("sslmode=verify-full sslrootcert={ca}"));
    let hq = Hq::on(&url, easyqr_hq::system_clock()).await;
    let body = code_event("evt_tls", "cod_tls", "loc_tls");
    assert_eq!(hq.deliver(&body, SECRET, now_secs()).await, 200);
    assert_eq!(
        hq.query_i64("SELECT count(*) FROM inbox WHERE event_id = 'evt_tls'")
            .await,
        1
    );
    assert_eq!(
        hq.query_i64(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.backend_type = 'client backend' AND NOT s.ssl"
        )
        .await,
        0,
        "every session of HQ is encrypted"
    );
    hq.task.abort();

    // The same in the URL form.
    let uri = format!(
        "postgres://hq:{PASSWORD}@pg.test:{}/postgres?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={}",
        pg.port,
        ca.replace('/', "%2F")
    );
    assert_eq!(connect(&uri).await, Ok(true));

    // A certificate from another CA is refused, with or without the name.
    for mode in ["verify-full", "verify-ca", "require"] {
        let e = connect(&pg.url("pg.test", &format!("sslmode={mode} sslrootcert={other}")))
            .await
            .unwrap_err();
        assert!(e.contains("invalid peer certificate"), "{mode}: {e}");
    }

    // A host name the certificate does not carry: refused by verify-full,
    // fine for verify-ca (chain only) and require (nothing checked).
    let e = connect(&pg.url(
        "wrong.test",
        &format!("sslmode=verify-full sslrootcert={ca}"),
    ))
    .await
    .unwrap_err();
    assert!(e.contains("invalid peer certificate"), "{e}");
    assert_eq!(
        connect(&pg.url("wrong.test", &format!("sslmode=verify-ca sslrootcert={ca}"))).await,
        Ok(true)
    );
    assert_eq!(
        connect(&pg.url("wrong.test", "sslmode=require")).await,
        Ok(true)
    );

    // prefer, and no sslmode at all (libpq's default is prefer), are
    // require: encrypted.
    assert_eq!(
        connect(&pg.url("wrong.test", "sslmode=prefer")).await,
        Ok(true)
    );
    assert_eq!(connect(&pg.url("wrong.test", "")).await, Ok(true));

    // verify-* without a CA file is refused before connecting.
    let e = connect(&pg.url("pg.test", "sslmode=verify-full"))
        .await
        .unwrap_err();
    assert!(e.contains("needs sslrootcert"), "{e}");

    // A Unix socket has no TLS: it connects plainly (PostgreSQL offers none
    // there); asking to verify a certificate on it is refused.
    let socket = format!(
        "host={} port={} user=hq dbname=postgres",
        pg.path().display(),
        pg.port
    );
    assert_eq!(connect(&socket).await, Ok(false));
    assert_eq!(
        connect(&format!("{socket} sslmode=require")).await,
        Ok(false)
    );
    let e = connect(&format!("{socket} sslmode=verify-full sslrootcert={ca}"))
        .await
        .unwrap_err();
    assert!(e.contains("Unix socket"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_tls_is_refused_unless_told_disable() {
    let Some(pg) = Cluster::start(false) else {
        return;
    };
    for tls in ["sslmode=require", "sslmode=prefer", ""] {
        let e = connect(&pg.url("localhost", tls)).await.unwrap_err();
        assert!(
            e.contains("server does not support TLS") && e.contains("sslmode=disable"),
            "{tls:?}: {e}"
        );
    }
    assert_eq!(
        connect(&pg.url("localhost", "sslmode=disable")).await,
        Ok(false),
        "plaintext only when asked"
    );
}
