//! A real proxy for the HQ tests: Debian's nginx running
//! packaging/hq/nginx-site.conf (the README's site) with TLS from a CA the
//! test makes, in front of real `easyqr-hq` processes on one database.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use elepay::webhook::{signature_header, SigningSecret};
use tokio::io::AsyncBufReadExt as _;

use super::{Stream, SECRET};

pub const HOST: &str = "hq.example.jp";
/// The site as shipped and as the README shows it.
pub const SITE_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../packaging/hq/nginx-site.conf"
);
pub const README_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
/// The README shows the site verbatim between these lines (in an nginx
/// code block).
pub const README_BEGIN: &str = "<!-- packaging/hq/nginx-site.conf: begin -->";
pub const README_END: &str = "<!-- packaging/hq/nginx-site.conf: end -->";
/// The response header the test's main nginx.conf adds (never the site):
/// which HQ process answered, nginx's `$upstream_addr`.
pub const UPSTREAM_HEADER: &str = "x-easyqr-test-upstream";

/// Where the test's copy of the site listens and proxies to, and its
/// certificate.
pub struct SitePorts {
    pub https: u16,
    pub http: u16,
    pub upstreams: [u16; 2],
}

/// The site with only the listen ports, the upstream ports and the
/// certificate paths changed: each replaced text occurs in the site
/// exactly once, so nothing else can differ.
pub fn site_for_test(site: &str, ports: &SitePorts, cert: &Path, key: &Path) -> String {
    let swaps = [
        (
            "listen 443 ssl;".to_owned(),
            format!("listen {} ssl;", ports.https),
        ),
        ("listen 80;".to_owned(), format!("listen {};", ports.http)),
        (
            "server 127.0.0.1:8801 ".to_owned(),
            format!("server 127.0.0.1:{} ", ports.upstreams[0]),
        ),
        (
            "server 127.0.0.1:8802 ".to_owned(),
            format!("server 127.0.0.1:{} ", ports.upstreams[1]),
        ),
        (
            "/etc/letsencrypt/live/hq.example.jp/fullchain.pem;".to_owned(),
            format!("{};", cert.display()),
        ),
        (
            "/etc/letsencrypt/live/hq.example.jp/privkey.pem;".to_owned(),
            format!("{};", key.display()),
        ),
    ];
    let mut out = site.to_owned();
    for (from, to) in &swaps {
        assert_eq!(
            site.matches(from.as_str()).count(),
            1,
            "the site must hold {from:?} exactly once"
        );
        out = out.replacen(from.as_str(), to, 1);
    }
    out
}

