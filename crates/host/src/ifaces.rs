//! Interfaces, addresses, default gateways and DNS servers: `ip a` and
//! `ipconfig /all` in one view.
//!
//! Links, addresses and routes come from rtnetlink (the same source as `ip`),
//! DNS servers from `/etc/resolv.conf`.

use crate::netlink::{attributes, dump, ne_u16, ne_u32};
use crate::{services, subnet, HostError};
use serde::Serialize;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;

const IFLA_ADDRESS: u16 = 1;
const IFLA_BROADCAST: u16 = 2;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_QDISC: u16 = 6;
const IFLA_OPERSTATE: u16 = 16;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_BROADCAST: u16 = 4;
const IFA_CACHEINFO: u16 = 6;
const IFA_FLAGS: u16 = 8;

const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;
const RT_TABLE_MAIN: u32 = 254;
const RTN_UNICAST: u8 = 1;

const IFA_F_PERMANENT: u32 = 0x80;
const IFA_F_TENTATIVE: u32 = 0x40;
const IFA_F_DEPRECATED: u32 = 0x20;
const IFA_F_SECONDARY: u32 = 0x01;

/// "Forever" as netlink writes a lifetime.
pub const INFINITY_LIFE_TIME: u32 = u32::MAX;

/// Link flags in the order `ip` prints them, with their `IFF_*` bits.
const LINK_FLAGS: [(&str, u32); 18] = [
    ("LOOPBACK", 0x8),
    ("BROADCAST", 0x2),
    ("POINTOPOINT", 0x10),
    ("MULTICAST", 0x1000),
    ("NOARP", 0x80),
    ("ALLMULTI", 0x200),
    ("PROMISC", 0x100),
    ("MASTER", 0x400),
    ("SLAVE", 0x800),
    ("DEBUG", 0x4),
    ("DYNAMIC", 0x8000),
    ("AUTOMEDIA", 0x4000),
    ("PORTSEL", 0x2000),
    ("NOTRAILERS", 0x20),
    ("UP", 0x1),
    ("LOWER_UP", 0x10000),
    ("DORMANT", 0x20000),
    ("ECHO", 0x40000),
];
const IFF_UP: u32 = 0x1;
const IFF_RUNNING: u32 = 0x40;

/// How long an address stays valid, as the kernel knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifetime {
    /// Never expires (static address, or `forever` in `ip a`).
    Forever,
    /// Seconds left.
    Seconds(u32),
    /// The kernel gave no lifetime for this address.
    Unknown,
}

impl Lifetime {
    fn from_raw(v: u32) -> Self {
        if v == INFINITY_LIFE_TIME {
            Lifetime::Forever
        } else {
            Lifetime::Seconds(v)
        }
    }

    /// The raw value as `ip -j` prints it (4294967295 for forever), if known.
    pub fn raw(self) -> Option<u32> {
        match self {
            Lifetime::Forever => Some(INFINITY_LIFE_TIME),
            Lifetime::Seconds(s) => Some(s),
            Lifetime::Unknown => None,
        }
    }
}

impl std::fmt::Display for Lifetime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lifetime::Forever => f.write_str("forever"),
            Lifetime::Seconds(s) => write!(f, "{s}sec"),
            Lifetime::Unknown => f.write_str("unknown"),
        }
    }
}

/// One IPv4 or IPv6 address of an interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    /// The address itself (`IFA_LOCAL` for IPv4, `IFA_ADDRESS` for IPv6).
    pub address: IpAddr,
    /// The peer of a point-to-point link, when it differs from `address`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<IpAddr>,
    /// Prefix length.
    pub prefix_len: u8,
    /// The mask in dotted (IPv4) or colon (IPv6) form.
    pub mask: IpAddr,
    /// Address AND mask.
    pub network: IpAddr,
    /// The network's broadcast address (IPv4 below /31 only), computed from the mask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<IpAddr>,
    /// The broadcast address configured on the interface (`brd` in `ip a`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configured_broadcast: Option<IpAddr>,
    /// `host`, `link`, `site`, `global` or a number.
    pub scope: String,
    /// The IPv4 label (`eth0:1`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// True when the address was not configured as permanent: it came from
    /// DHCP, SLAAC or another daemon and has a lease (`dynamic` in `ip a`).
    pub dynamic: bool,
    /// Further flags: `secondary`, `tentative`, `deprecated`.
    pub flags: Vec<&'static str>,
    /// Time left before the address is invalid (`valid_lft`): the DHCP lease.
    pub valid_lft: Lifetime,
    /// Time left before the address is no longer preferred (`preferred_lft`).
    pub preferred_lft: Lifetime,
}

