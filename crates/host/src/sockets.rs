//! TCP and UDP sockets like `ss -tuanp`, plus what a student asks next: which
//! service is this port, is this side the server or the client, and what class
//! of port is it (well-known, registered, dynamic, ephemeral).
//!
//! Sockets come from sock_diag netlink (the source `ss` uses, so queues agree,
//! including a listener's backlog in Send-Q); when sock_diag is unavailable
//! they come from `/proc/net/{tcp,tcp6,udp,udp6}`. Owning processes come from
//! scanning `/proc/*/fd` for `socket:[inode]` links.

use crate::netlink::{dump, ne_u32};
use crate::{services, HostError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NETLINK_SOCK_DIAG: i32 = 4;
const INET_DIAG_SKV6ONLY: u16 = 11;

/// Transport protocol of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// `tcp` or `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// A socket as the kernel reports it, before interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSocket {
    /// TCP or UDP.
    pub proto: Proto,
    /// Kernel state number (`TCP_ESTABLISHED` = 1 ... `TCP_NEW_SYN_RECV` = 12).
    pub state: u8,
    /// Local address.
    pub local: IpAddr,
    /// Local port.
    pub local_port: u16,
    /// Peer address.
    pub peer: IpAddr,
    /// Peer port.
    pub peer_port: u16,
    /// Bytes queued for receiving (for a listener: connections waiting for accept()).
    pub recv_q: u32,
    /// Bytes queued for sending (for a listener: the backlog, with sock_diag).
    pub send_q: u32,
    /// Index of the interface the socket is bound to (`SO_BINDTODEVICE`), 0 if none.
    pub bound_if: u32,
    /// Owner's user id.
    pub uid: u32,
    /// Socket inode (0 for TIME-WAIT sockets, which no process owns).
    pub inode: u64,
    /// For an IPv6 socket, whether it refuses IPv4 (`IPV6_V6ONLY`), when known.
    pub v6only: Option<bool>,
}

/// The `ss` name of a kernel socket state.
pub fn state_name(proto: Proto, state: u8) -> &'static str {
    match (proto, state) {
        (_, 1) => "ESTAB",
        (_, 2) => "SYN-SENT",
        (_, 3) | (_, 12) => "SYN-RECV",
        (_, 4) => "FIN-WAIT-1",
        (_, 5) => "FIN-WAIT-2",
        (_, 6) => "TIME-WAIT",
        (_, 7) => "UNCONN",
        (_, 8) => "CLOSE-WAIT",
        (_, 9) => "LAST-ACK",
        (_, 10) => "LISTEN",
        (_, 11) => "CLOSING",
        _ => "UNKNOWN",
    }
}

/// Accepts a state as ss or netstat writes it (`established`, `ESTAB`,
/// `TIME_WAIT`, `listening`...) and returns the ss name.
pub fn normalize_state(s: &str) -> Option<&'static str> {
    let u = s.trim().to_ascii_uppercase().replace('_', "-");
    let name = match u.as_str() {
        "ESTAB" | "ESTABLISHED" => "ESTAB",
        "SYN-SENT" => "SYN-SENT",
        "SYN-RECV" | "SYN-RECEIVED" => "SYN-RECV",
        "FIN-WAIT-1" | "FIN-WAIT1" => "FIN-WAIT-1",
        "FIN-WAIT-2" | "FIN-WAIT2" => "FIN-WAIT-2",
        "TIME-WAIT" => "TIME-WAIT",
        "UNCONN" | "CLOSE" | "CLOSED" | "UNCONNECTED" => "UNCONN",
        "CLOSE-WAIT" => "CLOSE-WAIT",
        "LAST-ACK" => "LAST-ACK",
        "LISTEN" | "LISTENING" => "LISTEN",
        "CLOSING" => "CLOSING",
        _ => return None,
    };
    Some(name)
}

fn hex_u32(s: &str) -> Option<u32> {
    u32::from_str_radix(s, 16).ok()
}