/// The site as the README shows it: the code block between the markers.
pub fn readme_site(readme: &str) -> String {
    let start = readme
        .find(README_BEGIN)
        .expect("the README's site begin marker")
        + README_BEGIN.len();
    let end = readme[start..]
        .find(README_END)
        .expect("the README's site end marker")
        + start;
    let block = readme[start..end].trim();
    let body = block
        .strip_prefix("```nginx\n")
        .and_then(|b| b.strip_suffix("```"))
        .expect("the site in a ```nginx code block");
    body.to_owned()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `openssl` in `dir` with `args` (split at spaces).
fn openssl(dir: &Path, args: &str) {
    let out = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .output()
        .expect("the openssl CLI");
    assert!(
        out.status.success(),
        "openssl {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`ca.crt`) and a server certificate for [`HOST`] it signs
/// (`server.crt`, key `server.key`) in `dir`; the CA's PEM.
pub fn make_certs(dir: &Path) -> Vec<u8> {
    const P256: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    openssl(
        dir,
        &format!(
            "req -x509 {P256} -keyout ca.key -out ca.crt -days 2 -subj /CN=easyqr-nginx-test-CA \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
    );
    openssl(
        dir,
        &format!("req -new {P256} -keyout server.key -out server.csr -subj /CN={HOST}"),
    );
    std::fs::write(
        dir.join("server.ext"),
        format!(
            "subjectAltName=DNS:{HOST}\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 2 -days 2 \
         -extfile server.ext -out server.crt",
    );
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::read(dir.join("ca.crt")).unwrap()
}

/// Debian's nginx binary; `None` when it is not installed.
pub fn nginx_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

/// nginx (master and one worker) serving the test's copy of the site from
/// a prefix of its own; stopped on drop.
pub struct Nginx {
    child: std::process::Child,
    dir: PathBuf,
}

impl Nginx {
    /// Writes a main nginx.conf that includes `site` (pid, logs and temp
    /// files under `dir`) and starts nginx on it; returns once the https
    /// port takes connections.
    pub async fn start(bin: &Path, dir: &Path, site: &str, https_port: u16) -> Nginx {
        std::fs::write(dir.join("site.conf"), site).unwrap();
        let as_root = uid() == 0;
        let d = dir.display();
        // Workers run as root when the test does: they read and write the
        // test's own 0700 temp directory. The upstream header is the test's
        // (the site sends none of its own, so it is inherited).
        let main = format!(
            "{user}worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log info;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n\
             access_log {d}/access.log;\n\
             client_body_temp_path {d}/client_body;\n\
             proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\n\
             scgi_temp_path {d}/scgi;\n\
             add_header X-Easyqr-Test-Upstream $upstream_addr always;\n\
             include {d}/site.conf;\n\
             }}\n",
            user = if as_root { "user root;\n" } else { "" },
        );
        std::fs::write(dir.join("nginx.conf"), main).unwrap();
        let conf = dir.join("nginx.conf");
        // Its prefix, error log and configuration: all in the temp dir.
        let paths = [
            dir.as_os_str().to_owned(),
            dir.join("error.log").into_os_string(),
            conf.clone().into_os_string(),
        ];
        let nginx = || {
            let mut c = Command::new(bin);
            c.arg("-p")
                .arg(&paths[0])
                .arg("-e")
                .arg(&paths[1])
                .arg("-c")
                .arg(&paths[2]);
            c
        };
        let check = nginx().arg("-t").output().unwrap();
        assert!(
            check.status.success(),
            "nginx -t refuses the site: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = nginx()
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut nginx = Nginx {
            child,
            dir: dir.to_owned(),
        };
        for _ in 0..200 {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                panic!("nginx exited ({status}): {}", nginx.error_log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", https_port))
                .await
                .is_ok()
            {
                return nginx;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not listen within 10 s: {}", nginx.error_log());
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM: the master stops its worker and exits at once, open streams
        // or not (KILL would leave the worker running, QUIT would wait for
        // the streams to end).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").unwrap().uid()
}

/// One `easyqr-hq` process as a brand runs it behind nginx: a 0600 config
/// file with the database URL and the webhook secret, a fixed port.
pub struct HqProcess {
    pub port: u16,
    _child: tokio::process::Child,
}

impl HqProcess {
    pub async fn start(
        dir: &Path,
        database_url: &str,
        port: u16,
        keep_alive_secs: u64,
    ) -> HqProcess {
        let config = dir.join(format!("hq-{port}.json"));
        std::fs::write(
            &config,
            serde_json::json!({"databaseUrl": database_url, "webhookSecrets": [SECRET]})
                .to_string(),
        )
        .unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_easyqr-hq"))
            .arg("--config")
            .arg(&config)
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .args(["--keep-alive-secs", &keep_alive_secs.to_string()])
            .args(["--trusted-proxy", "127.0.0.1"])
            .args(["--public-url", &format!("https://{HOST}/")])
            .env_remove("DATABASE_URL")
            .env_remove(easyqr_hq::config::SECRETS_ENV)
            .env_remove(easyqr_hq::config::BOOTSTRAP_PASSWORD_ENV)
            .env_remove(easyqr_hq::config::VIEW_PASSWORD_ENV)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("HQ did not start within 60 s")
            .unwrap()
            .expect("HQ exited before listening");
        assert_eq!(line, format!("listening on http://127.0.0.1:{port}"));
        HqProcess {
            port,
            _child: child,
        }
    }

    /// `easyqr_streams_open` from this process's own `/metrics` (asked
    /// directly, not through nginx).
    pub async fn streams_open(&self) -> u64 {
        let r = reqwest::get(format!("http://127.0.0.1:{}/metrics", self.port))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}: /metrics", self.addr());
        let text = r.text().await.unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("easyqr_streams_open"))
            .unwrap_or_else(|| panic!("/metrics without easyqr_streams_open:\n{text}"));
        line.rsplit(' ')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a gauge: {line}")) as u64
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A client that reaches [`HOST`] at 127.0.0.1 (the URL carries the port)
/// and trusts only the test's CA, as a register behind the proxy would.
pub fn client(ca_pem: &[u8], redirects: bool) -> reqwest::Client {
    let policy = if redirects {
        reqwest::redirect::Policy::default()
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).unwrap())
        .resolve(HOST, "127.0.0.1:0".parse().unwrap())
        .redirect(policy)
        .build()
        .unwrap()
}

/// Which HQ process nginx passed a response from (its `host:port`).
pub fn upstream(r: &reqwest::Response) -> String {
    let all = r
        .headers()
        .get(UPSTREAM_HEADER)
        .expect("nginx names the upstream")
        .to_str()
        .unwrap();
    // After a retry nginx lists every process tried: the last one answered.
    all.rsplit(", ").next().unwrap().to_owned()
}

/// A register's event stream opened through the proxy at `base`, and the
/// HQ process that holds it.
pub async fn open_stream(http: &reqwest::Client, base: &str, token: &str) -> (Stream, String) {
    let open = http
        .get(format!("{base}/api/register/events"))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .send();
    // A buffering proxy holds even the headers back until a body fills
    // its buffer: bounded, so that fails the test instead of hanging it.
    let r = tokio::time::timeout(Duration::from_secs(20), open)
        .await
        .expect("no stream headers through nginx within 20 s: is it buffering the stream?")
        .unwrap();
    assert_eq!(r.status(), 200, "stream refused through nginx");
    let held_by = upstream(&r);
    (
        Stream {
            inner: Box::pin(r.bytes_stream()),
            buf: String::new(),
        },
        held_by,
    )
}

/// Posts `body` signed now to the webhook at `base`: the status, and the
/// HQ process that took it.
pub async fn post_webhook(http: &reqwest::Client, base: &str, body: &str) -> (u16, String) {
    let sig = signature_header(
        &SigningSecret::new(SECRET),
        super::now_secs(),
        body.as_bytes(),
    );
    let r = http
        .post(format!("{base}/elepay/webhook"))
        .header("elepay-signature", sig)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), upstream(&r))
}