/// A default route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gateway {
    /// The router's address; none for a device-only route (point-to-point).
    pub gateway: Option<IpAddr>,
    /// Outgoing interface name (or index when the name is unknown).
    pub interface: String,
    /// Route metric, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
}

/// One network interface with its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// Kernel name (`lo`, `eth0`).
    pub name: String,
    /// Kernel index.
    pub index: u32,
    /// Link flags as `ip` prints them (`UP`, `LOWER_UP`, `NO-CARRIER`, ...).
    pub flags: Vec<&'static str>,
    /// Operational state (`UP`, `DOWN`, `UNKNOWN`, ...).
    pub state: &'static str,
    /// Maximum transmission unit, bytes.
    pub mtu: u32,
    /// Queueing discipline, if reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qdisc: Option<String>,
    /// Link type (`ether`, `loopback`, `none`, ...).
    pub link_type: String,
    /// Hardware address (`aa:bb:cc:dd:ee:ff`), if the link has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Link-layer broadcast address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_broadcast: Option<String>,
    /// Manufacturer of the MAC's OUI (short name), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Manufacturer's full name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_long: Option<String>,
    /// IPv4 addresses.
    pub ipv4: Vec<Address>,
    /// IPv6 addresses.
    pub ipv6: Vec<Address>,
    /// Default IPv4 routes that leave through this interface.
    pub gateways_v4: Vec<Gateway>,
    /// Default IPv6 routes that leave through this interface.
    pub gateways_v6: Vec<Gateway>,
}

/// DNS resolver configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dns {
    /// `nameserver` lines of `/etc/resolv.conf`, in order.
    pub servers: Vec<String>,
    /// `search` (or `domain`) suffixes.
    pub search: Vec<String>,
    /// When the local stub of systemd-resolved is used, the servers it forwards to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
}

/// The host's whole network configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostConfig {
    /// Every interface, by index.
    pub interfaces: Vec<Interface>,
    /// Default IPv4 gateways.
    pub default_gateways_v4: Vec<Gateway>,
    /// Default IPv6 gateways.
    pub default_gateways_v6: Vec<Gateway>,
    /// DNS servers and search domains.
    pub dns: Dns,
}

/// A link as read from one `RTM_NEWLINK` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// Interface index.
    pub index: u32,
    /// `ARPHRD_*` type.
    pub arphrd: u16,
    /// `IFF_*` flags.
    pub flags: u32,
    /// Name.
    pub name: String,
    /// MTU.
    pub mtu: u32,
    /// `IF_OPER_*` state.
    pub operstate: u8,
    /// Hardware address bytes.
    pub address: Vec<u8>,
    /// Hardware broadcast bytes.
    pub broadcast: Vec<u8>,
    /// Queueing discipline.
    pub qdisc: Option<String>,
}

/// An address as read from one `RTM_NEWADDR` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrRecord {
    /// Interface index.
    pub index: u32,
    /// Prefix length.
    pub prefix_len: u8,
    /// Scope number.
    pub scope: u8,
    /// `IFA_F_*` flags (the 32-bit `IFA_FLAGS` when present).
    pub flags: u32,
    /// `IFA_ADDRESS`.
    pub address: Option<IpAddr>,
    /// `IFA_LOCAL`.
    pub local: Option<IpAddr>,
    /// `IFA_BROADCAST`.
    pub broadcast: Option<IpAddr>,
    /// `IFA_LABEL`.
    pub label: Option<String>,
    /// `IFA_CACHEINFO` (preferred, valid).
    pub cacheinfo: Option<(u32, u32)>,
}

/// A default route as read from one `RTM_NEWROUTE` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRecord {
    /// Gateway and outgoing interface index of each next hop.
    pub hops: Vec<(Option<IpAddr>, u32)>,
    /// Metric.
    pub metric: Option<u32>,
}

