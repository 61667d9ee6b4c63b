//! Host commands through the built binary, on loopback only: subnet, probe,
//! sockets against ss, ping against iputils.

use serde_json::Value;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Output};

const SONDE: &str = env!("CARGO_BIN_EXE_sonde");

fn sonde(args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("60")
        .arg(SONDE)
        .args(args)
        .output()
        .expect("run sonde")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn subnet_seed_hosts_share_a_network() {
    let o = sonde(&["subnet", "172.17.2.140/255.255.0.0", "172.17.2.149/16"]);
    assert!(o.status.success());
    let t = stdout(&o);
    assert!(
        t.contains("  mask     11111111.11111111.00000000.00000000  255.255.  0.  0"),
        "{t}"
    );
    assert!(
        t.contains("  AND      10101100.00010001.00000000.00000000  172. 17.  0.  0  = network"),
        "{t}"
    );
    assert!(
        t.contains("  hosts      172.17.0.1 - 172.17.255.254  (65534 addresses)"),
        "{t}"
    );
    assert!(
        t.contains("Same network: yes. All 2 hosts are in 172.17.0.0/16"),
        "{t}"
    );
    let j: Value = serde_json::from_str(&stdout(&sonde(&[
        "subnet",
        "172.17.2.140",
        "172.17.3.1",
        "--mask",
        "255.255.255.0",
        "-j",
    ])))
    .unwrap();
    assert_eq!(j["same_network"], false);
    assert_eq!(j["hosts"][1]["network"], "172.17.3.0");
    let six = stdout(&sonde(&["subnet", "2001:db8::1/64", "2001:db8::2/64"]));
    assert!(six.contains("Same network: yes"), "{six}");
}

#[test]
fn subnet_bad_input_is_one_line_exit_2() {
    for (arg, needle) in [
        ("172.17.2.300/16", "0 to 255"),
        ("10.0.0.1/255.0.255.0", "ones followed by zeros"),
        ("10.0.0.1/33", "/0 to /32"),
        ("10.0.0.1", "no mask"),
    ] {
        let o = sonde(&["subnet", arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.lines().count(), 1, "{arg}: {e}");
        assert!(e.contains(needle), "{arg}: {e}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn probe_loopback() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = l.local_addr().unwrap().port();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = sonde(&[
        "probe",
        "127.0.0.1",
        &open.to_string(),
        &closed.to_string(),
        "-j",
    ]);
    assert!(o.status.success());
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let state = |p: u16| {
        j["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["port"] == p)
            .map(|r| r["state"].as_str().unwrap().to_string())
    };
    assert_eq!(state(open).as_deref(), Some("open"));
    assert_eq!(state(closed).as_deref(), Some("closed"));
    let bad = sonde(&["probe", "127.0.0.1", "99999"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `ss -H` rows touching `port`: (state, recv-q, send-q, local, peer).
fn ss_rows(args: &[&str], port: u16) -> Vec<(String, String, String, String, String)> {
    let o = Command::new("ss").args(args).output().expect("run ss");
    let p = format!(":{port}");
    let mut rows: Vec<_> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 5 && (f[3].ends_with(&p) || f[4].ends_with(&p))).then(|| {
                (
                    f[0].into(),
                    f[1].into(),
                    f[2].into(),
                    f[3].into(),
                    f[4].into(),
                )
            })
        })
        .collect();
    rows.sort();
    rows
}

fn sonde_rows(args: &[&str], port: u16) -> Vec<(String, String, String, String, String)> {
    let mut full = vec!["sockets"];
    full.extend_from_slice(args);
    let p = port.to_string();
    full.extend_from_slice(&["--port", &p, "-j"]);
    let o = sonde(&full);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut rows: Vec<_> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["state"].as_str().unwrap().into(),
                e["recv_q"].to_string(),
                e["send_q"].to_string(),
                e["local"].as_str().unwrap().into(),
                e["peer"].as_str().unwrap().into(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn sockets_agree_with_ss_on_loopback() {
    if !have("ss") {
        eprintln!("skipped: ss (iproute2) is not installed");
        return;
    }
    // IPv4 listener and a connection to it.
    let l4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let p4 = l4.local_addr().unwrap().port();
    let c4 = TcpStream::connect(("127.0.0.1", p4)).unwrap();
    let (_s4, _) = l4.accept().unwrap();
    // IPv6 dual-stack listener reached over IPv4: IPv4-mapped addresses.
    let l6 = TcpListener::bind("[::]:0");
    // UDP, bound and unconnected.
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let pu = u.local_addr().unwrap().port();

    assert_eq!(sonde_rows(&["-tan"], p4), ss_rows(&["-tanH"], p4));
    assert_eq!(sonde_rows(&["-tn"], p4), ss_rows(&["-tnH"], p4));
    assert_eq!(sonde_rows(&["-tln"], p4), ss_rows(&["-tlnH"], p4));
    assert_eq!(sonde_rows(&["-uan"], pu), ss_rows(&["-uanH"], pu));
    assert_eq!(sonde_rows(&["-tan"], p4).len(), 3);

    // Roles: the listener and the accepted side are the server, the connecting side the client.
    let o = sonde(&["sockets", "-tanp", "--port", &p4.to_string(), "-j"]);
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let client_port = c4.local_addr().unwrap().port();
    for e in j.as_array().unwrap() {
        let expect = if e["local_port"] == client_port {
            "client"
        } else {
            "server"
        };
        assert_eq!(e["role"], expect, "{e}");
        let me = std::process::id();
        assert!(
            e["processes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["pid"] == me),
            "{e}"
        );
    }

    if let Ok(l6) = l6 {
        let p6 = l6.local_addr().unwrap().port();
        let _c6 = TcpStream::connect(("127.0.0.1", p6)).unwrap();
        let (_s6, _) = l6.accept().unwrap();
        let ours = sonde_rows(&["-tan"], p6);
        assert_eq!(ours, ss_rows(&["-tanH"], p6));
        assert!(
            ours.iter()
                .any(|r| r.3 == format!("[::ffff:127.0.0.1]:{p6}")),
            "{ours:?}"
        );
        let o = sonde(&["sockets", "-tn", "--port", &p6.to_string(), "-j", "-6"]);
        let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert!(
            j.as_array()
                .unwrap()
                .iter()
                .any(|e| e["local_ipv4_mapped"] == "127.0.0.1"),
            "{j}"
        );
    }
    drop(c4);
}

#[test]
fn sockets_rejects_unknown_state() {
    let o = sonde(&["sockets", "--state", "sleepy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown state 'sleepy'"));
}

#[test]
fn ping_loopback_like_iputils() {
    let o = sonde(&["ping", "-c", "2", "-i", "0.2", "127.0.0.1"]);
    let t = stdout(&o);
    if o.status.code() == Some(2) {
        eprintln!(
            "skipped: no ICMP socket here: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{t}");
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[0], "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.");
    assert!(
        lines[1].starts_with("64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time="),
        "{t}"
    );
    assert!(
        lines[2].starts_with("64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time="),
        "{t}"
    );
    assert_eq!(lines[3], "");
    assert_eq!(lines[4], "--- 127.0.0.1 ping statistics ---");
    assert!(
        lines[5].starts_with("2 packets transmitted, 2 received, 0% packet loss, time "),
        "{t}"
    );
    assert!(lines[6].starts_with("rtt min/avg/max/mdev = "), "{t}");
    let s = sonde(&["ping", "-c", "1", "-s", "100", "127.0.0.1"]);
    let t = stdout(&s);
    assert!(
        t.starts_with("PING 127.0.0.1 (127.0.0.1) 100(128) bytes of data.\n108 bytes from"),
        "{t}"
    );
    let bad = sonde(&["ping", "-c", "1", "no.such.host.invalid"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn ping_sigint_prints_summary() {
    if !have("kill") {
        return;
    }
    let child = Command::new(SONDE)
        .args(["ping", "-i", "0.2", "127.0.0.1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let o = child.wait_with_output().unwrap();
    let t = stdout(&o);
    if o.status.code() == Some(2) {
        eprintln!("skipped: no ICMP socket here");
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("--- 127.0.0.1 ping statistics ---"), "{t}");
    assert!(t.contains(" received, 0% packet loss"), "{t}");
}

#[test]
fn ifaces_lists_loopback_and_rejects_unknown() {
    let o = sonde(&["ifaces", "lo", "-j"]);
    assert!(o.status.success());
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["interfaces"][0]["name"], "lo");
    assert_eq!(j["interfaces"][0]["ipv4"][0]["address"], "127.0.0.1");
    assert_eq!(j["interfaces"][0]["ipv4"][0]["mask"], "255.0.0.0");
    let bad = sonde(&["ifaces", "nosuch0"]);
    assert_eq!(bad.status.code(), Some(2));
}
