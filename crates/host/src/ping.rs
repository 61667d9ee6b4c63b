//! ICMP echo ("ping") with the output of iputils' `ping`, line for line.
//!
//! The socket is an unprivileged ICMP datagram socket (`SOCK_DGRAM` +
//! `IPPROTO_ICMP`) where `net.ipv4.ping_group_range` allows it, a raw socket
//! otherwise (root, or `CAP_NET_RAW`).

use crate::HostError;
use serde::Serialize;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Options, named after iputils' flags.
#[derive(Debug, Clone)]
pub struct PingOptions {
    /// `-c`: stop after this many echo requests (None: until interrupted).
    pub count: Option<u32>,
    /// `-i`: time between requests.
    pub interval: Duration,
    /// `-W`: how long to wait for replies after the last request.
    pub timeout: Duration,
    /// `-s`: payload bytes (56 gives 64-byte ICMP messages).
    pub size: usize,
    /// `-t`: IPv4 TTL or IPv6 hop limit of the requests.
    pub ttl: Option<u32>,
    /// `-4` / `-6`: address family to resolve to (None: the first address).
    pub family: Option<u8>,
    /// `-n`: never print names, only addresses.
    pub numeric: bool,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions {
            count: None,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            size: 56,
            ttl: None,
            family: None,
            numeric: false,
        }
    }
}

/// Statistics at the end of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PingStats {
    /// Echo requests sent.
    pub transmitted: u32,
    /// Distinct echo replies received.
    pub received: u32,
    /// Duplicate replies.
    pub duplicates: u32,
    /// ICMP errors (unreachable, time exceeded) received.
    pub errors: u32,
    /// Round-trip times of the replies, in microseconds.
    pub rtts_us: Vec<u64>,
    /// Milliseconds from the first request to the end.
    pub elapsed_ms: u64,
}

impl PingStats {
    /// iputils' exit status: 0 when some reply came, 1 when none did.
    pub fn exit_code(&self) -> u8 {
        if self.received > 0 {
            0
        } else {
            1
        }
    }
}