fn ip_from(family: u8, b: &[u8]) -> Option<IpAddr> {
    match (i32::from(family), b.len()) {
        (libc::AF_INET, 4) => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        (libc::AF_INET6, 16) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Parses the payload of an `RTM_NEWLINK` message (`ifinfomsg` + attributes).
pub fn parse_link(p: &[u8]) -> Option<LinkRecord> {
    if p.len() < 16 {
        return None;
    }
    let mut link = LinkRecord {
        arphrd: ne_u16(p, 2),
        index: ne_u32(p, 4),
        flags: ne_u32(p, 8),
        name: String::new(),
        mtu: 0,
        operstate: 0,
        address: Vec::new(),
        broadcast: Vec::new(),
        qdisc: None,
    };
    for (kind, v) in attributes(&p[16..]) {
        match kind {
            IFLA_IFNAME => link.name = c_string(v),
            IFLA_MTU => link.mtu = ne_u32(v, 0),
            IFLA_OPERSTATE => link.operstate = v.first().copied().unwrap_or(0),
            IFLA_ADDRESS => link.address = v.to_vec(),
            IFLA_BROADCAST => link.broadcast = v.to_vec(),
            IFLA_QDISC => link.qdisc = Some(c_string(v)),
            _ => {}
        }
    }
    Some(link)
}

/// Parses the payload of an `RTM_NEWADDR` message (`ifaddrmsg` + attributes).
pub fn parse_addr(p: &[u8]) -> Option<AddrRecord> {
    if p.len() < 8 {
        return None;
    }
    let family = p[0];
    let mut rec = AddrRecord {
        prefix_len: p[1],
        flags: u32::from(p[2]),
        scope: p[3],
        index: ne_u32(p, 4),
        address: None,
        local: None,
        broadcast: None,
        label: None,
        cacheinfo: None,
    };
    for (kind, v) in attributes(&p[8..]) {
        match kind {
            IFA_ADDRESS => rec.address = ip_from(family, v),
            IFA_LOCAL => rec.local = ip_from(family, v),
            IFA_BROADCAST => rec.broadcast = ip_from(family, v),
            IFA_LABEL => rec.label = Some(c_string(v)),
            IFA_FLAGS if v.len() >= 4 => rec.flags = ne_u32(v, 0),
            IFA_CACHEINFO if v.len() >= 8 => rec.cacheinfo = Some((ne_u32(v, 0), ne_u32(v, 4))),
            _ => {}
        }
    }
    Some(rec)
}

/// Parses an `RTM_NEWROUTE` payload; returns it only when it is a default
/// unicast route of the main table.
pub fn parse_default_route(p: &[u8]) -> Option<RouteRecord> {
    if p.len() < 12 {
        return None;
    }
    let family = p[0];
    let dst_len = p[1];
    let mut table = u32::from(p[4]);
    let kind = p[7];
    if dst_len != 0 || kind != RTN_UNICAST {
        return None;
    }
    let (mut gw, mut oif, mut metric, mut hops) = (None, 0, None, Vec::new());
    for (k, v) in attributes(&p[12..]) {
        match k {
            RTA_GATEWAY => gw = ip_from(family, v),
            RTA_OIF => oif = ne_u32(v, 0),
            RTA_PRIORITY => metric = Some(ne_u32(v, 0)),
            RTA_TABLE => table = ne_u32(v, 0),
            RTA_DST => return None,
            RTA_MULTIPATH => {
                // struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex; } + attributes
                let mut at = 0;
                while at + 8 <= v.len() {
                    let len = ne_u16(v, at) as usize;
                    if len < 8 || at + len > v.len() {
                        break;
                    }
                    let ifindex = ne_u32(v, at + 4);
                    let hop_gw = attributes(&v[at + 8..at + len])
                        .find(|(k, _)| *k == RTA_GATEWAY)
                        .and_then(|(_, g)| ip_from(family, g));
                    hops.push((hop_gw, ifindex));
                    at += crate::netlink::align4(len);
                }
            }
            _ => {}
        }
    }
    if table != RT_TABLE_MAIN {
        return None;
    }
    if hops.is_empty() {
        hops.push((gw, oif));
    }
    Some(RouteRecord { hops, metric })
}

fn operstate_name(s: u8) -> &'static str {
    match s {
        1 => "NOTPRESENT",
        2 => "DOWN",
        3 => "LOWERLAYERDOWN",
        4 => "TESTING",
        5 => "DORMANT",
        6 => "UP",
        _ => "UNKNOWN",
    }
}

fn link_type_name(t: u16) -> String {
    match t {
        1 => "ether".into(),
        24 => "ieee1394".into(),
        32 => "infiniband".into(),
        512 => "ppp".into(),
        768 => "ipip".into(),
        769 => "tunnel6".into(),
        772 => "loopback".into(),
        776 => "sit".into(),
        778 => "gre".into(),
        801 => "ieee802.11".into(),
        823 => "ip6gre".into(),
        65534 => "none".into(),
        n => format!("[{n}]"),
    }
}

/// The scope name as `ip` prints it.
pub fn scope_name(s: u8) -> String {
    match s {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

/// The link flags in `ip`'s order, with `NO-CARRIER` first when the link is
/// up but not running.
pub fn link_flags(flags: u32) -> Vec<&'static str> {
    let mut out = Vec::new();
    if flags & IFF_UP != 0 && flags & IFF_RUNNING == 0 {
        out.push("NO-CARRIER");
    }
    out.extend(
        LINK_FLAGS
            .iter()
            .filter(|(_, bit)| flags & bit != 0)
            .map(|(n, _)| *n),
    );
    out
}

fn mac_string(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Builds an [`Address`] from a netlink record.
pub fn address_from(rec: &AddrRecord) -> Option<Address> {
    let address = match rec.local.or(rec.address)? {
        IpAddr::V6(_) => rec.address.or(rec.local)?,
        v4 => v4,
    };
    let peer = match address {
        IpAddr::V4(_) => rec.address.filter(|a| *a != address),
        IpAddr::V6(_) => rec.local.and(rec.address).filter(|a| *a != address),
    };
    let h = subnet::info(subnet::HostPrefix {
        addr: address,
        prefix: rec.prefix_len,
    });
    let mut flags = Vec::new();
    for (bit, name) in [
        (IFA_F_SECONDARY, "secondary"),
        (IFA_F_TENTATIVE, "tentative"),
        (IFA_F_DEPRECATED, "deprecated"),
    ] {
        if rec.flags & bit != 0 {
            flags.push(name);
        }
    }
    let (pref, valid) = match rec.cacheinfo {
        Some((p, v)) => (Lifetime::from_raw(p), Lifetime::from_raw(v)),
        None => (Lifetime::Unknown, Lifetime::Unknown),
    };
    Some(Address {
        address,
        peer,
        prefix_len: rec.prefix_len,
        mask: h.mask,
        network: h.network,
        broadcast: h.broadcast,
        configured_broadcast: rec.broadcast,
        scope: scope_name(rec.scope),
        label: rec.label.clone(),
        dynamic: rec.flags & IFA_F_PERMANENT == 0,
        flags,
        valid_lft: valid,
        preferred_lft: pref,
    })
}

/// Parses `resolv.conf` text.
pub fn parse_resolv_conf(text: &str) -> Dns {
    let mut dns = Dns::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => dns.servers.extend(words.next().map(String::from)),
            Some("search") | Some("domain") => {
                dns.search = words.map(String::from).collect();
            }
            _ => {}
        }
    }
    dns
}

fn read_dns() -> Dns {
    let mut dns = std::fs::read_to_string("/etc/resolv.conf")
        .map(|t| parse_resolv_conf(&t))
        .unwrap_or_default();
    if dns.servers.iter().any(|s| s == "127.0.0.53") {
        if let Ok(t) = std::fs::read_to_string("/run/systemd/resolve/resolv.conf") {
            dns.upstream = parse_resolv_conf(&t).servers;
        }
    }
    dns
}

fn routes(family: i32, names: &[(u32, String)]) -> Result<Vec<(Gateway, u32)>, HostError> {
    let mut body = [0u8; 12];
    body[0] = family as u8;
    let msgs = dump(libc::NETLINK_ROUTE, RTM_GETROUTE, &body, "route dump")?;
    let mut out = Vec::new();
    for m in msgs.iter().filter(|m| m.kind == RTM_NEWROUTE) {
        let Some(r) = parse_default_route(&m.payload) else {
            continue;
        };
        for (gw, oif) in r.hops {
            let interface = names
                .iter()
                .find(|(i, _)| *i == oif)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| format!("if{oif}"));
            out.push((
                Gateway {
                    gateway: gw,
                    interface,
                    metric: r.metric,
                },
                oif,
            ));
        }
    }
    Ok(out)
}

