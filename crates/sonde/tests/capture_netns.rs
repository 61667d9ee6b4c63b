//! Live capture against real programs: `sonde capture` and tcpdump capture
//! the same veth at the same time while a real ssh client talks to a real
//! sshd and curl fetches a page from a real web server; tshark then reads
//! both files. Plus the stop conditions (-c, -a duration), the ring buffer
//! and SIGTERM. Each test makes its own pair of network namespaces and
//! removes it; traffic stays between them. Needs root; skips otherwise.

#[macro_use]
mod netns;

use netns::{run_ok, NetnsPair, TempDir};
use sonde_capture::CaptureReader;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const SONDE: &str = env!("CARGO_BIN_EXE_sonde");

/// A program started in a namespace with stdout and stderr sent to files.
struct Proc {
    child: Child,
    out: String,
    err: String,
}

impl Proc {
    fn start(ns: &str, args: &[&str], dir: &TempDir, tag: &str) -> Proc {
        let (out, err) = (
            dir.file(&format!("{tag}.out")),
            dir.file(&format!("{tag}.err")),
        );
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {args:?}: {e}"));
        Proc { child, out, err }
    }

    /// Sends a signal (`ip netns exec` execs the program: same pid).
    fn signal(&self, sig: &str) {
        run_ok(&["kill", &format!("-{sig}"), &self.child.id().to_string()]);
    }

