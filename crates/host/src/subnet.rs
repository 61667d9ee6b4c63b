//! Subnet arithmetic: network, broadcast and host range of an address with its
//! mask, the AND shown bit by bit, and whether several hosts share a network.
//!
//! ```text
//! 172.17.2.140/16
//!   address  10101100.00010001.00000010.10001100  172. 17.  2.140
//!   mask     11111111.11111111.00000000.00000000  255.255.  0.  0
//!   AND      10101100.00010001.00000000.00000000  172. 17.  0.  0  = network
//! ```

use crate::HostError;
use serde::Serialize;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address with its prefix length, as the user gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HostPrefix {
    /// The host's address.
    pub addr: IpAddr,
    /// Prefix length (number of one bits in the mask).
    pub prefix: u8,
}

/// Everything derived from one [`HostPrefix`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    /// The input as `addr/prefix`.
    pub input: String,
    /// The address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// The mask as an address (`255.255.0.0`, `ffff:ffff::`).
    pub mask: IpAddr,
    /// Address AND mask.
    pub network: IpAddr,
    /// IPv4 broadcast (all host bits set); none for IPv6 and for /31, /32.
    pub broadcast: Option<IpAddr>,
    /// First usable host address.
    pub first_host: IpAddr,
    /// Last usable host address.
    pub last_host: IpAddr,
    /// Number of usable host addresses, in decimal (IPv6 counts exceed u64).
    pub host_count: String,
}

/// Whether host `from` sees host `to` as on its own network (same network
/// under `from`'s mask).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairView {
    /// Index of the host whose mask is applied.
    pub from: usize,
    /// Index of the other host.
    pub to: usize,
    /// `to`'s address AND `from`'s mask equals `from`'s network.
    pub on_link: bool,
}

/// The answer to "are these hosts in the same network?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One entry per host, in input order.
    pub hosts: Vec<HostInfo>,
    /// Every ordered pair of hosts (only when there are two or more).
    pub pairs: Vec<PairView>,
    /// True when every host sees every other one as on its network.
    pub same_network: bool,
}

fn v4_mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

fn v6_mask(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    }
}

/// Parses an IPv4 mask given as dotted quad (`255.255.0.0`), `/16` or `16`,
/// and returns its prefix length. Non-contiguous masks are rejected.
pub fn parse_v4_mask(s: &str) -> Result<u8, HostError> {
    let t = s.trim();
    if let Some(p) = t
        .strip_prefix('/')
        .or(if t.contains('.') { None } else { Some(t) })
    {
        return parse_prefix(p, 32);
    }
    let mask: Ipv4Addr = t.parse().map_err(|_| {
        HostError::Input(format!(
            "invalid mask '{s}': write it as four numbers 0-255 (255.255.0.0) or as a prefix length (/16)"
        ))
    })?;
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    if bits != v4_mask(ones as u8) {
        return Err(HostError::Input(format!(
            "invalid mask '{s}': a mask must be ones followed by zeros, but {s} is {}",
            binary_v4(bits)
        )));
    }
    Ok(ones as u8)
}

fn parse_prefix(p: &str, max: u8) -> Result<u8, HostError> {
    let family = if max == 32 { "IPv4" } else { "IPv6" };
    match p.parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(HostError::Input(format!(
            "invalid prefix length /{p}: {family} prefixes go from /0 to /{max}"
        ))),
    }
}

fn parse_addr(a: &str, whole: &str) -> Result<IpAddr, HostError> {
    a.parse().map_err(|_| {
        let why = if a.contains(':') {
            "not a valid IPv6 address"
        } else if a.split('.').count() == 4 && a.split('.').all(|p| p.parse::<u32>().is_ok()) {
            "each of the four numbers must be 0 to 255"
        } else {
            "an IPv4 address is four numbers 0-255 separated by dots (172.17.2.140)"
        };
        HostError::Input(format!("invalid address '{a}' in '{whole}': {why}"))
    })
}