/// Reads the whole configuration from the kernel and `/etc/resolv.conf`.
pub fn host_config() -> Result<HostConfig, HostError> {
    let links = dump(libc::NETLINK_ROUTE, RTM_GETLINK, &[0u8; 16], "link dump")?;
    let mut interfaces: Vec<Interface> = links
        .iter()
        .filter(|m| m.kind == RTM_NEWLINK)
        .filter_map(|m| parse_link(&m.payload))
        .map(|l| {
            let has_mac = !l.address.is_empty() && l.arphrd != 65534;
            let mac = has_mac.then(|| mac_string(&l.address));
            let vendor = if l.address.len() == 6 && l.arphrd == 1 {
                let mut m = [0u8; 6];
                m.copy_from_slice(&l.address);
                services::vendor(m)
            } else {
                None
            };
            Interface {
                name: l.name,
                index: l.index,
                flags: link_flags(l.flags),
                state: operstate_name(l.operstate),
                mtu: l.mtu,
                qdisc: l.qdisc,
                link_type: link_type_name(l.arphrd),
                mac,
                mac_broadcast: (has_mac && !l.broadcast.is_empty())
                    .then(|| mac_string(&l.broadcast)),
                vendor: vendor.map(|v| v.0.to_string()),
                vendor_long: vendor.map(|v| v.1.to_string()),
                ipv4: Vec::new(),
                ipv6: Vec::new(),
                gateways_v4: Vec::new(),
                gateways_v6: Vec::new(),
            }
        })
        .collect();
    interfaces.sort_by_key(|i| i.index);
    let addrs = dump(libc::NETLINK_ROUTE, RTM_GETADDR, &[0u8; 8], "address dump")?;
    for m in addrs.iter().filter(|m| m.kind == RTM_NEWADDR) {
        let Some(rec) = parse_addr(&m.payload) else {
            continue;
        };
        let Some(a) = address_from(&rec) else {
            continue;
        };
        if let Some(iface) = interfaces.iter_mut().find(|i| i.index == rec.index) {
            if a.address.is_ipv4() {
                iface.ipv4.push(a);
            } else {
                iface.ipv6.push(a);
            }
        }
    }
    let names: Vec<(u32, String)> = interfaces
        .iter()
        .map(|i| (i.index, i.name.clone()))
        .collect();
    let gw4 = routes(libc::AF_INET, &names)?;
    // IPv6 may be disabled; then there is simply no IPv6 default route.
    let gw6 = routes(libc::AF_INET6, &names).unwrap_or_default();
    for (gw, oif) in &gw4 {
        if let Some(i) = interfaces.iter_mut().find(|i| i.index == *oif) {
            i.gateways_v4.push(gw.clone());
        }
    }
    for (gw, oif) in &gw6 {
        if let Some(i) = interfaces.iter_mut().find(|i| i.index == *oif) {
            i.gateways_v6.push(gw.clone());
        }
    }
    Ok(HostConfig {
        interfaces,
        default_gateways_v4: gw4.into_iter().map(|g| g.0).collect(),
        default_gateways_v6: gw6.into_iter().map(|g| g.0).collect(),
        dns: read_dns(),
    })
}