    /// Waits for the program to end by itself, at most `limit`.
    fn wait(&mut self, limit: Duration) -> ExitStatus {
        let end = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                panic!(
                    "still running after {limit:?}; stderr: {}",
                    std::fs::read_to_string(&self.err).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `check` holds (polling every 50 ms), at most `limit`.
fn wait_until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `sonde capture ARGS` in `ns` and waits until it captures.
fn start_sonde(ns: &str, args: &[&str], dir: &TempDir, tag: &str) -> Proc {
    let mut full = vec![SONDE, "capture"];
    full.extend_from_slice(args);
    let p = Proc::start(ns, &full, dir, tag);
    wait_until(Duration::from_secs(10), "sonde to start capturing", || {
        p.stderr().contains("Capturing on")
    });
    p
}

/// `tshark -r PATH -T fields -e F...`: one line per frame.
fn tshark(path: &str, fields: &[&str]) -> Vec<String> {
    let mut args = vec!["tshark", "-r", path, "-T", "fields"];
    for f in fields {
        args.extend(["-e", f]);
    }
    run_ok(&args).lines().map(str::to_string).collect()
}

/// tshark's view of a file: lengths, addresses, raw TCP numbers, protocols.
fn tshark_fields(path: &str) -> Vec<String> {
    let fields = [
        "frame.len",
        "frame.cap_len",
        "eth.src",
        "ip.src",
        "ip.dst",
        "tcp.seq_raw",
        "tcp.ack_raw",
        "frame.protocols",
    ];
    tshark(path, &fields)
}

fn tshark_count(path: &str, filter: &str) -> usize {
    run_ok(&[
        "tshark",
        "-r",
        path,
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ])
    .lines()
    .count()
}

/// Every frame's original length and bytes, read with sonde's own reader.
fn frames(path: &str) -> Vec<(u32, Vec<u8>)> {
    let mut r = CaptureReader::open(Path::new(path)).unwrap();
    let mut v = Vec::new();
    while let Some(f) = r.next_frame() {
        let f = f.unwrap_or_else(|e| panic!("{path}: {e}"));
        v.push((f.orig_len, f.data.to_vec()));
    }
    v
}

/// `capinfos -M`: interface name, filter, statistics blocks.
fn capinfos(path: &str) -> String {
    run_ok(&["capinfos", "-M", path])
}

fn captured_count(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| {
            l.strip_suffix(" packets captured")
                .or(l.strip_suffix(" packet captured"))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no 'N packets captured' line: {stderr}"))
}

/// (server namespace, client namespace, server IPv4, server veth).
fn names(ns: &NetnsPair) -> (String, String, String, String) {
    (
        ns.server.clone(),
        ns.client.clone(),
        ns.server_ip(),
        ns.server_dev(),
    )
}

#[test]
fn capture_during_ssh_and_http_matches_tcpdump() {
    skip_unless!(
        "sshd",
        "ssh",
        "ssh-keygen",
        "ss",
        "curl",
        "tcpdump",
        "tshark",
        "capinfos"
    );
    let dir = TempDir::new("cap-ssh");
    let mut ns = NetnsPair::new();
    let key = ns.start_sshd(&dir);
    ns.start_web(&dir, "captured by sonde\n");
    let (server, client, sip, dev) = names(&ns);
    // IPv4 and ARP only: the IPv6 neighbour and router chatter the kernel
    // sends by itself on a new link could fall between the two starts.
    let filter = "ip or arp";
    let (a, b) = (dir.file("a.pcapng"), dir.file("b.pcap"));
    let mut sonde = start_sonde(
        &server,
        &["-i", &dev, "-f", filter, "-w", &a],
        &dir,
        "sonde",
    );
    let mut tcpdump = Proc::start(
        &server,
        &["tcpdump", "-i", &dev, "-U", "-Z", "root", "-w", &b, filter],
        &dir,
        "tcpdump",
    );
    wait_until(Duration::from_secs(10), "tcpdump to start", || {
        tcpdump.stderr().contains("listening on")
    });
    std::thread::sleep(Duration::from_millis(300));

    let ssh = ns.ssh_command(&key, "echo hello over ssh");
    let ssh: Vec<&str> = ssh.iter().map(String::as_str).collect();
    let ssh = ns.exec_ok(&client, &ssh);
    assert_eq!(ssh.trim(), "hello over ssh");
    let page = ns.exec_ok(
        &client,
        &[
            "curl",
            "-sS",
            "--max-time",
            "10",
            &format!("http://{sip}/index.html"),
        ],
    );
    assert_eq!(page, "captured by sonde\n");
    // Let the connections finish closing before both captures stop.
    std::thread::sleep(Duration::from_millis(1000));
    sonde.signal("INT");
    tcpdump.signal("INT");
    let st = sonde.wait(Duration::from_secs(10));
    assert!(st.success(), "sonde: {st}: {}", sonde.stderr());
    tcpdump.wait(Duration::from_secs(10));

    // The same packets, in the same order, byte for byte.
    let (fa, fb) = (tshark_fields(&a), tshark_fields(&b));
    assert!(fa.len() >= 30, "too few packets: {fa:?}");
    assert_eq!(
        fa, fb,
        "tshark sees different packets in sonde's and tcpdump's files"
    );
    let (ba, bb) = (frames(&a), frames(&b));
    assert_eq!(ba.len(), bb.len());
    assert!(ba == bb, "frame bytes differ between sonde and tcpdump");
    eprintln!(
        "measured: sonde captured {} packets, tcpdump {} ({} ssh, {} http)",
        ba.len(),
        bb.len(),
        tshark_count(&a, "ssh"),
        tshark_count(&a, "http")
    );
    assert!(tshark_count(&a, "ssh.protocol") >= 2, "no SSH banners");
    assert_eq!(tshark_count(&a, "http.request.uri == \"/index.html\""), 1);
    assert_eq!(
        tshark_count(&a, "tcp.flags.syn == 1 && tcp.flags.ack == 0"),
        2
    );

    // The count on stderr is the file's.
    let err = sonde.stderr();
    assert_eq!(captured_count(&err), ba.len() as u64, "{err}");
    assert!(err.contains("packets dropped by kernel"), "{err}");

    // Interface description and statistics, as Wireshark reads them.
    let info = capinfos(&a);
    for want in [
        format!("Name = {dev}"),
        format!("Filter string = {filter}"),
        "Capture length = 262144".into(),
        "Time precision = nanoseconds (9)".into(),
        "Number of stat entries = 1".into(),
        "Operating system = Linux".into(),
        "Capture application: sonde".into(),
    ] {
        assert!(info.contains(&want), "capinfos lacks '{want}':\n{info}");
    }
}

#[test]
fn count_stops_and_prints_summary_lines() {
    skip_unless!("ping", "tshark", "capinfos");
    let dir = TempDir::new("cap-count");
    let ns = NetnsPair::new();
    let (server, client, sip, dev) = names(&ns);
    // N echo requests and their replies, to completion: each capture below
    // gets its own packets, none left over for the next.
    let ping = |n: &str| {
        run_ok(&[
            "ip", "netns", "exec", &client, "ping", "-c", n, "-i", "0.2", &sip,
        ]);
    };
    // Without -w: one summary line per packet on stdout.
    let mut p = start_sonde(
        &server,
        &["-i", &dev, "-f", "icmp", "-c", "5"],
        &dir,
        "print",
    );
    ping("3");
    let st = p.wait(Duration::from_secs(30));
    assert!(st.success(), "{}", p.stderr());
    let out = p.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    for (n, l) in lines.iter().enumerate() {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f[0], (n + 1).to_string(), "{l}");
        assert!(l.contains("ICMP") && l.contains("Echo (ping)"), "{l}");
    }
    assert_eq!(captured_count(&p.stderr()), 5);

    // -Y prints only what the display filter matches: the replies.
    let mut p = start_sonde(
        &server,
        &["-i", &dev, "-f", "icmp", "-c", "6", "-Y", "icmp.type == 0"],
        &dir,
        "replies",
    );
    ping("3");
    let st = p.wait(Duration::from_secs(30));
    assert!(st.success(), "{}", p.stderr());
    let out = p.stdout();
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(
        out.lines().all(|l| l.contains("Echo (ping) reply")),
        "{out}"
    );
    assert_eq!(captured_count(&p.stderr()), 6);

    // With -w: the file holds exactly 5, nothing printed on stdout.
    let f = dir.file("five.pcapng");
    let mut p = start_sonde(
        &server,
        &["-i", &dev, "-f", "icmp", "-c", "5", "-w", &f],
        &dir,
        "w",
    );
    ping("3");
    let st = p.wait(Duration::from_secs(30));
    assert!(st.success(), "{}", p.stderr());
    assert_eq!(p.stdout(), "");
    assert_eq!(tshark_fields(&f).len(), 5);

    // -s cuts each packet to the snap length, which the IDB records too.
    let f = dir.file("snap.pcapng");
    let mut p = start_sonde(
        &server,
        &["-i", &dev, "-f", "icmp", "-s", "64", "-c", "2", "-w", &f],
        &dir,
        "snap",
    );
    ping("1");
    assert!(p.wait(Duration::from_secs(30)).success(), "{}", p.stderr());
    let lens = tshark(&f, &["frame.len", "frame.cap_len"]);
    assert_eq!(lens, ["98\t64", "98\t64"]);
    assert!(capinfos(&f).contains("Capture length = 64"));

    // -w - writes the pcapng to standard output.
    let mut p = start_sonde(
        &server,
        &["-i", &dev, "-f", "icmp", "-a", "packets:3", "-w", "-"],
        &dir,
        "stdout",
    );
    ping("2");
    let st = p.wait(Duration::from_secs(30));
    assert!(st.success(), "{}", p.stderr());
    assert_eq!(frames(&p.out).len(), 3);
}

#[test]
fn duration_stops_an_idle_capture() {
    skip_unless!("tshark", "capinfos");
    let dir = TempDir::new("cap-dur");
    let ns = NetnsPair::new();
    let f = dir.file("idle.pcapng");
    let t0 = Instant::now();
    let mut p = start_sonde(
        &ns.server,
        &[
            "-i",
            &ns.server_dev(),
            "-f",
            "tcp port 9",
            "-a",
            "duration:2",
            "-w",
            &f,
        ],
        &dir,
        "dur",
    );
    let st = p.wait(Duration::from_secs(20));
    let took = t0.elapsed();
    assert!(st.success(), "{}", p.stderr());
    assert!(
        took >= Duration::from_millis(1900),
        "stopped early: {took:?}"
    );
    eprintln!("measured: -a duration:2 ran {took:?}");
    // A valid, empty capture with its statistics.
    assert_eq!(tshark_fields(&f).len(), 0);
    assert!(capinfos(&f).contains("Number of stat entries = 1"));
    assert_eq!(captured_count(&p.stderr()), 0);
}

#[test]
fn ring_buffer_keeps_the_newest_files() {
    skip_unless!("ping", "tshark");
    let dir = TempDir::new("cap-ring");
    let mut ns = NetnsPair::new();
    let (server, client, sip, dev) = names(&ns);
    let ring_dir = dir.path().join("ring");
    std::fs::create_dir_all(&ring_dir).unwrap();
    let base = ring_dir.join("ring.pcapng").to_string_lossy().into_owned();
    // 1242-byte frames: two per 2 kB file, so 24 packets make 12 files.
    let mut p = start_sonde(
        &server,
        &[
            "-i",
            &dev,
            "-f",
            "icmp",
            "-c",
            "24",
            "-b",
            "filesize:2",
            "-b",
            "files:3",
            "-w",
            &base,
        ],
        &dir,
        "ring",
    );
    ns.spawn(
        &client,
        &["ping", "-c", "40", "-i", "0.05", "-s", "1200", &sip],
    );
    let st = p.wait(Duration::from_secs(30));
    assert!(st.success(), "{}", p.stderr());
    let mut names: Vec<String> = std::fs::read_dir(&ring_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    let mut indexes = Vec::new();
    for n in &names {
        // ring_00010_20240131235959.pcapng
        let parts: Vec<&str> = n.trim_end_matches(".pcapng").split('_').collect();
        assert!(
            n.ends_with(".pcapng") && parts.len() == 3 && parts[0] == "ring",
            "{n}"
        );
        assert_eq!(parts[1].len(), 5, "{n}");
        assert_eq!(parts[2].len(), 14, "{n}");
        assert!(parts[2].chars().all(|c| c.is_ascii_digit()), "{n}");
        indexes.push(parts[1].parse::<u32>().unwrap());
        let path = ring_dir.join(n).to_string_lossy().into_owned();
        assert_eq!(tshark_fields(&path).len(), 2, "{n}");
    }
    assert_eq!(indexes, vec![10, 11, 12]);
}

#[test]
fn sigterm_with_print_leaves_a_valid_file() {
    skip_unless!("ping", "tshark", "capinfos");
    let dir = TempDir::new("cap-term");
    let ns = NetnsPair::new();
    let (server, client, sip, dev) = names(&ns);
    let f = dir.file("term.pcapng");
    let mut p = start_sonde(
        &server,
        &["-i", &dev, "-f", "icmp", "-P", "-w", &f],
        &dir,
        "term",
    );
    run_ok(&[
        "ip", "netns", "exec", &client, "ping", "-c", "4", "-i", "0.2", &sip,
    ]);
    std::thread::sleep(Duration::from_millis(300));
    p.signal("TERM");
    let st = p.wait(Duration::from_secs(10));
    assert!(st.success(), "{}", p.stderr());
    let lines = p.stdout().lines().count();
    assert_eq!(tshark_fields(&f).len(), 8);
    assert_eq!(lines, 8, "{}", p.stdout());
    assert!(capinfos(&f).contains("Number of stat entries = 1"));
}

#[test]
fn a_burst_is_captured_whole() {
    skip_unless!("ping", "tshark");
    let dir = TempDir::new("cap-burst");
    let ns = NetnsPair::new();
    let (server, client, sip, dev) = names(&ns);
    let f = dir.file("burst.pcapng");
    // 4000 packets as fast as ping can send them: about 0.6 MB, which the
    // default 2 MiB kernel buffer holds even if sonde reads nothing.
    let mut p = start_sonde(
        &server,
        &["-i", &dev, "-f", "icmp", "-w", &f],
        &dir,
        "burst",
    );
    let ping = run_ok(&[
        "ip", "netns", "exec", &client, "ping", "-f", "-c", "2000", "-q", &sip,
    ]);
    assert!(ping.contains("2000 received"), "{ping}");
    std::thread::sleep(Duration::from_millis(500));
    p.signal("INT");
    assert!(p.wait(Duration::from_secs(10)).success(), "{}", p.stderr());
    let err = p.stderr();
    assert_eq!(captured_count(&err), 4000, "{err}");
    assert!(err.contains("\n0 packets dropped by kernel"), "{err}");
    assert_eq!(tshark_fields(&f).len(), 4000);
}
