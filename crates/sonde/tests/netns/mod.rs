//! Test helper: two network namespaces joined by a veth pair, made for one
//! test and removed when it ends (also on failure: `Drop`).
//!
//! server ns: 10.199.N.1/24, fd00:199:N::1/64   client ns: 10.199.N.2/24, fd00:199:N::2/64
//!
//! Traffic stays between these two namespaces.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Ends a test early, printing why, when it cannot run here (not root, or
/// one of the named programs is missing). Needs `#[macro_use] mod netns;`.
#[allow(unused_macros)]
macro_rules! skip_unless {
    ($($tool:expr),*) => {
        if let Some(why) = netns::unavailable(&[$($tool),*]) {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// Why the namespace tests cannot run here, if they cannot.
pub fn unavailable(tools: &[&str]) -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root: network namespaces need root".into());
    }
    for t in tools.iter().chain(["ip", "timeout"].iter()) {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !found {
            return Some(format!("{t} is not installed"));
        }
    }
    None
}

/// Runs a command to completion (bounded by `timeout 60`) and returns its output.
pub fn run(args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("60")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"))
}

/// Like [`run`], but panics with the command's stderr when it fails.
pub fn run_ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?} failed ({}): {}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `/tmp/sonde-test-<pid>-<n>-<tag>`.
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("sonde-test-{}-{n}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// A path inside the directory, as a string.
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two namespaces and a veth pair between them.
pub struct NetnsPair {
    /// Server namespace name.
    pub server: String,
    /// Client namespace name.
    pub client: String,
    /// Third octet N of 10.199.N.0/24.
    pub net: u32,
    server_dev: String,
    far: Option<String>,
    children: Vec<Child>,
}

impl NetnsPair {
    /// Creates the namespaces, the veth pair, the addresses, and brings
    /// everything (with loopback) up.
    pub fn new() -> NetnsPair {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let net = (pid + n * 7) % 250 + 1;
        // veth names are at most 15 bytes.
        let (vs, vc) = (format!("vs{pid}x{n}"), format!("vc{pid}x{n}"));
        let pair = NetnsPair {
            server: format!("sonde-s{pid}-{n}"),
            client: format!("sonde-c{pid}-{n}"),
            net,
            server_dev: vs.clone(),
            far: None,
            children: Vec::new(),
        };
        run_ok(&["ip", "netns", "add", &pair.server]);
        run_ok(&["ip", "netns", "add", &pair.client]);
        run_ok(&[
            "ip",
            "link",
            "add",
            &vs,
            "netns",
            &pair.server,
            "type",
            "veth",
            "peer",
            "name",
            &vc,
            "netns",
            &pair.client,
        ]);
        for (ns, dev, host) in [(&pair.server, &vs, 1), (&pair.client, &vc, 2)] {
            run_ok(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            run_ok(&[
                "ip",
                "-n",
                ns,
                "addr",
                "add",
                &format!("10.199.{net}.{host}/24"),
                "dev",
                dev,
            ]);
            run_ok(&[
                "ip",
                "-n",
                ns,
                "-6",
                "addr",
                "add",
                &format!("fd00:199:{net}::{host}/64"),
                "dev",
                dev,
                "nodad",
            ]);
            run_ok(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        pair
    }

    /// Adds a third namespace, "far", behind the server, which becomes a
    /// router: far has 10.199.M.2/24 (M = N + 1 mod 250), the server
    /// 10.199.M.1, and the client routes 10.199.M.0/24 through the server.
    /// Returns far's address.
    pub fn add_far(&mut self) -> String {
        let net = self.net;
        let m = net % 250 + 1;
        let far = self.server.replacen("sonde-s", "sonde-f", 1);
        self.far = Some(far.clone());
        let (rs, rf) = (
            self.server_dev.replacen("vs", "rs", 1),
            self.server_dev.replacen("vs", "rf", 1),
        );
        run_ok(&["ip", "netns", "add", &far]);
        run_ok(&[
            "ip",
            "link",
            "add",
            &rs,
            "netns",
            &self.server,
            "type",
            "veth",
            "peer",
            "name",
            &rf,
            "netns",
            &far,
        ]);
        run_ok(&["ip", "-n", &far, "link", "set", "lo", "up"]);
        run_ok(&[
            "ip",
            "-n",
            &self.server,
            "addr",
            "add",
            &format!("10.199.{m}.1/24"),
            "dev",
            &rs,
        ]);
        run_ok(&[
            "ip",
            "-n",
            &far,
            "addr",
            "add",
            &format!("10.199.{m}.2/24"),
            "dev",
            &rf,
        ]);
        run_ok(&["ip", "-n", &self.server, "link", "set", &rs, "up"]);
        run_ok(&["ip", "-n", &far, "link", "set", &rf, "up"]);
        run_ok(&[
            "ip",
            "-n",
            &far,
            "route",
            "add",
            "default",
            "via",
            &format!("10.199.{m}.1"),
        ]);
        run_ok(&[
            "ip",
            "-n",
            &self.client,
            "route",
            "add",
            &format!("10.199.{m}.0/24"),
            "via",
            &format!("10.199.{net}.1"),
        ]);
        run_ok(&[
            "ip",
            "netns",
            "exec",
            &self.server,
            "sysctl",
            "-q",
            "-w",
            "net.ipv4.ip_forward=1",
        ]);
        // ICMP errors are rate-limited per destination; the tests send a few
        // in quick succession and expect every one.
        run_ok(&[
            "ip",
            "netns",
            "exec",
            &self.server,
            "sysctl",
            "-q",
            "-w",
            "net.ipv4.icmp_ratelimit=0",
        ]);
        format!("10.199.{m}.2")
    }

    /// The server's IPv4 address.
    pub fn server_ip(&self) -> String {
        format!("10.199.{}.1", self.net)
    }

    /// The client's IPv4 address.
    pub fn client_ip(&self) -> String {
        format!("10.199.{}.2", self.net)
    }

    /// The server's IPv6 address.
    pub fn server_ip6(&self) -> String {
        format!("fd00:199:{}::1", self.net)
    }

    /// The veth device name in the server namespace.
    pub fn server_dev(&self) -> String {
        self.server_dev.clone()
    }

    /// `ip netns exec NS args...` to completion.
    pub fn exec(&self, ns: &str, args: &[&str]) -> Output {
        let mut full = vec!["ip", "netns", "exec", ns];
        full.extend_from_slice(args);
        run(&full)
    }

    /// Like [`NetnsPair::exec`], panicking on failure; returns stdout.
    pub fn exec_ok(&self, ns: &str, args: &[&str]) -> String {
        let mut full = vec!["ip", "netns", "exec", ns];
        full.extend_from_slice(args);
        run_ok(&full)
    }

    /// Starts a long-running program in a namespace; it is killed on drop.
    pub fn spawn(&mut self, ns: &str, args: &[&str]) -> &mut Child {
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {args:?}: {e}"));
        self.children.push(child);
        self.children.last_mut().expect("just pushed")
    }

    /// Starts a real OpenSSH server on the server's port 22, with a host key
    /// and a user key made in `dir`; returns the path of the client's key.
    pub fn start_sshd(&mut self, dir: &TempDir) -> String {
        for k in ["host_key", "user_key"] {
            run_ok(&[
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-f",
                &dir.file(k),
            ]);
        }
        std::fs::copy(dir.file("user_key.pub"), dir.file("authorized_keys"))
            .expect("copy the user key");
        let config = format!(
            "Port 22\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nStrictModes no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             PermitRootLogin prohibit-password\nLogLevel ERROR\n",
            dir.file("host_key"),
            dir.file("sshd.pid"),
            dir.file("authorized_keys")
        );
        std::fs::write(dir.file("sshd_config"), config).expect("write sshd_config");
        // sshd's privilege separation directory.
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let server = self.server.clone();
        let conf = dir.file("sshd_config");
        self.spawn(&server, &["/usr/sbin/sshd", "-D", "-e", "-f", &conf]);
        let up = self.wait_for(Duration::from_secs(10), || {
            let o = self.exec(&server, &["ss", "-tlnH", "sport = :22"]);
            (!o.stdout.is_empty()).then_some(())
        });
        assert!(up.is_some(), "sshd did not start listening on port 22");
        dir.file("user_key")
    }

    /// Starts a web server on the server's port 80 serving `index.html`
    /// with `body` from `dir`/www: nginx where installed, else Python's
    /// http.server. Returns the server's process name.
    pub fn start_web(&mut self, dir: &TempDir, body: &str) -> &'static str {
        let (server, sip) = (self.server.clone(), self.server_ip());
        let www = dir.file("www");
        std::fs::create_dir_all(&www).expect("create www");
        std::fs::write(dir.file("www/index.html"), body).expect("write index.html");
        let name = if unavailable(&["nginx"]).is_none() {
            let conf = dir.file("nginx.conf");
            std::fs::write(
                &conf,
                format!(
                    "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                     events {{ worker_connections 64; }}\n\
                     http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
                     fastcgi_temp_path {d}/fcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
                     server {{ listen {sip}:80; root {d}/www; }}\n}}\n",
                    d = dir.path().display()
                ),
            )
            .expect("write nginx.conf");
            let (prefix, elog) = (dir.file(""), dir.file("error.log"));
            self.spawn(&server, &["nginx", "-c", &conf, "-p", &prefix, "-e", &elog]);
            "nginx"
        } else {
            let args = [
                "python3",
                "-m",
                "http.server",
                "--bind",
                &sip,
                "--directory",
                &www,
                "80",
            ];
            self.spawn(&server, &args);
            "python3"
        };
        let up = self.wait_for(Duration::from_secs(10), || {
            let o = self.exec(&server, &["ss", "-tlnH", "sport = :80"]);
            (!o.stdout.is_empty()).then_some(())
        });
        assert!(up.is_some(), "the web server ({name}) did not start");
        name
    }

    /// An ssh client command line for the server as root with `key`, no
    /// host-key prompt and a bounded connect, running `remote`.
    pub fn ssh_command(&self, key: &str, remote: &str) -> Vec<String> {
        let mut v: Vec<String> = vec!["ssh".into(), "-i".into(), key.into()];
        for o in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "BatchMode=yes",
            "ConnectTimeout=5",
            "LogLevel=ERROR",
        ] {
            v.push("-o".into());
            v.push(o.into());
        }
        v.push(format!("root@{}", self.server_ip()));
        v.push(remote.into());
        v
    }

    /// Polls `check` every 100 ms until it returns Some, for at most `limit`.
    pub fn wait_for<T>(&self, limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
        let end = Instant::now() + limit;
        loop {
            if let Some(v) = check() {
                return Some(v);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        // Every process still in our namespaces was started by this test
        // (servers, their session children, clients): end them by pid.
        let far = self.far.clone().unwrap_or_default();
        for ns in [&self.server, &self.client, &far] {
            if ns.is_empty() {
                continue;
            }
            if let Ok(o) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
        }
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.server])
            .status();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.client])
            .status();
        if !far.is_empty() {
            let _ = Command::new("ip").args(["netns", "del", &far]).status();
        }
    }
}