/// Parses a `/proc/net` address such as `0100007F:0CEA` (IPv4) or the
/// 32-digit IPv6 form. The kernel prints each 32-bit word of the address as
/// a number in the machine's byte order, so each word is turned back into
/// native bytes.
pub fn parse_proc_addr(s: &str) -> Option<(IpAddr, u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    let addr = match a.len() {
        8 => IpAddr::V4(Ipv4Addr::from(hex_u32(a)?.to_ne_bytes())),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                let w = hex_u32(a.get(i * 8..i * 8 + 8)?)?;
                b[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some((addr, port))
}

/// Parses the text of `/proc/net/tcp`, `tcp6`, `udp` or `udp6`. Lines that
/// do not parse are skipped.
pub fn parse_proc_net(text: &str, proto: Proto) -> Vec<RawSocket> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                return None;
            }
            let (local, local_port) = parse_proc_addr(f[1])?;
            let (peer, peer_port) = parse_proc_addr(f[2])?;
            let state = u8::from_str_radix(f[3], 16).ok()?;
            let (tx, rx) = f[4].split_once(':')?;
            Some(RawSocket {
                proto,
                state,
                local,
                local_port,
                peer,
                peer_port,
                recv_q: hex_u32(rx)?,
                send_q: hex_u32(tx)?,
                bound_if: 0,
                uid: f[7].parse().ok()?,
                inode: f[9].parse().ok()?,
                v6only: None,
            })
        })
        .collect()
}

/// Parses one `inet_diag_msg` (the payload of a `SOCK_DIAG_BY_FAMILY` reply).
pub fn parse_diag_msg(p: &[u8], proto: Proto) -> Option<RawSocket> {
    if p.len() < 72 {
        return None;
    }
    let family = i32::from(p[0]);
    let addr = |at: usize| -> Option<IpAddr> {
        match family {
            libc::AF_INET => Some(IpAddr::V4(Ipv4Addr::new(
                p[at],
                p[at + 1],
                p[at + 2],
                p[at + 3],
            ))),
            libc::AF_INET6 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(&p[at..at + 16]);
                Some(IpAddr::V6(Ipv6Addr::from(b)))
            }
            _ => None,
        }
    };
    Some(RawSocket {
        proto,
        state: p[1],
        local_port: u16::from_be_bytes([p[4], p[5]]),
        peer_port: u16::from_be_bytes([p[6], p[7]]),
        local: addr(8)?,
        peer: addr(24)?,
        bound_if: ne_u32(p, 40),
        recv_q: ne_u32(p, 56),
        send_q: ne_u32(p, 60),
        uid: ne_u32(p, 64),
        inode: u64::from(ne_u32(p, 68)),
        v6only: crate::netlink::attributes(&p[72..])
            .find(|(k, _)| *k == INET_DIAG_SKV6ONLY)
            .and_then(|(_, v)| v.first().map(|b| *b != 0)),
    })
}