/// Keeps only the interface called `name`; an error names it when missing.
pub fn select(mut cfg: HostConfig, name: &str) -> Result<HostConfig, HostError> {
    cfg.interfaces.retain(|i| i.name == name);
    if cfg.interfaces.is_empty() {
        return Err(HostError::NoSuchInterface(name.to_string()));
    }
    cfg.default_gateways_v4.retain(|g| g.interface == name);
    cfg.default_gateways_v6.retain(|g| g.interface == name);
    Ok(cfg)
}

fn render_address(s: &mut String, family: &str, a: &Address) {
    let _ = write!(s, "    {family} {}", a.address);
    if let Some(p) = a.peer {
        let _ = write!(s, " peer {p}");
    }
    let _ = write!(s, "/{}", a.prefix_len);
    if a.address.is_ipv4() {
        let _ = write!(s, "  mask {}  network {}", a.mask, a.network);
        match a.broadcast {
            Some(b) => {
                let _ = write!(s, "  broadcast {b}");
            }
            None => s.push_str("  broadcast none"),
        }
    }
    let _ = write!(s, "  scope {}", a.scope);
    if a.dynamic {
        s.push_str(" dynamic");
    }
    for f in &a.flags {
        let _ = write!(s, " {f}");
    }
    s.push('\n');
    let what = match (a.dynamic, a.valid_lft) {
        (true, _) => "lease",
        (false, Lifetime::Unknown) => "lifetime",
        (false, _) => "static, no lease",
    };
    let _ = writeln!(
        s,
        "        {what}: valid_lft {} preferred_lft {}",
        a.valid_lft, a.preferred_lft
    );
}