/// Formats like C's `%g` (six significant digits, no trailing zeros), as
/// iputils prints the loss percentage.
pub fn format_g(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = x.abs().log10().floor() as i32 + 1;
    let decimals = (6 - digits).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Formats a round-trip time (microseconds) as iputils does in reply lines:
/// three decimals below 1 ms, two below 10, one below 100, none above.
pub fn format_rtt(us: u64) -> String {
    if us >= 100_000 - 50 {
        format!("{}", (us + 500) / 1000)
    } else if us >= 10_000 - 5 {
        format!("{}.{:01}", (us + 50) / 1000, ((us + 50) % 1000) / 100)
    } else if us >= 1000 {
        format!("{}.{:02}", (us + 5) / 1000, ((us + 5) % 1000) / 10)
    } else {
        format!("{}.{:03}", us / 1000, us % 1000)
    }
}

/// The two summary lines (three with the leading blank line).
pub fn format_summary(host: &str, s: &PingStats) -> String {
    let mut out = format!("\n--- {host} ping statistics ---\n");
    out.push_str(&format!(
        "{} packets transmitted, {} received",
        s.transmitted, s.received
    ));
    if s.duplicates > 0 {
        out.push_str(&format!(", +{} duplicates", s.duplicates));
    }
    if s.errors > 0 {
        out.push_str(&format!(", +{} errors", s.errors));
    }
    if s.transmitted > 0 {
        let loss =
            (f64::from(s.transmitted) - f64::from(s.received)) * 100.0 / f64::from(s.transmitted);
        out.push_str(&format!(
            ", {}% packet loss, time {}ms",
            format_g(f64::from(loss as f32)),
            s.elapsed_ms
        ));
    }
    out.push('\n');
    if !s.rtts_us.is_empty() {
        let n = s.rtts_us.len() as u64;
        let min = *s.rtts_us.iter().min().unwrap_or(&0);
        let max = *s.rtts_us.iter().max().unwrap_or(&0);
        let sum: u64 = s.rtts_us.iter().sum();
        let sum2: u128 = s
            .rtts_us
            .iter()
            .map(|&t| u128::from(t) * u128::from(t))
            .sum();
        let avg = sum / n;
        let var = (sum2 / u128::from(n)).saturating_sub(u128::from(avg) * u128::from(avg));
        let mdev = (var as f64).sqrt() as u64;
        let f = |us: u64| format!("{}.{:03}", us / 1000, us % 1000);
        out.push_str(&format!(
            "rtt min/avg/max/mdev = {}/{}/{}/{} ms\n",
            f(min),
            f(avg),
            f(max),
            f(mdev)
        ));
    }
    out
}

/// The text of an ICMP error, as iputils words it.
pub fn icmp_error_text(v6: bool, kind: u8, code: u8) -> String {
    if !v6 {
        match (kind, code) {
            (3, c) => match c {
                0 => "Destination Net Unreachable".into(),
                1 => "Destination Host Unreachable".into(),
                2 => "Destination Protocol Unreachable".into(),
                3 => "Destination Port Unreachable".into(),
                4 => "Frag needed and DF set".into(),
                5 => "Source Route Failed".into(),
                6 => "Destination Net Unknown".into(),
                7 => "Destination Host Unknown".into(),
                8 => "Source Host Isolated".into(),
                9 => "Destination Net Prohibited".into(),
                10 => "Destination Host Prohibited".into(),
                11 => "Destination Net Unreachable for Type of Service".into(),
                12 => "Destination Host Unreachable for Type of Service".into(),
                13 => "Packet filtered".into(),
                14 => "Precedence Violation".into(),
                15 => "Precedence Cutoff".into(),
                c => format!("Dest Unreachable, Bad Code: {c}"),
            },
            (11, 0) => "Time to live exceeded".into(),
            (11, 1) => "Frag reassembly time exceeded".into(),
            (5, _) => "Redirect".into(),
            (12, _) => "Parameter problem".into(),
            (k, c) => format!("Bad ICMP type: {k}, code {c}"),
        }
    } else {
        match (kind, code) {
            (1, c) => format!(
                "Destination unreachable: {}",
                match c {
                    0 => "No route".to_string(),
                    1 => "Administratively prohibited".into(),
                    2 => "Beyond scope of source address".into(),
                    3 => "Address unreachable".into(),
                    4 => "Port unreachable".into(),
                    c => format!("Unknown code {c}"),
                }
            ),
            (2, _) => "Packet too big".into(),
            (3, 0) => "Time exceeded: Hop limit".into(),
            (3, 1) => "Time exceeded: Defragmentation failure".into(),
            (4, _) => "Parameter problem".into(),
            (k, c) => format!("Unknown ICMPv6 type {k}, code {c}"),
        }
    }
}

/// Internet checksum (RFC 1071).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for c in data.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Builds an echo request: type 8 (ICMPv4) or 128 (ICMPv6), identifier,
/// sequence, then `size` payload bytes (0x10, 0x11, ... like iputils' filler).
pub fn echo_request(v6: bool, id: u16, seq: u16, size: usize) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..size).map(|i| (i + 0x10) as u8));
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// What one received ICMP message means for us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// An echo reply: sequence number, ICMP length, TTL when known.
    Reply {
        /// Sequence number.
        seq: u16,
        /// ICMP message length (header + payload).
        len: usize,
        /// TTL or hop limit of the reply, when known.
        ttl: Option<u8>,
    },
    /// An ICMP error about one of our requests.
    Error {
        /// Sequence number of the request it is about.
        seq: u16,
        /// ICMP type.
        kind: u8,
        /// ICMP code.
        code: u8,
    },
    /// Not ours (someone else's ping, our own request on loopback, ND...).
    Other,
}

/// Interprets an ICMP message (starting at the ICMP header) received on a
/// raw socket; `id` is our identifier.
pub fn classify(v6: bool, icmp: &[u8], id: u16, ttl: Option<u8>) -> Received {
    if icmp.len() < 8 {
        return Received::Other;
    }
    let kind = icmp[0];
    let seq_at = |b: &[u8]| -> Option<(u16, u16)> {
        Some((
            u16::from_be_bytes([*b.get(4)?, *b.get(5)?]),
            u16::from_be_bytes([*b.get(6)?, *b.get(7)?]),
        ))
    };
    let reply = if v6 { 129 } else { 0 };
    if kind == reply {
        return match seq_at(icmp) {
            Some((i, seq)) if i == id => Received::Reply {
                seq,
                len: icmp.len(),
                ttl,
            },
            _ => Received::Other,
        };
    }
    let is_error = if v6 {
        matches!(kind, 1..=4)
    } else {
        matches!(kind, 3 | 5 | 11 | 12)
    };
    if !is_error {
        return Received::Other;
    }
    // The error quotes our original packet: IP header, then our ICMP header.
    let inner = &icmp[8..];
    let orig = if v6 {
        if inner.len() < 40 || inner[6] != 58 {
            return Received::Other;
        }
        &inner[40..]
    } else {
        let Some(&vihl) = inner.first() else {
            return Received::Other;
        };
        let ihl = usize::from(vihl & 0x0f) * 4;
        if inner.len() < ihl + 8 || inner.get(9) != Some(&1) {
            return Received::Other;
        }
        &inner[ihl..]
    };
    let request = if v6 { 128 } else { 8 };
    match (orig.first(), seq_at(orig)) {
        (Some(&t), Some((i, seq))) if t == request && i == id => Received::Error {
            seq,
            kind,
            code: icmp[1],
        },
        _ => Received::Other,
    }
}