fn diag_request(family: i32, proto: Proto) -> Vec<u8> {
    let mut body = vec![0u8; 56];
    body[0] = family as u8;
    body[1] = match proto {
        Proto::Tcp => libc::IPPROTO_TCP as u8,
        Proto::Udp => libc::IPPROTO_UDP as u8,
    };
    body[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
    body
}

fn read_diag(proto: Proto) -> Result<Vec<RawSocket>, HostError> {
    let mut out = Vec::new();
    for family in [libc::AF_INET, libc::AF_INET6] {
        let msgs = dump(
            NETLINK_SOCK_DIAG,
            SOCK_DIAG_BY_FAMILY,
            &diag_request(family, proto),
            "sock_diag dump",
        );
        match msgs {
            Ok(m) => out.extend(
                m.iter()
                    .filter(|m| m.kind == SOCK_DIAG_BY_FAMILY)
                    .filter_map(|m| parse_diag_msg(&m.payload, proto)),
            ),
            // IPv6 disabled: no IPv6 sockets.
            Err(_) if family == libc::AF_INET6 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn read_proc(proto: Proto) -> Result<Vec<RawSocket>, HostError> {
    let mut out = Vec::new();
    for (i, file) in ["", "6"].iter().enumerate() {
        let path = format!("/proc/net/{}{file}", proto.name());
        match std::fs::read_to_string(&path) {
            Ok(t) => out.extend(parse_proc_net(&t, proto)),
            Err(_) if i == 1 => {}
            Err(e) => {
                return Err(HostError::Os {
                    what: format!("read {path}"),
                    source: e,
                })
            }
        }
    }
    Ok(out)
}

/// Every TCP or UDP socket of this network namespace: from sock_diag, or from
/// `/proc/net` when sock_diag is not available.
pub fn read_sockets(proto: Proto) -> Result<Vec<RawSocket>, HostError> {
    read_diag(proto).or_else(|_| read_proc(proto))
}

/// A process that holds a socket open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessRef {
    /// Command name (`/proc/PID/comm`).
    pub name: String,
    /// Process id.
    pub pid: u32,
    /// File descriptor number in that process.
    pub fd: u32,
    /// The process's user name (or uid).
    pub user: String,
}

/// Inode → processes, and whether some processes could not be inspected.
#[derive(Debug, Default)]
pub struct ProcessMap {
    /// Processes per socket inode.
    pub by_inode: HashMap<u64, Vec<ProcessRef>>,
    /// True when at least one `/proc/PID/fd` was unreadable (not root).
    pub incomplete: bool,
}

/// Parses `/etc/passwd` text into uid → name.
pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
        })
        .collect()
}

fn users() -> HashMap<u32, String> {
    std::fs::read_to_string("/etc/passwd")
        .map(|t| parse_passwd(&t))
        .unwrap_or_default()
}

fn user_name(users: &HashMap<u32, String>, uid: u32) -> String {
    users.get(&uid).cloned().unwrap_or_else(|| uid.to_string())
}

/// Scans `/proc/*/fd` for sockets.
pub fn process_map() -> ProcessMap {
    let users = users();
    let mut map = ProcessMap::default();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        map.incomplete = true;
        return map;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let base = entry.path();
        let fds = match std::fs::read_dir(base.join("fd")) {
            Ok(f) => f,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::PermissionDenied {
                    map.incomplete = true;
                }
                continue;
            }
        };
        let name = std::fs::read_to_string(base.join("comm"))
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default();
        let uid = std::fs::read_to_string(base.join("status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|l| l.split_whitespace().next().and_then(|u| u.parse().ok()))
            });
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let Some(inode) = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok())
            else {
                continue;
            };
            let fdn = fd
                .file_name()
                .to_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            map.by_inode.entry(inode).or_default().push(ProcessRef {
                name: name.clone(),
                pid,
                fd: fdn,
                user: uid.map(|u| user_name(&users, u)).unwrap_or_default(),
            });
        }
    }
    for v in map.by_inode.values_mut() {
        v.sort_by_key(|p| (p.pid, p.fd));
    }
    map
}

/// IANA's class of a port number.
pub fn port_class(port: u16) -> &'static str {
    match port {
        0..=1023 => "well-known",
        1024..=49151 => "registered",
        _ => "dynamic",
    }
}

/// Parses `/proc/sys/net/ipv4/ip_local_port_range` text (`32768\t60999`).
pub fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    let mut it = text.split_whitespace().map(|w| w.parse::<u16>());
    Some((it.next()?.ok()?, it.next()?.ok()?))
}

/// This system's ephemeral port range (Linux's default 32768-60999 when unreadable).
pub fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| parse_port_range(&t))
        .unwrap_or((32768, 60999))
}

