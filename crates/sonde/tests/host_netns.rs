//! Host views against real programs (OpenSSH, nginx, curl, iputils ping,
//! iproute2's ss and ip) in network namespaces that each test creates and
//! removes. Needs root; each test prints why it skips otherwise.

#[macro_use]
mod netns;

use netns::{run_ok, NetnsPair, TempDir};
use serde_json::Value;
use std::time::Duration;

const SONDE: &str = env!("CARGO_BIN_EXE_sonde");

/// One row of `ss -H` output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SsRow {
    state: String,
    recv_q: u32,
    send_q: u32,
    local: String,
    peer: String,
    pids: Vec<u32>,
}

fn parse_ss(text: &str) -> Vec<SsRow> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 5 {
                return None;
            }
            let procs = f[5..].join(" ");
            let mut pids: Vec<u32> = procs
                .split("pid=")
                .skip(1)
                .filter_map(|p| p.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
                .collect();
            pids.sort_unstable();
            Some(SsRow {
                state: f[0].to_string(),
                recv_q: f[1].parse().ok()?,
                send_q: f[2].parse().ok()?,
                local: f[3].to_string(),
                peer: f[4].to_string(),
                pids,
            })
        })
        .collect()
}

fn sonde_rows(v: &Value) -> Vec<SsRow> {
    v.as_array()
        .expect("sockets -j prints an array")
        .iter()
        .map(|e| {
            let mut pids: Vec<u32> = e["processes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["pid"].as_u64().unwrap() as u32)
                .collect();
            pids.sort_unstable();
            SsRow {
                state: e["state"].as_str().unwrap().to_string(),
                recv_q: e["recv_q"].as_u64().unwrap() as u32,
                send_q: e["send_q"].as_u64().unwrap() as u32,
                local: e["local"].as_str().unwrap().to_string(),
                peer: e["peer"].as_str().unwrap().to_string(),
                pids,
            }
        })
        .collect()
}

fn touches_port(r: &SsRow, port: u16) -> bool {
    let p = format!(":{port}");
    r.local.ends_with(&p) || r.peer.ends_with(&p)
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"))
}

#[test]
fn ssh_session_shows_in_sockets_like_ss() {
    skip_unless!("sshd", "ssh", "ssh-keygen", "ss");
    let dir = TempDir::new("ssh");
    let mut ns = NetnsPair::new();
    let key = ns.start_sshd(&dir);
    let (server, client, sip) = (ns.server.clone(), ns.client.clone(), ns.server_ip());
    let ssh = ns.ssh_command(&key, "sleep 20");
    let ssh: Vec<&str> = ssh.iter().map(String::as_str).collect();
    ns.spawn(&client, &ssh);
    // The client's ephemeral port, as ss sees it in the client namespace.
    let eph: u16 = ns
        .wait_for(Duration::from_secs(15), || {
            let o = ns.exec(
                &client,
                &["ss", "-tnH", "state", "established", "dport = :22"],
            );
            let rows = parse_ss(&format!(
                "ESTAB {}",
                String::from_utf8_lossy(&o.stdout).trim()
            ));
            rows.first()?.local.rsplit(':').next()?.parse().ok()
        })
        .expect("the ssh client never established its connection");
    // Let sshd finish the handshake and fork its session process.
    std::thread::sleep(Duration::from_millis(500));

    // Server side: LISTEN on 22 and ESTAB from exactly that ephemeral port.
    let out = ns.exec_ok(&server, &[SONDE, "sockets", "-tan", "-j"]);
    let v = json(&out);
    let entries = v.as_array().unwrap();
    let listen = entries
        .iter()
        .find(|e| e["state"] == "LISTEN" && e["local"] == "0.0.0.0:22")
        .unwrap_or_else(|| panic!("no LISTEN 0.0.0.0:22 in {out}"));
    assert_eq!(listen["role"], "server");
    assert_eq!(listen["port_class"], "well-known");
    assert!(
        listen["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "sshd"),
        "sshd not shown as the listener: {listen}"
    );
    let estab = entries
        .iter()
        .find(|e| e["state"] == "ESTAB" && e["local"] == format!("{sip}:22").as_str())
        .unwrap_or_else(|| panic!("no ESTAB on {sip}:22 in {out}"));
    assert_eq!(estab["peer"], format!("{}:{eph}", ns.client_ip()).as_str());
    assert_eq!(estab["role"], "server");
    assert_eq!(estab["service"], "ssh");

    // Same rows as ss -tanp for port 22, processes included.
    let ss = parse_ss(&ns.exec_ok(&server, &["ss", "-tanpH"]));
    let mut theirs: Vec<SsRow> = ss.into_iter().filter(|r| touches_port(r, 22)).collect();
    let mut ours: Vec<SsRow> = sonde_rows(&v)
        .into_iter()
        .filter(|r| touches_port(r, 22))
        .collect();
    theirs.sort();
    ours.sort();
    assert_eq!(
        ours, theirs,
        "sonde sockets and ss -tanp disagree on port 22"
    );

    // -p text shows sshd; --process filters on it.
    let text = ns.exec_ok(&server, &[SONDE, "sockets", "-tanp"]);
    assert!(text.contains("sshd(pid="), "{text}");
    let only = json(&ns.exec_ok(
        &server,
        &[SONDE, "sockets", "-ta", "--process", "sshd", "-j"],
    ));
    assert!(only.as_array().unwrap().len() >= 2, "{only}");
    let listening = ns.exec_ok(&server, &[SONDE, "sockets", "-tln"]);
    assert!(
        listening.contains("0.0.0.0:22") && !listening.contains("ESTAB"),
        "{listening}"
    );

    // Client side: the ssh client, on its ephemeral port, is the client.
    let c = json(&ns.exec_ok(&client, &[SONDE, "sockets", "-t", "--port", "22", "-j"]));
    let mine = &c.as_array().unwrap()[0];
    assert_eq!(mine["local_port"], eph);
    assert_eq!(mine["role"], "client");
    assert_eq!(mine["service"], "ssh");
    assert_eq!(mine["ephemeral"], true);
    assert!(mine["processes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "ssh"));

    // probe: 22 open, 23 closed (reset), from the client.
    let p = json(&ns.exec_ok(&client, &[SONDE, "probe", &sip, "22", "23", "-j"]));
    assert_eq!(p["ports"][0]["port"], 22);
    assert_eq!(p["ports"][0]["state"], "open");
    assert_eq!(p["ports"][0]["service"], "ssh");
    assert_eq!(p["ports"][1]["state"], "closed");
    let t = ns.exec_ok(&client, &[SONDE, "probe", &sip, "20-23"]);
    assert!(t.contains("22     open"), "{t}");

    // With the server's answers black-holed, the port stays silent.
    run_ok(&[
        "ip",
        "-n",
        &server,
        "route",
        "add",
        "blackhole",
        &format!("{}/32", ns.client_ip()),
    ]);
    let p = json(&ns.exec_ok(
        &client,
        &[SONDE, "probe", &sip, "22", "--timeout", "300", "-j"],
    ));
    assert_eq!(p["ports"][0]["state"], "no-answer", "{p}");
}

#[test]
fn web_server_and_curl() {
    skip_unless!("curl", "ss");
    let dir = TempDir::new("web");
    let mut ns = NetnsPair::new();
    let (server, client, sip) = (ns.server.clone(), ns.client.clone(), ns.server_ip());
    let proc_name = ns.start_web(&dir, "hello from the sonde test\n");

    let l = json(&ns.exec_ok(&server, &[SONDE, "sockets", "-tlnp", "-j"]));
    let web = l
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["local"] == format!("{sip}:80").as_str())
        .unwrap_or_else(|| panic!("no listener on {sip}:80: {l}"));
    assert_eq!(web["state"], "LISTEN");
    assert_eq!(web["service"], "http");
    assert!(
        web["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == proc_name),
        "{web}"
    );

    let page = ns.exec_ok(
        &client,
        &["curl", "-s", "--max-time", "5", &format!("http://{sip}/")],
    );
    assert_eq!(page, "hello from the sonde test\n");
    // curl closed first, so its side is now in TIME-WAIT, owned by the kernel.
    let tw = json(&ns.exec_ok(
        &client,
        &[SONDE, "sockets", "-t", "--state", "time-wait", "-j"],
    ));
    let e = tw
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["peer"] == format!("{sip}:80").as_str())
        .unwrap_or_else(|| panic!("no TIME-WAIT towards {sip}:80: {tw}"));
    assert_eq!(e["role"], "client");
    assert_eq!(e["process_note"], "kernel");
    // With a state filter, ss leaves the State column out.
    let tw_text = ns.exec_ok(&client, &["ss", "-tanH", "state", "time-wait"]);
    let ss = parse_ss(
        &tw_text
            .lines()
            .map(|l| format!("TIME-WAIT {l}\n"))
            .collect::<String>(),
    );
    assert!(
        ss.iter()
            .any(|r| r.local == e["local"].as_str().unwrap() && r.peer == format!("{sip}:80")),
        "ss does not show the same TIME-WAIT socket: {ss:?}"
    );

    let p = json(&ns.exec_ok(&client, &[SONDE, "probe", &sip, "80", "81", "-j"]));
    assert_eq!(p["ports"][0]["state"], "open");
    assert_eq!(p["ports"][1]["state"], "closed");
}

fn summary_line(text: &str) -> String {
    text.lines()
        .find(|l| l.contains("packets transmitted"))
        .map(|l| l.split(", time").next().unwrap_or("").to_string())
        .unwrap_or_default()
}

#[test]
fn ping_between_namespaces_agrees_with_iputils() {
    skip_unless!("ping");
    let mut ns = NetnsPair::new();
    let (client, sip, sip6) = (ns.client.clone(), ns.server_ip(), ns.server_ip6());
    for target in [sip.clone(), sip6.clone()] {
        let args = ["-c", "3", "-i", "0.2", "-W", "2", target.as_str()];
        let ours = ns.exec(&client, &[&[SONDE, "ping"][..], &args[..]].concat());
        let theirs = ns.exec(&client, &[&["ping"][..], &args[..]].concat());
        let (o, t) = (
            String::from_utf8_lossy(&ours.stdout).into_owned(),
            String::from_utf8_lossy(&theirs.stdout).into_owned(),
        );
        assert_eq!(ours.status.code(), Some(0), "{o}");
        assert_eq!(theirs.status.code(), Some(0), "{t}");
        assert_eq!(o.lines().next(), t.lines().next(), "first lines differ");
        for seq in 1..=3 {
            let line = o
                .lines()
                .find(|l| l.contains(&format!("icmp_seq={seq} ")))
                .unwrap_or_else(|| panic!("no reply {seq}: {o}"));
            assert!(
                line.starts_with(&format!(
                    "64 bytes from {target}: icmp_seq={seq} ttl=64 time="
                )),
                "{line}"
            );
            assert!(line.ends_with(" ms"), "{line}");
        }
        assert_eq!(
            summary_line(&o),
            "3 packets transmitted, 3 received, 0% packet loss"
        );
        assert_eq!(summary_line(&o), summary_line(&t));
        assert!(
            o.contains(&format!("\n--- {target} ping statistics ---\n")),
            "{o}"
        );
        assert!(
            o.lines()
                .last()
                .unwrap()
                .starts_with("rtt min/avg/max/mdev = "),
            "{o}"
        );
    }

    // Unprivileged: a user who is not root uses ICMP datagram sockets, which
    // the kernel allows only inside net.ipv4.ping_group_range.
    if netns::unavailable(&["setpriv"]).is_none() {
        let nobody = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ];
        let ping = [
            SONDE,
            "ping",
            "-c",
            "2",
            "-i",
            "0.2",
            "-W",
            "2",
            sip.as_str(),
        ];
        let denied = ns.exec(&client, &[&nobody[..], &ping[..]].concat());
        assert_eq!(denied.status.code(), Some(2));
        let err = String::from_utf8_lossy(&denied.stderr);
        assert!(err.contains("ping_group_range"), "{err}");
        ns.exec_ok(
            &client,
            &[
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ping_group_range=0 2147483647",
            ],
        );
        let ok = ns.exec(&client, &[&nobody[..], &ping[..]].concat());
        let out = String::from_utf8_lossy(&ok.stdout);
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{out}{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        assert_eq!(
            summary_line(&out),
            "2 packets transmitted, 2 received, 0% packet loss"
        );
        assert!(out.contains("ttl=64"), "{out}");
    }

    // Errors from a router: TTL 1 expires at the server; an unreachable route
    // there makes it answer Destination Host Unreachable.
    let far = ns.add_far();
    let server = ns.server.clone();
    let ttl = ns.exec(
        &client,
        &[SONDE, "ping", "-c", "1", "-t", "1", "-W", "2", &far],
    );
    let out = String::from_utf8_lossy(&ttl.stdout);
    assert!(
        out.contains(&format!("From {sip} icmp_seq=1 Time to live exceeded")),
        "{out}"
    );
    assert_eq!(ttl.status.code(), Some(1), "{out}");
    let ok = ns.exec(&client, &[SONDE, "ping", "-c", "1", "-W", "2", &far]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    run_ok(&[
        "ip",
        "-n",
        &server,
        "route",
        "add",
        "unreachable",
        &format!("{far}/32"),
    ]);
    // The router limits such errors to about one per second (route/error_cost):
    // wait for a token before each ping.
    std::thread::sleep(Duration::from_millis(1200));
    let un = ns.exec(&client, &[SONDE, "ping", "-c", "1", "-W", "2", &far]);
    let out = String::from_utf8_lossy(&un.stdout).into_owned();
    assert!(
        out.contains(&format!(
            "From {sip} icmp_seq=1 Destination Host Unreachable"
        )),
        "{out}"
    );
    assert_eq!(
        summary_line(&out),
        "1 packets transmitted, 0 received, +1 errors, 100% packet loss"
    );
    assert_eq!(un.status.code(), Some(1));
    std::thread::sleep(Duration::from_millis(1200));
    let iputils = ns.exec(&client, &["ping", "-c", "1", "-W", "2", &far]);
    let theirs = String::from_utf8_lossy(&iputils.stdout);
    assert_eq!(
        summary_line(&out),
        summary_line(&theirs),
        "ours:\n{out}\niputils:\n{theirs}"
    );
    assert_eq!(un.status.code(), iputils.status.code());
}

#[test]
fn ifaces_agree_with_ip_addr() {
    let skip = netns::unavailable(&[]);
    if let Some(why) = skip {
        eprintln!("skipped: {why}");
        return;
    }
    let ns = NetnsPair::new();
    let (server, client) = (ns.server.clone(), ns.client.clone());
    run_ok(&[
        "ip",
        "-n",
        &client,
        "route",
        "add",
        "default",
        "via",
        &ns.server_ip(),
    ]);
    for n in [&server, &client] {
        let ours = json(&ns.exec_ok(n, &[SONDE, "ifaces", "-j"]));
        let theirs = json(&ns.exec_ok(n, &["ip", "-j", "addr"]));
        let ours_if = ours["interfaces"].as_array().unwrap();
        let theirs_if = theirs.as_array().unwrap();
        assert_eq!(ours_if.len(), theirs_if.len());
        for (o, t) in ours_if.iter().zip(theirs_if) {
            assert_eq!(o["name"], t["ifname"]);
            assert_eq!(o["index"], t["ifindex"]);
            assert_eq!(o["mtu"], t["mtu"]);
            assert_eq!(o["state"], t["operstate"]);
            assert_eq!(o["flags"], t["flags"], "flags of {}", t["ifname"]);
            assert_eq!(o["link_type"], t["link_type"]);
            if t["link_type"] == "ether" {
                assert_eq!(o["mac"], t["address"]);
            }
            let mut theirs_addrs: Vec<(String, u64, String, Value, u64, u64, bool)> = t
                ["addr_info"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["local"].as_str().unwrap().to_string(),
                        a["prefixlen"].as_u64().unwrap(),
                        a["scope"].as_str().unwrap().to_string(),
                        a["broadcast"].clone(),
                        a["valid_life_time"].as_u64().unwrap(),
                        a["preferred_life_time"].as_u64().unwrap(),
                        a["dynamic"].as_bool().unwrap_or(false),
                    )
                })
                .collect();
            let mut ours_addrs: Vec<(String, u64, String, Value, u64, u64, bool)> = o["ipv4"]
                .as_array()
                .unwrap()
                .iter()
                .chain(o["ipv6"].as_array().unwrap())
                .map(|a| {
                    (
                        a["address"].as_str().unwrap().to_string(),
                        a["prefix_len"].as_u64().unwrap(),
                        a["scope"].as_str().unwrap().to_string(),
                        a["configured_broadcast"].clone(),
                        a["valid_lft"]["seconds"]
                            .as_u64()
                            .unwrap_or(u64::from(u32::MAX)),
                        a["preferred_lft"]["seconds"]
                            .as_u64()
                            .unwrap_or(u64::from(u32::MAX)),
                        a["dynamic"].as_bool().unwrap(),
                    )
                })
                .collect();
            theirs_addrs.sort_by(|a, b| a.0.cmp(&b.0));
            ours_addrs.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(ours_addrs, theirs_addrs, "addresses of {}", t["ifname"]);
        }
    }
    // The default gateway agrees with ip route.
    let ours = json(&ns.exec_ok(&client, &[SONDE, "ifaces", "-j"]));
    let route = json(&ns.exec_ok(&client, &["ip", "-j", "route", "show", "default"]));
    assert_eq!(
        ours["default_gateways_v4"][0]["gateway"],
        route[0]["gateway"]
    );
    assert_eq!(ours["default_gateways_v4"][0]["interface"], route[0]["dev"]);

    // One interface by name; a missing one is a clear error.
    let dev = ns.server_dev();
    let one = json(&ns.exec_ok(&server, &[SONDE, "ifaces", &dev, "-j"]));
    assert_eq!(one["interfaces"].as_array().unwrap().len(), 1);
    assert_eq!(
        one["interfaces"][0]["ipv4"][0]["network"],
        format!("10.199.{}.0", ns.net).as_str()
    );
    assert_eq!(one["interfaces"][0]["ipv4"][0]["mask"], "255.255.255.0");
    let text = ns.exec_ok(&server, &[SONDE, "ifaces", &dev]);
    assert!(
        text.contains(&format!("inet {}/24  mask 255.255.255.0", ns.server_ip())),
        "{text}"
    );
    let missing = ns.exec(&server, &[SONDE, "ifaces", "nosuch0"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no network interface named 'nosuch0'"),
        "{err}"
    );
}
