//! TCP connect test: for each port, is a server there (open), does the host
//! refuse (closed), or does nothing answer (filtered or down)?

use crate::{ping::resolve, services, HostError};
use serde::Serialize;
use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many ports in one run (every TCP port).
pub const MAX_PORTS: usize = 65535;

/// What a connect attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortState {
    /// The handshake completed: a program listens there.
    Open,
    /// The host answered with a reset: nothing listens there.
    Closed,
    /// No answer before the timeout: a firewall drops the packets, or the host is down.
    NoAnswer,
    /// The network said the host cannot be reached (ICMP unreachable, no route).
    Unreachable,
}

impl PortState {
    /// Short name for the table.
    pub fn name(self) -> &'static str {
        match self {
            PortState::Open => "open",
            PortState::Closed => "closed",
            PortState::NoAnswer => "no answer",
            PortState::Unreachable => "unreachable",
        }
    }
}

/// The result for one port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortResult {
    /// The port.
    pub port: u16,
    /// What was found.
    pub state: PortState,
    /// Time until the answer (or the timeout), microseconds.
    pub time_us: u64,
    /// IANA service name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'static str>,
    /// The OS's message when it was an error other than refused or timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A whole probe run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    /// The host as given.
    pub host: String,
    /// The address probed.
    pub address: IpAddr,
    /// Timeout per port, milliseconds.
    pub timeout_ms: u64,
    /// One result per port, in port order.
    pub ports: Vec<PortResult>,
}

/// Parses port arguments: `22`, `20-25`, `22,80,443`; duplicates removed,
/// sorted.
pub fn parse_ports(args: &[String]) -> Result<Vec<u16>, HostError> {
    let mut ports = Vec::new();
    let bad = |s: &str, why: &str| HostError::Input(format!("invalid port '{s}': {why}"));
    for arg in args {
        for part in arg.split(',').filter(|p| !p.is_empty()) {
            let num = |s: &str| -> Result<u16, HostError> {
                match s.trim().parse::<u32>() {
                    Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
                    Ok(_) => Err(bad(part, "ports go from 1 to 65535")),
                    Err(_) => Err(bad(part, "write a number (22) or a range (20-25)")),
                }
            };
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (num(a)?, num(b)?);
                    if a > b {
                        return Err(bad(
                            part,
                            "a range goes from the smaller port to the larger",
                        ));
                    }
                    ports.extend(a..=b);
                }
                None => ports.push(num(part)?),
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    if ports.is_empty() {
        return Err(HostError::Input("give at least one port to probe".into()));
    }
    Ok(ports)
}

fn classify(r: io::Result<TcpStream>) -> (PortState, Option<String>) {
    match r {
        Ok(_) => (PortState::Open, None),
        Err(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused => (PortState::Closed, None),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (PortState::NoAnswer, None),
            _ => match e.raw_os_error() {
                Some(libc::EHOSTUNREACH) | Some(libc::ENETUNREACH) => {
                    (PortState::Unreachable, Some(e.to_string()))
                }
                _ => (PortState::NoAnswer, Some(e.to_string())),
            },
        },
    }
}

/// Tries a TCP connection to every port, `concurrency` at a time, each bounded
/// by `timeout`.
pub fn probe(
    host: &str,
    ports: &[u16],
    timeout: Duration,
    concurrency: usize,
) -> Result<ProbeReport, HostError> {
    let address = resolve(host, None)?;
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(ports.len()));
    let workers = concurrency.clamp(1, 256).min(ports.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&port) = ports.get(i) else {
                    break;
                };
                let t0 = Instant::now();
                let r = TcpStream::connect_timeout(&SocketAddr::new(address, port), timeout);
                let time_us = t0.elapsed().as_micros() as u64;
                let (state, detail) = classify(r);
                let res = PortResult {
                    port,
                    state,
                    time_us,
                    service: services::tcp_name(port),
                    detail,
                };
                if let Ok(mut v) = results.lock() {
                    v.push(res);
                }
            });
        }
    });
    let mut ports = results.into_inner().unwrap_or_default();
    ports.sort_by_key(|r| r.port);
    Ok(ProbeReport {
        host: host.to_string(),
        address,
        timeout_ms: timeout.as_millis() as u64,
        ports,
    })
}

/// Renders the report as a table, with a one-line explanation of each state
/// that appears.
pub fn render(r: &ProbeReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "TCP connect to {} ({}), timeout {} ms",
        r.host, r.address, r.timeout_ms
    );
    let _ = writeln!(s, "{:<7}{:<13}{:>10}     SERVICE", "PORT", "STATE", "TIME");
    for p in &r.ports {
        let _ = writeln!(
            s,
            "{:<7}{:<13}{:>8}.{:01} ms  {}{}",
            p.port,
            p.state.name(),
            p.time_us / 1000,
            (p.time_us % 1000) / 100,
            p.service.unwrap_or("-"),
            p.detail
                .as_ref()
                .map(|d| format!("  ({d})"))
                .unwrap_or_default()
        );
    }
    let has = |st: PortState| r.ports.iter().any(|p| p.state == st);
    if has(PortState::Open) {
        s.push_str("open: the three-way handshake completed, a program listens on the port.\n");
    }
    if has(PortState::Closed) {
        s.push_str("closed: the host answered with a TCP reset, nothing listens on the port.\n");
    }
    if has(PortState::NoAnswer) {
        s.push_str("no answer: nothing came back in time; a firewall drops the packets, or the host is down.\n");
    }
    if has(PortState::Unreachable) {
        s.push_str("unreachable: the network reported that the host cannot be reached.\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists_and_ranges() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_ports(&a(&["22", "80", "3389"])).unwrap(),
            vec![22, 80, 3389]
        );
        assert_eq!(
            parse_ports(&a(&["20-23,22"])).unwrap(),
            vec![20, 21, 22, 23]
        );
        assert!(parse_ports(&a(&["0"])).is_err());
        assert!(parse_ports(&a(&["70000"])).is_err());
        assert!(parse_ports(&a(&["25-20"])).is_err());
        assert!(parse_ports(&a(&["ssh"])).is_err());
        assert!(parse_ports(&[]).is_err());
    }

    #[test]
    fn loopback_open_and_closed() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = l.local_addr().unwrap().port();
        // A port that was free a moment ago: bind, read it, release it.
        let closed = {
            let t = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            t.local_addr().unwrap().port()
        };
        let r = probe("127.0.0.1", &[open, closed], Duration::from_millis(500), 4).unwrap();
        let st: Vec<_> = r.ports.iter().map(|p| (p.port, p.state)).collect();
        assert!(st.contains(&(open, PortState::Open)));
        assert!(st.contains(&(closed, PortState::Closed)));
        let text = render(&r);
        assert!(text.contains("open: the three-way handshake"));
    }
}