/// A socket with everything sonde knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketEntry {
    /// `tcp` or `udp`.
    pub proto: Proto,
    /// 4 or 6.
    pub family: u8,
    /// ss's state name (`LISTEN`, `ESTAB`, `UNCONN`...).
    pub state: &'static str,
    /// Receive queue (see [`RawSocket::recv_q`]).
    pub recv_q: u32,
    /// Send queue (see [`RawSocket::send_q`]).
    pub send_q: u32,
    /// Local address.
    pub local_addr: IpAddr,
    /// Local port.
    pub local_port: u16,
    /// Peer address.
    pub peer_addr: IpAddr,
    /// Peer port (0 when unconnected).
    pub peer_port: u16,
    /// Local side as ss prints it (`0.0.0.0:22`, `[::1]:631`, `127.0.0.53%lo:53`).
    pub local: String,
    /// Peer side as ss prints it (`0.0.0.0:*`).
    pub peer: String,
    /// When the local address is an IPv4-mapped IPv6 address, the IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_ipv4_mapped: Option<Ipv4Addr>,
    /// When the peer address is an IPv4-mapped IPv6 address, the IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_ipv4_mapped: Option<Ipv4Addr>,
    /// Interface the socket is bound to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Owner of the socket (user name or uid).
    pub user: String,
    /// Socket inode.
    pub inode: u64,
    /// Processes holding the socket.
    pub processes: Vec<ProcessRef>,
    /// Why `processes` is empty: `kernel` (TIME-WAIT: no process holds it
    /// any more), `unknown (needs root)` (other users' processes cannot be
    /// inspected), or `not found` (held outside this system's view of /proc).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_note: Option<&'static str>,
    /// `server` (listens, or was accepted on a listening port) or `client`.
    pub role: &'static str,
    /// The port that names the service: the local port for a server, the
    /// peer's for a client.
    pub service_port: u16,
    /// Service name of `service_port` (`ssh`, `http`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'static str>,
    /// Class of the local port: `well-known`, `registered` or `dynamic`.
    pub port_class: &'static str,
    /// Whether the local port is in this system's ephemeral range.
    pub ephemeral: bool,
}

/// Formats an address and port as ss does: `*` for port 0, and `*` for the
/// IPv6 wildcard of a dual-stack socket (one that also accepts IPv4), where
/// `[::]` would suggest IPv6 only.
pub fn ss_endpoint(addr: IpAddr, port: u16, ifname: Option<&str>, v6only: Option<bool>) -> String {
    let a = match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) if a.is_unspecified() && v6only == Some(false) => "*".to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let dev = ifname.map(|n| format!("%{n}")).unwrap_or_default();
    let p = if port == 0 {
        "*".to_string()
    } else {
        port.to_string()
    };
    format!("{a}{dev}:{p}")
}

fn mapped(addr: IpAddr) -> Option<Ipv4Addr> {
    match addr {
        IpAddr::V6(a) => {
            let s = a.segments();
            (s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff).then(|| {
                let o = a.octets();
                Ipv4Addr::new(o[12], o[13], o[14], o[15])
            })
        }
        IpAddr::V4(_) => None,
    }
}

fn ifname_of(index: u32) -> Option<String> {
    if index == 0 {
        return None;
    }
    let dir = std::fs::read_dir("/sys/class/net").ok()?;
    for e in dir.flatten() {
        let idx = std::fs::read_to_string(e.path().join("ifindex")).ok()?;
        if idx.trim().parse::<u32>().ok() == Some(index) {
            return e.file_name().to_str().map(String::from);
        }
    }
    Some(index.to_string())
}