/// Parses `ADDR/MASK` (dotted mask or prefix length) or a bare `ADDR`, which
/// then takes `default_mask` (as given to `--mask`).
pub fn parse_host(s: &str, default_mask: Option<&str>) -> Result<HostPrefix, HostError> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    let addr = parse_addr(a.trim(), s)?;
    let m = match (m, default_mask) {
        (Some(m), _) => m.to_string(),
        (None, Some(d)) => d.trim_start_matches('/').to_string(),
        (None, None) => {
            return Err(HostError::Input(format!(
                "'{s}' has no mask: write {s}/16 or {s}/255.255.0.0, or give one mask for all with --mask"
            )))
        }
    };
    let prefix = match addr {
        IpAddr::V4(_) => parse_v4_mask(&m)?,
        IpAddr::V6(_) => parse_prefix(m.trim(), 128)?,
    };
    Ok(HostPrefix { addr, prefix })
}

/// Computes network, broadcast and host range for one host.
pub fn info(h: HostPrefix) -> HostInfo {
    let input = format!("{}/{}", h.addr, h.prefix);
    match h.addr {
        IpAddr::V4(a) => {
            let m = v4_mask(h.prefix);
            let a = u32::from(a);
            let net = a & m;
            let bcast = net | !m;
            let (first, last, count, broadcast) = match h.prefix {
                32 => (net, net, 1u64, None),
                31 => (net, bcast, 2, None),
                p => (
                    net + 1,
                    bcast - 1,
                    (1u64 << (32 - p)) - 2,
                    Some(IpAddr::V4(bcast.into())),
                ),
            };
            HostInfo {
                input,
                addr: h.addr,
                prefix: h.prefix,
                mask: IpAddr::V4(m.into()),
                network: IpAddr::V4(net.into()),
                broadcast,
                first_host: IpAddr::V4(first.into()),
                last_host: IpAddr::V4(last.into()),
                host_count: count.to_string(),
            }
        }
        IpAddr::V6(a) => {
            let m = v6_mask(h.prefix);
            let net = u128::from(a) & m;
            let last = net | !m;
            let count = if h.prefix == 0 {
                "340282366920938463463374607431768211456".to_string()
            } else {
                (1u128 << (128 - u32::from(h.prefix))).to_string()
            };
            HostInfo {
                input,
                addr: h.addr,
                prefix: h.prefix,
                mask: IpAddr::V6(m.into()),
                network: IpAddr::V6(net.into()),
                broadcast: None,
                first_host: IpAddr::V6(net.into()),
                last_host: IpAddr::V6(last.into()),
                host_count: count,
            }
        }
    }
}

fn masked(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & v4_mask(prefix))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & v6_mask(prefix))),
    }
}

/// Compares every host with every other one.
pub fn compare(hosts: &[HostPrefix]) -> Report {
    let infos: Vec<HostInfo> = hosts.iter().map(|h| info(*h)).collect();
    let mut pairs = Vec::new();
    for (i, a) in hosts.iter().enumerate() {
        for (j, b) in hosts.iter().enumerate() {
            if i == j {
                continue;
            }
            let on_link = a.addr.is_ipv4() == b.addr.is_ipv4()
                && masked(b.addr, a.prefix) == infos[i].network;
            pairs.push(PairView {
                from: i,
                to: j,
                on_link,
            });
        }
    }
    let same_network = pairs.iter().all(|p| p.on_link);
    Report {
        hosts: infos,
        pairs,
        same_network,
    }
}