fn render_gateway(g: &Gateway) -> String {
    let mut s = match g.gateway {
        Some(a) => format!("{a} dev {}", g.interface),
        None => format!("dev {} (no router: point-to-point)", g.interface),
    };
    if let Some(m) = g.metric {
        let _ = write!(s, " metric {m}");
    }
    s
}

/// Renders the configuration as text, interface by interface like `ip a`,
/// with masks, networks, leases, gateways and DNS like `ipconfig /all`.
pub fn render(cfg: &HostConfig, all_dns: bool) -> String {
    let mut s = String::new();
    for i in &cfg.interfaces {
        let _ = writeln!(
            s,
            "{}: {}: <{}> mtu {} state {}",
            i.index,
            i.name,
            i.flags.join(","),
            i.mtu,
            i.state
        );
        let _ = write!(s, "    link/{}", i.link_type);
        if let Some(m) = &i.mac {
            let _ = write!(s, " {m}");
            match (&i.vendor, &i.vendor_long) {
                (Some(_), Some(long)) => {
                    let _ = write!(s, " ({long})");
                }
                (Some(short), None) => {
                    let _ = write!(s, " ({short})");
                }
                _ => {}
            }
        }
        if let Some(b) = &i.mac_broadcast {
            let _ = write!(s, " brd {b}");
        }
        s.push('\n');
        for a in &i.ipv4 {
            render_address(&mut s, "inet", a);
        }
        for a in &i.ipv6 {
            render_address(&mut s, "inet6", a);
        }
        for g in &i.gateways_v4 {
            let _ = writeln!(s, "    default gateway {}", render_gateway(g));
        }
        for g in &i.gateways_v6 {
            let _ = writeln!(s, "    default gateway (IPv6) {}", render_gateway(g));
        }
    }
    if all_dns {
        s.push('\n');
        if cfg.default_gateways_v4.is_empty() {
            s.push_str("Default gateway (IPv4): none\n");
        }
        if cfg.default_gateways_v6.is_empty() {
            s.push_str("Default gateway (IPv6): none\n");
        }
        if cfg.dns.servers.is_empty() {
            s.push_str("DNS servers: none in /etc/resolv.conf\n");
        } else {
            let _ = writeln!(s, "DNS servers: {}", cfg.dns.servers.join(", "));
        }
        if !cfg.dns.upstream.is_empty() {
            let _ = writeln!(
                s,
                "DNS servers behind systemd-resolved: {}",
                cfg.dns.upstream.join(", ")
            );
        }
        if !cfg.dns.search.is_empty() {
            let _ = writeln!(s, "DNS search suffixes: {}", cfg.dns.search.join(" "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u16, v: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + v.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(v);
        while a.len() % 4 != 0 {
            a.push(0);
        }
        a
    }

    #[test]
    fn parses_seed_address_message() {
        // 172.17.2.149/16 brd 172.17.255.255 scope global dynamic, 562 s left.
        let mut p = vec![libc::AF_INET as u8, 16, 0, 0];
        p.extend_from_slice(&2u32.to_ne_bytes());
        p.extend(attr(IFA_ADDRESS, &[172, 17, 2, 149]));
        p.extend(attr(IFA_LOCAL, &[172, 17, 2, 149]));
        p.extend(attr(IFA_BROADCAST, &[172, 17, 255, 255]));
        p.extend(attr(IFA_LABEL, b"enp0s3\0"));
        let mut ci = Vec::new();
        for v in [562u32, 562, 100, 100] {
            ci.extend_from_slice(&v.to_ne_bytes());
        }
        p.extend(attr(IFA_CACHEINFO, &ci));
        p.extend(attr(IFA_FLAGS, &0u32.to_ne_bytes()));
        let rec = parse_addr(&p).unwrap();
        let a = address_from(&rec).unwrap();
        assert_eq!(a.address, "172.17.2.149".parse::<IpAddr>().unwrap());
        assert_eq!(a.mask, "255.255.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(a.network, "172.17.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(a.broadcast, Some("172.17.255.255".parse().unwrap()));
        assert_eq!(a.scope, "global");
        assert!(a.dynamic);
        assert_eq!(a.valid_lft, Lifetime::Seconds(562));
        assert_eq!(a.label.as_deref(), Some("enp0s3"));
        let mut s = String::new();
        render_address(&mut s, "inet", &a);
        assert!(
            s.contains("lease: valid_lft 562sec preferred_lft 562sec"),
            "{s}"
        );
    }

    #[test]
    fn missing_cacheinfo_is_unknown() {
        let mut p = vec![libc::AF_INET6 as u8, 64, IFA_F_PERMANENT as u8, 253];
        p.extend_from_slice(&2u32.to_ne_bytes());
        let fe80: Ipv6Addr = "fe80::a00:27ff:fe12:6dba".parse().unwrap();
        p.extend(attr(IFA_ADDRESS, &fe80.octets()));
        let a = address_from(&parse_addr(&p).unwrap()).unwrap();
        assert_eq!(a.scope, "link");
        assert!(!a.dynamic);
        assert_eq!(a.valid_lft, Lifetime::Unknown);
        assert_eq!(a.valid_lft.to_string(), "unknown");
        assert_eq!(a.broadcast, None);
    }

    #[test]
    fn parses_link_message() {
        let mut p = vec![0u8, 0];
        p.extend_from_slice(&1u16.to_ne_bytes());
        p.extend_from_slice(&2u32.to_ne_bytes());
        p.extend_from_slice(&(0x1 | 0x2 | 0x40 | 0x1000 | 0x10000u32).to_ne_bytes());
        p.extend_from_slice(&0u32.to_ne_bytes());
        p.extend(attr(IFLA_IFNAME, b"enp0s3\0"));
        p.extend(attr(IFLA_MTU, &1500u32.to_ne_bytes()));
        p.extend(attr(IFLA_OPERSTATE, &[6]));
        p.extend(attr(IFLA_ADDRESS, &[0x08, 0, 0x27, 0x12, 0x6d, 0xba]));
        let l = parse_link(&p).unwrap();
        assert_eq!(l.name, "enp0s3");
        assert_eq!(l.mtu, 1500);
        assert_eq!(operstate_name(l.operstate), "UP");
        assert_eq!(
            link_flags(l.flags),
            vec!["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]
        );
        assert_eq!(mac_string(&l.address), "08:00:27:12:6d:ba");
        assert_eq!(link_flags(0x1 | 0x2), vec!["NO-CARRIER", "BROADCAST", "UP"]);
    }

    #[test]
    fn parses_default_route() {
        let mut p = vec![libc::AF_INET as u8, 0, 0, 0, 254, 3, 0, RTN_UNICAST];
        p.extend_from_slice(&0u32.to_ne_bytes());
        p.extend(attr(RTA_TABLE, &254u32.to_ne_bytes()));
        p.extend(attr(RTA_GATEWAY, &[172, 17, 250, 2]));
        p.extend(attr(RTA_OIF, &2u32.to_ne_bytes()));
        let r = parse_default_route(&p).unwrap();
        assert_eq!(r.hops, vec![(Some("172.17.250.2".parse().unwrap()), 2)]);
        // Not a default route: /24.
        let mut q = p.clone();
        q[1] = 24;
        assert!(parse_default_route(&q).is_none());
    }

    #[test]
    fn resolv_conf() {
        let d = parse_resolv_conf(
            "# comment\nsearch prince.local\nnameserver 172.17.254.1\nnameserver 8.8.8.8\n",
        );
        assert_eq!(d.servers, vec!["172.17.254.1", "8.8.8.8"]);
        assert_eq!(d.search, vec!["prince.local"]);
    }
}