/// Turns raw sockets into entries: names states, finds roles (using every
/// socket given, so pass them all before filtering), services and classes.
pub fn interpret(
    raw: &[RawSocket],
    procs: &ProcessMap,
    ephemeral: (u16, u16),
    users: &HashMap<u32, String>,
) -> Vec<SocketEntry> {
    let listening: HashSet<(Proto, u16)> = raw
        .iter()
        .filter(|s| s.state == 10 || (s.proto == Proto::Udp && s.state == 7))
        .map(|s| (s.proto, s.local_port))
        .collect();
    raw.iter()
        .map(|s| {
            let server = listening.contains(&(s.proto, s.local_port));
            let service_port = if server || s.peer_port == 0 {
                s.local_port
            } else {
                s.peer_port
            };
            let service = match s.proto {
                Proto::Tcp => services::tcp_name(service_port),
                Proto::Udp => services::udp_name(service_port),
            };
            let processes = procs.by_inode.get(&s.inode).cloned().unwrap_or_default();
            let process_note = if !processes.is_empty() {
                None
            } else if s.inode == 0 {
                // TIME-WAIT and request sockets belong to the kernel alone.
                Some("kernel")
            } else if procs.incomplete {
                Some("unknown (needs root)")
            } else {
                Some("not found")
            };
            let ifname = ifname_of(s.bound_if);
            SocketEntry {
                proto: s.proto,
                family: if s.local.is_ipv4() { 4 } else { 6 },
                state: state_name(s.proto, s.state),
                recv_q: s.recv_q,
                send_q: s.send_q,
                local_addr: s.local,
                local_port: s.local_port,
                peer_addr: s.peer,
                peer_port: s.peer_port,
                local: ss_endpoint(s.local, s.local_port, ifname.as_deref(), s.v6only),
                peer: ss_endpoint(s.peer, s.peer_port, None, s.v6only),
                local_ipv4_mapped: mapped(s.local),
                peer_ipv4_mapped: mapped(s.peer),
                interface: ifname,
                user: user_name(users, s.uid),
                inode: s.inode,
                processes,
                process_note,
                role: if server { "server" } else { "client" },
                service_port,
                service,
                port_class: port_class(s.local_port),
                ephemeral: (ephemeral.0..=ephemeral.1).contains(&s.local_port),
            }
        })
        .collect()
}

/// Which sockets to show, as ss's flags and sonde's filters say.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Show TCP (when neither tcp nor udp is set, both are shown).
    pub tcp: bool,
    /// Show UDP.
    pub udp: bool,
    /// Only listening sockets (LISTEN, UNCONN).
    pub listening: bool,
    /// All states.
    pub all: bool,
    /// Only IPv4.
    pub ipv4: bool,
    /// Only IPv6.
    pub ipv6: bool,
    /// Only sockets whose local or peer port is this one.
    pub port: Option<u16>,
    /// Only this state (ss name); overrides `listening`/`all`.
    pub state: Option<&'static str>,
    /// Only sockets held by a process whose name contains this.
    pub process: Option<String>,
}

impl Filter {
    /// Whether the entry passes. Without `all`, `listening` or `state`, ss
    /// shows connected sockets only: not LISTEN, UNCONN, TIME-WAIT or SYN-RECV.
    pub fn accepts(&self, e: &SocketEntry) -> bool {
        let want_proto = match e.proto {
            Proto::Tcp => self.tcp || !self.udp,
            Proto::Udp => self.udp || !self.tcp,
        };
        let want_family = match e.family {
            4 => self.ipv4 || !self.ipv6,
            _ => self.ipv6 || !self.ipv4,
        };
        let want_state = match self.state {
            Some(s) => e.state == s,
            None if self.all => true,
            None if self.listening => matches!(e.state, "LISTEN" | "UNCONN"),
            None => !matches!(e.state, "LISTEN" | "UNCONN" | "TIME-WAIT" | "SYN-RECV"),
        };
        let want_port = match self.port {
            Some(p) => e.local_port == p || e.peer_port == p,
            None => true,
        };
        let want_process = match &self.process {
            Some(n) => e.processes.iter().any(|p| p.name.contains(n.as_str())),
            None => true,
        };
        want_proto && want_family && want_state && want_port && want_process
    }
}

/// Reads, interprets and filters the sockets of this network namespace.
pub fn list(filter: &Filter) -> Result<Vec<SocketEntry>, HostError> {
    let mut raw = Vec::new();
    if filter.tcp || !filter.udp {
        raw.extend(read_sockets(Proto::Tcp)?);
    }
    if filter.udp || !filter.tcp {
        raw.extend(read_sockets(Proto::Udp)?);
    }
    let procs = process_map();
    let mut entries = interpret(&raw, &procs, ephemeral_range(), &users());
    entries.retain(|e| filter.accepts(e));
    entries.sort_by(|a, b| {
        (
            a.proto.name(),
            a.state != "LISTEN" && a.state != "UNCONN",
            a.local_port,
            &a.local,
        )
            .cmp(&(
                b.proto.name(),
                b.state != "LISTEN" && b.state != "UNCONN",
                b.local_port,
                &b.local,
            ))
    });
    Ok(entries)
}