/// Resolves `host` to one address of the wanted family.
pub fn resolve(host: &str, family: Option<u8>) -> Result<IpAddr, HostError> {
    if let Ok(a) = host.parse::<IpAddr>() {
        return match (family, a) {
            (Some(4), IpAddr::V6(_)) | (Some(6), IpAddr::V4(_)) => Err(HostError::Resolve {
                host: host.into(),
                reason: "Address family for hostname not supported".into(),
            }),
            _ => Ok(a),
        };
    }
    let addrs = (host, 0).to_socket_addrs().map_err(|e| {
        let msg = e.to_string();
        let reason = msg
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&msg)
            .to_string();
        HostError::Resolve {
            host: host.into(),
            reason,
        }
    })?;
    let found: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
    found
        .iter()
        .copied()
        .find(|a| match family {
            Some(4) => a.is_ipv4(),
            Some(6) => a.is_ipv6(),
            _ => true,
        })
        .ok_or_else(|| HostError::Resolve {
            host: host.into(),
            reason: "Address family for hostname not supported".into(),
        })
}

struct IcmpSocket {
    sock: Socket,
    raw: bool,
    v6: bool,
}

fn open_socket(v6: bool, opts: &PingOptions) -> Result<IcmpSocket, HostError> {
    let (domain, proto) = if v6 {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    let os = |what: &str, e: io::Error| HostError::Os {
        what: what.into(),
        source: e,
    };
    let (sock, raw) = match Socket::new(domain, Type::DGRAM, Some(proto)) {
        Ok(s) => (s, false),
        Err(dgram_err) => match Socket::new(domain, Type::RAW, Some(proto)) {
            Ok(s) => (s, true),
            Err(raw_err) if raw_err.kind() == io::ErrorKind::PermissionDenied => {
                return Err(os("open an ICMP socket (datagram nor raw)", dgram_err))
            }
            Err(raw_err) => return Err(os("open a raw ICMP socket", raw_err)),
        },
    };
    let on: libc::c_int = 1;
    if v6 {
        setsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, on)
            .map_err(|e| os("ask for hop limits", e))?;
        if let Some(t) = opts.ttl {
            sock.set_unicast_hops_v6(t)
                .map_err(|e| os("set the hop limit", e))?;
        }
        if !raw {
            setsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, on)
                .map_err(|e| os("ask for ICMPv6 errors", e))?;
        }
    } else {
        if let Some(t) = opts.ttl {
            sock.set_ttl_v4(t).map_err(|e| os("set the TTL", e))?;
        }
        if !raw {
            setsockopt_int(&sock, libc::IPPROTO_IP, libc::IP_RECVTTL, on)
                .map_err(|e| os("ask for TTLs", e))?;
            setsockopt_int(&sock, libc::IPPROTO_IP, libc::IP_RECVERR, on)
                .map_err(|e| os("ask for ICMP errors", e))?;
        }
    }
    Ok(IcmpSocket { sock, raw, v6 })
}