/// `10101100.00010001.00000010.10001100`
pub fn binary_v4(bits: u32) -> String {
    bits.to_be_bytes()
        .iter()
        .map(|b| format!("{b:08b}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// `172. 17.  2.140`: dotted decimal with each group right-aligned on three
/// columns, so that it lines up with other such lines.
pub fn aligned_v4(bits: u32) -> String {
    bits.to_be_bytes()
        .iter()
        .map(|b| format!("{b:>3}"))
        .collect::<Vec<_>>()
        .join(".")
}

fn full_v6(a: u128) -> String {
    Ipv6Addr::from(a)
        .segments()
        .iter()
        .map(|s| format!("{s:04x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Renders one host's AND with its mask, bit by bit for IPv4 (hex groups for
/// IPv6), then its network, broadcast and host range.
pub fn render_host(h: &HostInfo) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}  (mask {})", h.input, h.mask);
    match (h.addr, h.mask, h.network) {
        (IpAddr::V4(a), IpAddr::V4(m), IpAddr::V4(n)) => {
            let (a, m, n) = (u32::from(a), u32::from(m), u32::from(n));
            let _ = writeln!(s, "  address  {}  {}", binary_v4(a), aligned_v4(a));
            let _ = writeln!(s, "  mask     {}  {}", binary_v4(m), aligned_v4(m));
            let _ = writeln!(
                s,
                "  AND      {}  {}  = network",
                binary_v4(n),
                aligned_v4(n)
            );
            let _ = writeln!(
                s,
                "  {} network bits, {} host bits",
                h.prefix,
                32 - u32::from(h.prefix)
            );
        }
        (IpAddr::V6(a), IpAddr::V6(m), IpAddr::V6(n)) => {
            let _ = writeln!(s, "  address  {}", full_v6(u128::from(a)));
            let _ = writeln!(s, "  mask     {}", full_v6(u128::from(m)));
            let _ = writeln!(s, "  AND      {}  = network", full_v6(u128::from(n)));
            let _ = writeln!(
                s,
                "  {} network bits, {} interface bits",
                h.prefix,
                128 - u32::from(h.prefix)
            );
        }
        _ => {}
    }
    let _ = write!(s, "  network    {}/{}", h.network, h.prefix);
    let _ = writeln!(s);
    match h.broadcast {
        Some(b) => {
            let _ = writeln!(s, "  broadcast  {b}");
        }
        None if h.addr.is_ipv4() => {
            let _ = writeln!(
                s,
                "  broadcast  none (/{} has no broadcast address)",
                h.prefix
            );
        }
        None => {}
    }
    let _ = writeln!(
        s,
        "  hosts      {} - {}  ({} addresses)",
        h.first_host, h.last_host, h.host_count
    );
    s
}

/// Renders the whole report: each host, then the verdict in plain words.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    for h in &report.hosts {
        s.push_str(&render_host(h));
        s.push('\n');
    }
    if report.hosts.len() < 2 {
        return s;
    }
    let first = &report.hosts[0];
    let same_masks = report.hosts.iter().all(|h| h.prefix == first.prefix);
    if report.same_network {
        let _ = writeln!(
            s,
            "Same network: yes. All {} hosts are in {}/{}, so they reach each other directly, without a router.",
            report.hosts.len(),
            first.network,
            first.prefix
        );
        return s;
    }
    let _ = writeln!(s, "Same network: no.");
    for p in &report.pairs {
        let (a, b) = (&report.hosts[p.from], &report.hosts[p.to]);
        if a.addr.is_ipv4() != b.addr.is_ipv4() {
            let _ = writeln!(
                s,
                "  {} and {} are not even the same IP version.",
                a.addr, b.addr
            );
            continue;
        }
        if !same_masks || !p.on_link {
            let verdict = if p.on_link {
                "on its network (direct delivery)"
            } else {
                "outside its network (it would send through its default gateway)"
            };
            let _ = writeln!(
                s,
                "  {} with mask /{} sees {} as {}: {} AND /{} = {}",
                a.addr,
                a.prefix,
                b.addr,
                verdict,
                b.addr,
                a.prefix,
                masked(b.addr, a.prefix)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> HostPrefix {
        parse_host(s, None).unwrap()
    }

    #[test]
    fn seed_hosts_share_172_17() {
        let a = parse_host("172.17.2.140/255.255.0.0", None).unwrap();
        let b = h("172.17.2.149/16");
        assert_eq!(a.prefix, 16);
        let r = compare(&[a, b]);
        assert!(r.same_network);
        assert_eq!(r.hosts[0].network, "172.17.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(
            r.hosts[1].broadcast,
            Some("172.17.255.255".parse().unwrap())
        );
        assert_eq!(r.hosts[0].host_count, "65534");
        let text = render(&r);
        assert!(text.contains("Same network: yes"), "{text}");
        assert!(text.contains("  AND      10101100.00010001.00000000.00000000  172. 17.  0.  0"));
        assert!(text.contains("  address  10101100.00010001.00000010.10001100  172. 17.  2.140"));
    }

    #[test]
    fn different_networks_are_explained() {
        let r = compare(&[h("192.168.1.10/24"), h("192.168.2.10/24")]);
        assert!(!r.same_network);
        let text = render(&r);
        assert!(text.contains("Same network: no."));
        assert!(
            text.contains("192.168.2.10 AND /24 = 192.168.2.0"),
            "{text}"
        );
    }

    #[test]
    fn asymmetric_masks() {
        let r = compare(&[h("10.0.1.5/16"), h("10.0.2.5/24")]);
        assert!(!r.same_network);
        assert!(r.pairs.iter().any(|p| p.from == 0 && p.on_link));
        assert!(r.pairs.iter().any(|p| p.from == 1 && !p.on_link));
    }

    #[test]
    fn bare_address_takes_common_mask() {
        assert_eq!(
            parse_host("10.1.2.3", Some("255.255.255.0"))
                .unwrap()
                .prefix,
            24
        );
        assert_eq!(parse_host("10.1.2.3", Some("/8")).unwrap().prefix, 8);
        assert_eq!(parse_host("10.1.2.3", Some("20")).unwrap().prefix, 20);
        assert!(parse_host("10.1.2.3", None).is_err());
    }

    #[test]
    fn bad_input_is_rejected_with_a_reason() {
        let e = parse_host("172.17.2.300/16", None).unwrap_err().to_string();
        assert!(e.contains("0 to 255"), "{e}");
        let e = parse_host("10.0.0.1/255.0.255.0", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ones followed by zeros"), "{e}");
        let e = parse_host("10.0.0.1/33", None).unwrap_err().to_string();
        assert!(e.contains("/0 to /32"), "{e}");
        assert!(parse_host("::1/129", None).is_err());
        assert!(parse_host("banana/8", None).is_err());
    }

    #[test]
    fn edge_prefixes() {
        let i = info(h("10.0.0.1/32"));
        assert_eq!(i.host_count, "1");
        assert_eq!(i.broadcast, None);
        let i = info(h("10.0.0.1/31"));
        assert_eq!(i.host_count, "2");
        assert_eq!(i.first_host, "10.0.0.0".parse::<IpAddr>().unwrap());
        let i = info(h("10.0.0.1/0"));
        assert_eq!(i.network, "0.0.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(i.host_count, "4294967294");
    }

    #[test]
    fn ipv6_prefixes() {
        let r = compare(&[h("2001:db8:1::10/64"), h("2001:db8:1::20/64")]);
        assert!(r.same_network);
        assert_eq!(
            r.hosts[0].network,
            "2001:db8:1::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(r.hosts[0].host_count, "18446744073709551616");
        let text = render_host(&r.hosts[0]);
        assert!(
            text.contains("ffff:ffff:ffff:ffff:0000:0000:0000:0000"),
            "{text}"
        );
        let r = compare(&[h("2001:db8:1::10/64"), h("10.0.0.1/8")]);
        assert!(!r.same_network);
        assert_eq!(
            info(h("::/0")).host_count,
            "340282366920938463463374607431768211456"
        );
    }
}