fn process_text(e: &SocketEntry) -> String {
    if e.processes.is_empty() {
        return e.process_note.unwrap_or("-").to_string();
    }
    e.processes
        .iter()
        .map(|p| format!("{}(pid={},fd={},user={})", p.name, p.pid, p.fd, p.user))
        .collect::<Vec<_>>()
        .join(",")
}

/// Renders entries as a table: ss's columns, then service, role, port class
/// and process.
pub fn render(entries: &[SocketEntry], show_netid: bool) -> String {
    let mut rows: Vec<Vec<String>> = vec![[
        "Netid",
        "State",
        "Recv-Q",
        "Send-Q",
        "Local Address:Port",
        "Peer Address:Port",
        "Service",
        "Role",
        "Port class",
        "Process",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    for e in entries {
        let class = if e.ephemeral {
            format!("{} (ephemeral)", e.port_class)
        } else {
            e.port_class.to_string()
        };
        rows.push(vec![
            e.proto.name().to_string(),
            e.state.to_string(),
            e.recv_q.to_string(),
            e.send_q.to_string(),
            e.local.clone(),
            e.peer.clone(),
            e.service.unwrap_or("-").to_string(),
            e.role.to_string(),
            class,
            process_text(e),
        ]);
    }
    let skip = usize::from(!show_netid);
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for r in &rows {
        let mut line = String::new();
        for c in skip..cols {
            let cell = &r[c];
            if c == cols - 1 {
                line.push_str(cell);
            } else if c == 2 || c == 3 {
                let _ = write!(line, "{cell:>w$}  ", w = widths[c]);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &[u8] = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21345 1 0000000000000000 100 0 0 10 0
   1: 950211AC:0016 8C0211AC:DD50 01 00000024:00000000 01:00000014 00000000     0        0 21999 4 0000000000000000 20 4 29 10 -1
   2: 0100007F:A1B2 0100007F:0050 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
";

    const TCP6: &[u8] = b"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21347 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0050 0000000000000000FFFF00000100007F:C000 01 00000000:00000000 00:00000000 00000000  1000        0 31000 1 0000000000000000 20 4 30 10 -1
   2: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn parses_proc_net_tcp() {
        let v = parse_proc_net(std::str::from_utf8(TCP).unwrap(), Proto::Tcp);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].local, IpAddr::from([0, 0, 0, 0]));
        assert_eq!(v[0].local_port, 22);
        assert_eq!(state_name(Proto::Tcp, v[0].state), "LISTEN");
        // The seed's SSH connection: 172.17.2.149:22 <- 172.17.2.140:56656.
        assert_eq!(v[1].local, IpAddr::from([172, 17, 2, 149]));
        assert_eq!(v[1].peer, IpAddr::from([172, 17, 2, 140]));
        assert_eq!(v[1].peer_port, 56656);
        assert_eq!(v[1].send_q, 0x24);
        assert_eq!(v[1].inode, 21999);
        assert_eq!(state_name(Proto::Tcp, v[2].state), "TIME-WAIT");
        assert_eq!(v[2].inode, 0);
    }

    #[test]
    fn parses_proc_net_tcp6_and_mapped() {
        let v = parse_proc_net(std::str::from_utf8(TCP6).unwrap(), Proto::Tcp);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].local, "::".parse::<IpAddr>().unwrap());
        assert_eq!(v[1].local, "::ffff:127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(mapped(v[1].local), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(v[1].uid, 1000);
        assert_eq!(v[2].local, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(v[2].recv_q, 5);
        assert_eq!(
            ss_endpoint(v[1].local, 80, None, None),
            "[::ffff:127.0.0.1]:80"
        );
        assert_eq!(ss_endpoint(v[0].peer, 0, None, None), "[::]:*");
        assert_eq!(ss_endpoint(v[0].local, 22, None, Some(false)), "*:22");
        assert_eq!(ss_endpoint(v[0].local, 22, None, Some(true)), "[::]:22");
        assert_eq!(
            ss_endpoint(v[2].local, 53, Some("lo"), Some(true)),
            "[::1]%lo:53"
        );
    }

    #[test]
    fn parses_diag_message() {
        let mut p = vec![libc::AF_INET as u8, 1, 0, 0];
        p.extend_from_slice(&22u16.to_be_bytes());
        p.extend_from_slice(&56656u16.to_be_bytes());
        p.extend_from_slice(&[172, 17, 2, 149]);
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(&[172, 17, 2, 140]);
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(&0u32.to_ne_bytes()); // if
        p.extend_from_slice(&[0; 8]); // cookie
        for v in [0u32, 7, 128, 0, 777] {
            p.extend_from_slice(&v.to_ne_bytes());
        }
        let s = parse_diag_msg(&p, Proto::Tcp).unwrap();
        assert_eq!(s.local_port, 22);
        assert_eq!(s.peer, IpAddr::from([172, 17, 2, 140]));
        assert_eq!((s.recv_q, s.send_q, s.inode), (7, 128, 777));
        assert!(parse_diag_msg(&p[..40], Proto::Tcp).is_none());
    }

    #[test]
    fn roles_classes_and_filters() {
        let raw = parse_proc_net(std::str::from_utf8(TCP).unwrap(), Proto::Tcp);
        let mut procs = ProcessMap::default();
        procs.by_inode.insert(
            21345,
            vec![ProcessRef {
                name: "sshd".into(),
                pid: 10,
                fd: 3,
                user: "root".into(),
            }],
        );
        let e = interpret(&raw, &procs, (32768, 60999), &HashMap::new());
        assert_eq!(e[0].role, "server");
        assert_eq!(e[0].port_class, "well-known");
        assert_eq!(e[1].role, "server");
        assert_eq!(e[2].role, "client");
        assert_eq!(e[2].local_port, 0xA1B2);
        assert_eq!(e[2].port_class, "registered");
        assert!(e[2].ephemeral);
        assert_eq!(e[2].service_port, 80);
        assert_eq!(e[2].process_note, Some("kernel"));
        let conn = Filter::default();
        assert!(!conn.accepts(&e[0]));
        assert!(conn.accepts(&e[1]));
        assert!(!conn.accepts(&e[2]));
        let listen = Filter {
            listening: true,
            ..Filter::default()
        };
        assert!(listen.accepts(&e[0]) && !listen.accepts(&e[1]));
        let by_proc = Filter {
            all: true,
            process: Some("ssh".into()),
            ..Filter::default()
        };
        assert!(by_proc.accepts(&e[0]) && !by_proc.accepts(&e[1]));
        let tw = Filter {
            state: normalize_state("time_wait"),
            ..Filter::default()
        };
        assert!(tw.accepts(&e[2]) && !tw.accepts(&e[1]));
        let text = render(&e, false);
        assert!(text.starts_with("State"), "{text}");
        assert!(text.contains("sshd(pid=10,fd=3,user=root)"), "{text}");
        assert!(text.contains("172.17.2.149:22"), "{text}");
    }

    #[test]
    fn small_parsers() {
        assert_eq!(parse_port_range("32768\t60999\n"), Some((32768, 60999)));
        assert_eq!(port_class(49152), "dynamic");
        assert_eq!(port_class(1023), "well-known");
        assert_eq!(normalize_state("established"), Some("ESTAB"));
        assert_eq!(normalize_state("LISTENING"), Some("LISTEN"));
        assert_eq!(normalize_state("bogus"), None);
        let u = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n",
        );
        assert_eq!(u.get(&105).map(String::as_str), Some("sshd"));
    }
}