#[allow(unsafe_code)]
fn setsockopt_int(sock: &Socket, level: i32, name: i32, value: libc::c_int) -> io::Result<()> {
    // SAFETY: the fd is open for the lifetime of `sock`; the option value is a
    // c_int that lives across the call, and its exact size is passed.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One `recvmsg` result: data length, source address, control messages.
struct Msg {
    len: usize,
    from: Option<IpAddr>,
    cmsgs: Vec<(i32, i32, Vec<u8>)>,
}

fn addr_from_storage(b: &[u8]) -> Option<IpAddr> {
    let family = i32::from(u16::from_ne_bytes([*b.first()?, *b.get(1)?]));
    match family {
        libc::AF_INET => {
            let o: [u8; 4] = b.get(4..8)?.try_into().ok()?;
            Some(IpAddr::from(o))
        }
        libc::AF_INET6 => {
            let o: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            Some(IpAddr::from(o))
        }
        _ => None,
    }
}

#[allow(unsafe_code)]
fn recv_msg(sock: &Socket, buf: &mut [u8], flags: i32) -> io::Result<Msg> {
    // 8-byte aligned buffers for the address and the control messages.
    let mut name = [0u64; 16];
    let mut control = [0u64; 64];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is a plain C struct for which all-zero is a valid value.
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_name = name.as_mut_ptr().cast();
    hdr.msg_namelen = std::mem::size_of_val(&name) as libc::socklen_t;
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = control.as_mut_ptr().cast();
    hdr.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: every pointer in `hdr` points into a live local buffer whose
    // length is given next to it; the kernel writes within those lengths.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut hdr, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut cmsgs = Vec::new();
    // SAFETY: `hdr` was filled by a successful recvmsg, so CMSG_FIRSTHDR and
    // CMSG_NXTHDR walk headers inside `control` (bounded by msg_controllen),
    // and each header's data spans cmsg_len - CMSG_LEN(0) bytes inside it.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&hdr);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            let len = ((*c).cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize);
            let bytes = std::slice::from_raw_parts(data, len).to_vec();
            cmsgs.push(((*c).cmsg_level, (*c).cmsg_type, bytes));
            c = libc::CMSG_NXTHDR(&hdr, c);
        }
    }
    let name_bytes: Vec<u8> = name.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let namelen = (hdr.msg_namelen as usize).min(name_bytes.len());
    Ok(Msg {
        len: n as usize,
        from: addr_from_storage(&name_bytes[..namelen]),
        cmsgs,
    })
}

fn cmsg_int(m: &Msg, level: i32, kind: i32) -> Option<u8> {
    m.cmsgs
        .iter()
        .find(|(l, t, _)| *l == level && *t == kind)
        .and_then(|(_, _, d)| d.get(..4))
        .map(|d| i32::from_ne_bytes([d[0], d[1], d[2], d[3]]) as u8)
}

/// Reads one pending error from the error queue of a datagram ICMP socket:
/// `struct sock_extended_err` then the offender's address.
fn read_error_queue(s: &IcmpSocket) -> Option<(IpAddr, Received)> {
    let mut buf = [0u8; 2048];
    let m = recv_msg(&s.sock, &mut buf, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT).ok()?;
    let (level, kind) = if s.v6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
    } else {
        (libc::IPPROTO_IP, libc::IP_RECVERR)
    };
    let (_, _, d) = m.cmsgs.iter().find(|(l, t, _)| *l == level && *t == kind)?;
    // sock_extended_err: u32 errno, u8 origin, u8 type, u8 code, u8 pad, u32 info, u32 data.
    let origin = *d.get(4)?;
    let (icmp_type, icmp_code) = (*d.get(5)?, *d.get(6)?);
    let offender = addr_from_storage(d.get(16..)?)?;
    // SO_EE_ORIGIN_ICMP = 2, SO_EE_ORIGIN_ICMP6 = 3; the data is our request.
    if origin != 2 && origin != 3 {
        return None;
    }
    let data = &buf[..m.len.min(buf.len())];
    if data.len() < 8 {
        return None;
    }
    let seq = u16::from_be_bytes([data[6], data[7]]);
    Some((
        offender,
        Received::Error {
            seq,
            kind: icmp_type,
            code: icmp_code,
        },
    ))
}

fn receive(s: &IcmpSocket, id: u16) -> io::Result<(IpAddr, Received)> {
    let mut buf = [0u8; 65536];
    match recv_msg(&s.sock, &mut buf, 0) {
        Ok(m) => {
            let from = m.from.unwrap_or(IpAddr::from([0, 0, 0, 0]));
            let data = &buf[..m.len.min(buf.len())];
            let r = if s.v6 {
                let ttl = cmsg_int(&m, libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT);
                if s.raw {
                    classify(true, data, id, ttl)
                } else {
                    classify_dgram(data, 129, ttl)
                }
            } else if s.raw {
                let ihl = usize::from(data.first().copied().unwrap_or(0) & 0x0f) * 4;
                let ttl = data.get(8).copied();
                classify(false, data.get(ihl..).unwrap_or(&[]), id, ttl)
            } else {
                let ttl = cmsg_int(&m, libc::IPPROTO_IP, libc::IP_TTL);
                classify_dgram(data, 0, ttl)
            };
            Ok((from, r))
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ) =>
        {
            Err(e)
        }
        Err(e) => match read_error_queue(s) {
            Some(x) => Ok(x),
            None => Err(e),
        },
    }
}

/// Datagram sockets only deliver our own replies (the kernel matches the
/// identifier), so only the type and sequence matter.
fn classify_dgram(data: &[u8], reply: u8, ttl: Option<u8>) -> Received {
    if data.len() >= 8 && data[0] == reply {
        Received::Reply {
            seq: u16::from_be_bytes([data[6], data[7]]),
            len: data.len(),
            ttl,
        }
    } else {
        Received::Other
    }
}

/// Pings `host`, writing iputils-style lines to `out`, until `count`
/// requests are answered or timed out, or `stop` becomes true (Ctrl-C).
pub fn ping(
    host: &str,
    opts: &PingOptions,
    out: &mut dyn Write,
    stop: &AtomicBool,
) -> Result<PingStats, HostError> {
    if opts.size > 65507 {
        return Err(HostError::Input(format!(
            "invalid -s value {}: at most 65507 bytes fit in an IPv4 packet",
            opts.size
        )));
    }
    let addr = resolve(host, opts.family)?;
    let v6 = addr.is_ipv6();
    let s = open_socket(v6, opts)?;
    s.sock
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| HostError::Os {
            what: "set a receive timeout".into(),
            source: e,
        })?;
    let id = (std::process::id() & 0xffff) as u16;
    let named = !opts.numeric && host.parse::<IpAddr>().is_err();
    let shown = |a: IpAddr| -> String {
        if named && a == addr {
            format!("{host} ({a})")
        } else {
            a.to_string()
        }
    };
    let io_err = |e: io::Error| HostError::Os {
        what: "write the output".into(),
        source: e,
    };
    if v6 {
        writeln!(out, "PING {host}({}) {} data bytes", shown(addr), opts.size).map_err(io_err)?;
    } else {
        writeln!(
            out,
            "PING {host} ({addr}) {}({}) bytes of data.",
            opts.size,
            opts.size + 28
        )
        .map_err(io_err)?;
    }
    out.flush().map_err(io_err)?;

    let mut stats = PingStats::default();
    let mut sent_at: HashMap<u16, Instant> = HashMap::new();
    let mut answered: HashMap<u16, bool> = HashMap::new();
    let start = Instant::now();
    let mut next_send = start;
    let mut last_send = start;
    let mut seq: u16 = 0;
    let dest = SockAddr::from(SocketAddr::new(addr, 0));
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let now = Instant::now();
        let more = !matches!(opts.count, Some(c) if stats.transmitted >= c);
        if more && now >= next_send {
            seq = seq.wrapping_add(1);
            let pkt = echo_request(v6, id, seq, opts.size);
            match s.sock.send_to(&pkt, &dest) {
                Ok(_) => {}
                Err(e) => {
                    // No route or no permission from the start: nothing can
                    // work, stop like iputils (exit 2). Later failures are
                    // reported and counted as lost.
                    let fatal = e.kind() == io::ErrorKind::PermissionDenied
                        || e.raw_os_error() == Some(libc::ENETUNREACH);
                    if stats.transmitted == 0 && fatal {
                        return Err(HostError::Os {
                            what: format!("send an echo request to {addr}"),
                            source: e,
                        });
                    }
                    writeln!(out, "ping: sendmsg: {e}").map_err(io_err)?;
                }
            }
            sent_at.insert(seq, Instant::now());
            stats.transmitted += 1;
            last_send = now;
            next_send += opts.interval;
            continue;
        }
        let more = !matches!(opts.count, Some(c) if stats.transmitted >= c);
        if !more {
            let all_done = stats.received + stats.errors >= stats.transmitted;
            if all_done || now >= last_send + opts.timeout {
                break;
            }
        }
        // Wake up in time for the next request, and at least every 50 ms to
        // notice Ctrl-C.
        let mut wait = Duration::from_millis(50);
        if more {
            wait = wait.min(next_send.saturating_duration_since(now));
        }
        let _ = s
            .sock
            .set_read_timeout(Some(wait.max(Duration::from_micros(100))));
        if let Ok((from, r)) = receive(&s, id) {
            match r {
                Received::Reply { seq, len, ttl } => {
                    let Some(t0) = sent_at.get(&seq) else {
                        continue;
                    };
                    let us = t0.elapsed().as_micros() as u64;
                    let dup = answered.insert(seq, true).is_some();
                    let ttl_text = ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
                    writeln!(
                        out,
                        "{len} bytes from {}: icmp_seq={seq}{ttl_text} time={} ms{}",
                        shown(from),
                        format_rtt(us),
                        if dup { " (DUP!)" } else { "" }
                    )
                    .map_err(io_err)?;
                    if dup {
                        stats.duplicates += 1;
                    } else {
                        stats.received += 1;
                        stats.rtts_us.push(us);
                    }
                }
                Received::Error { seq, kind, code } => {
                    if !sent_at.contains_key(&seq) {
                        continue;
                    }
                    stats.errors += 1;
                    writeln!(
                        out,
                        "From {} icmp_seq={seq} {}",
                        shown(from),
                        icmp_error_text(v6, kind, code)
                    )
                    .map_err(io_err)?;
                }
                Received::Other => {}
            }
        }
        out.flush().map_err(io_err)?;
    }
    // iputils measures from the first request to the end of the run.
    stats.elapsed_ms = ((start.elapsed().as_micros() + 500) / 1000) as u64;
    write!(out, "{}", format_summary(host, &stats)).map_err(io_err)?;
    out.flush().map_err(io_err)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_summary_is_reproduced() {
        // The seed: 0.237, 0.215, 0.244 ms, time 2041ms.
        let s = PingStats {
            transmitted: 3,
            received: 3,
            rtts_us: vec![237, 215, 244],
            elapsed_ms: 2041,
            ..PingStats::default()
        };
        assert_eq!(
            format_summary("172.17.2.140", &s),
            "\n--- 172.17.2.140 ping statistics ---\n\
             3 packets transmitted, 3 received, 0% packet loss, time 2041ms\n\
             rtt min/avg/max/mdev = 0.215/0.232/0.244/0.012 ms\n"
        );
    }

    #[test]
    fn loss_and_errors() {
        let s = PingStats {
            transmitted: 3,
            received: 0,
            errors: 3,
            elapsed_ms: 2030,
            ..PingStats::default()
        };
        assert_eq!(
            format_summary("h", &s).lines().nth(2).unwrap(),
            "3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2030ms"
        );
        assert_eq!(s.exit_code(), 1);
        let s = PingStats {
            transmitted: 3,
            received: 2,
            rtts_us: vec![100, 200],
            ..PingStats::default()
        };
        assert!(format_summary("h", &s).contains(", 33.3333% packet loss"));
        assert_eq!(s.exit_code(), 0);
    }

    #[test]
    fn number_formats() {
        assert_eq!(format_g(0.0), "0");
        assert_eq!(format_g(100.0), "100");
        assert_eq!(format_g(66.66666), "66.6667");
        assert_eq!(format_rtt(45), "0.045");
        assert_eq!(format_rtt(1234), "1.23");
        assert_eq!(format_rtt(12345), "12.3");
        assert_eq!(format_rtt(123456), "123");
    }

    #[test]
    fn echo_request_checksum_verifies() {
        let p = echo_request(false, 0x1234, 1, 56);
        assert_eq!(p.len(), 64);
        assert_eq!(checksum(&p), 0);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 1]);
    }

    #[test]
    fn classifies_replies_and_errors() {
        let mut reply = echo_request(false, 7, 3, 56);
        reply[0] = 0;
        assert_eq!(
            classify(false, &reply, 7, Some(64)),
            Received::Reply {
                seq: 3,
                len: 64,
                ttl: Some(64)
            }
        );
        assert_eq!(classify(false, &reply, 8, None), Received::Other);
        // Host unreachable quoting our request: ICMP hdr, IPv4 hdr (proto 1), request.
        let mut err = vec![3, 1, 0, 0, 0, 0, 0, 0];
        let mut ip = vec![0x45, 0, 0, 84, 0, 0, 0x40, 0, 64, 1, 0, 0];
        ip.extend_from_slice(&[10, 199, 1, 2, 10, 199, 2, 2]);
        err.extend(ip);
        err.extend(&echo_request(false, 7, 5, 56)[..8]);
        assert_eq!(
            classify(false, &err, 7, None),
            Received::Error {
                seq: 5,
                kind: 3,
                code: 1
            }
        );
        assert_eq!(icmp_error_text(false, 3, 1), "Destination Host Unreachable");
        assert_eq!(icmp_error_text(false, 11, 0), "Time to live exceeded");
        assert_eq!(
            icmp_error_text(true, 1, 3),
            "Destination unreachable: Address unreachable"
        );
    }
}
