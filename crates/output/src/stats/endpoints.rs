//! Endpoints, like `tshark -q -z endpoints,TYPE`: each address (and port, for
//! TCP and UDP) with the frames and bytes it sent and received.

use sonde_dissect::registry::{lookup, FieldDef};
use sonde_dissect::tree::Node;
use sonde_dissect::Dissection;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The layer whose endpoints are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// MAC addresses of Ethernet layers.
    Eth,
    /// IPv4 addresses.
    Ip,
    /// IPv6 addresses.
    Ipv6,
    /// IP address and TCP port.
    Tcp,
    /// IP address and UDP port.
    Udp,
}

impl EndpointKind {
    /// The table's title, as tshark names it.
    pub fn title(self) -> &'static str {
        match self {
            EndpointKind::Eth => "Ethernet",
            EndpointKind::Ip => "IPv4",
            EndpointKind::Ipv6 => "IPv6",
            EndpointKind::Tcp => "TCP",
            EndpointKind::Udp => "UDP",
        }
    }

    fn fields(self) -> (&'static str, &'static str, &'static str) {
        match self {
            EndpointKind::Eth => ("eth", "eth.src", "eth.dst"),
            EndpointKind::Ip => ("ip", "ip.src", "ip.dst"),
            EndpointKind::Ipv6 => ("ipv6", "ipv6.src", "ipv6.dst"),
            EndpointKind::Tcp => ("tcp", "tcp.srcport", "tcp.dstport"),
            EndpointKind::Udp => ("udp", "udp.srcport", "udp.dstport"),
        }
    }

    fn has_port(self) -> bool {
        matches!(self, EndpointKind::Tcp | EndpointKind::Udp)
    }
}

/// An address: up to 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
struct Addr {
    len: u8,
    b: [u8; 16],
}

impl Addr {
    fn from(b: &[u8]) -> Option<Addr> {
        if !matches!(b.len(), 4 | 6 | 16) {
            return None;
        }
        let mut a = Addr {
            len: b.len() as u8,
            b: [0; 16],
        };
        a.b[..b.len()].copy_from_slice(b);
        Some(a)
    }

    fn bytes(&self) -> &[u8] {
        &self.b[..self.len as usize]
    }

    fn write(&self, out: &mut String, resolve: bool) {
        let b = self.bytes();
        match b.len() {
            4 => sonde_dissect::display::write_ipv4(out, b),
            6 => {
                let mac: [u8; 6] = b.try_into().unwrap_or([0; 6]);
                if resolve {
                    sonde_dissect::oui::write_resolved(out, mac);
                } else {
                    sonde_dissect::display::write_bytes_colon(out, b);
                }
            }
            _ => sonde_dissect::display::write_ipv6(out, b),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Entry {
    addr: Addr,
    port: u32,
    tx_frames: u64,
    tx_bytes: u64,
    rx_frames: u64,
    rx_bytes: u64,
}

/// The endpoints seen so far, in the order they first appeared.
#[derive(Debug, Clone)]
pub struct Endpoints {
    kind: EndpointKind,
    proto: Option<&'static FieldDef>,
    src: Option<&'static FieldDef>,
    dst: Option<&'static FieldDef>,
    net: [Option<(&'static FieldDef, &'static FieldDef)>; 2],
    entries: Vec<Entry>,
    index: HashMap<(Addr, u32), usize>,
}

impl Endpoints {
    /// An empty table of `kind` endpoints.
    pub fn new(kind: EndpointKind) -> Endpoints {
        let (p, s, d) = kind.fields();
        let pair = |a: &str, b: &str| Some((lookup(a)?, lookup(b)?));
        Endpoints {
            kind,
            proto: lookup(p),
            src: lookup(s),
            dst: lookup(d),
            net: [pair("ip.src", "ip.dst"), pair("ipv6.src", "ipv6.dst")],
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn bump(&mut self, addr: Addr, port: u32, tx: bool, bytes: u64) {
        let n = self.entries.len();
        let i = *self.index.entry((addr, port)).or_insert(n);
        if i == n {
            self.entries.push(Entry {
                addr,
                port,
                ..Entry::default()
            });
        }
        let e = &mut self.entries[i];
        if tx {
            e.tx_frames += 1;
            e.tx_bytes += bytes;
        } else {
            e.rx_frames += 1;
            e.rx_bytes += bytes;
        }
    }

    /// Counts one frame: each occurrence of the layer adds its source (sent)
    /// and destination (received), with the frame's length on the wire.
    pub fn add(&mut self, d: &Dissection, data: &[u8]) {
        let (Some(proto), Some(src), Some(dst)) = (self.proto, self.src, self.dst) else {
            return;
        };
        let bytes = u64::from(d.frame.orig_len);
        let is = |n: &Node, def: &'static FieldDef| std::ptr::eq(n.def, def);
        // TCP and UDP endpoints take the addresses of the IP layer before them.
        let mut net_src = None;
        let mut net_dst = None;
        for (i, n) in d.nodes.iter().enumerate().skip(1) {
            // Like tshark, layers quoted inside an ICMP error are not counted.
            if matches!(n.def.abbrev, "icmp" | "icmpv6") {
                break;
            }
            if self.kind.has_port() {
                for (s, t) in self.net.iter().flatten() {
                    if is(n, s) {
                        net_src = Addr::from(d.bytes(data, i as u32));
                    } else if is(n, t) {
                        net_dst = Addr::from(d.bytes(data, i as u32));
                    }
                }
            }
            if !is(n, proto) {
                continue;
            }
            let mut s = None;
            let mut t = None;
            for c in d.children(i as u32) {
                let cn = d.node(c);
                if is(cn, src) {
                    s = Some(c);
                } else if is(cn, dst) {
                    t = Some(c);
                }
            }
            let (Some(s), Some(t)) = (s, t) else { continue };
            if self.kind.has_port() {
                let port = |id: u32| match d.node(id).value {
                    sonde_dissect::Value::U(p) => u32::try_from(p).ok(),
                    _ => None,
                };
                if let (Some(a), Some(b), Some(ps), Some(pt)) = (net_src, net_dst, port(s), port(t))
                {
                    self.bump(a, ps, true, bytes);
                    self.bump(b, pt, false, bytes);
                }
            } else if let (Some(a), Some(b)) =
                (Addr::from(d.bytes(data, s)), Addr::from(d.bytes(data, t)))
            {
                self.bump(a, 0, true, bytes);
                self.bump(b, 0, false, bytes);
            }
        }
    }

    /// Entries, most frames first (ties in order of appearance).
    fn sorted(&self) -> Vec<&Entry> {
        let mut v: Vec<&Entry> = self.entries.iter().collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.tx_frames + e.rx_frames));
        v
    }

    /// tshark's text layout. `resolve` names MAC addresses by their vendor,
    /// as tshark does by default.
    pub fn write_text(&self, out: &mut String, filter: Option<&str>, resolve: bool) {
        let rule = "=".repeat(80);
        let _ = writeln!(out, "{rule}");
        let _ = writeln!(out, "{} Endpoints", self.kind.title());
        let _ = writeln!(out, "Filter:{}", filter.unwrap_or("<No Filter>"));
        let _ = writeln!(
            out,
            "                       |  {}Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |",
            if self.kind.has_port() { "Port  ||  " } else { "" }
        );
        let mut addr = String::new();
        for e in self.sorted() {
            addr.clear();
            e.addr.write(&mut addr, resolve);
            let _ = write!(out, "{addr:<20}      ");
            if self.kind.has_port() {
                let _ = write!(out, "{:>5}     ", e.port);
            }
            let _ = writeln!(
                out,
                "{:>6}     {:>9}     {:>6}       {:>9}      {:>6}       {:>9}   ",
                e.tx_frames + e.rx_frames,
                e.tx_bytes + e.rx_bytes,
                e.tx_frames,
                e.tx_bytes,
                e.rx_frames,
                e.rx_bytes
            );
        }
        let _ = writeln!(out, "{rule}");
    }

    /// The table as JSON: `{"type", "filter", "endpoints": [{"address",
    /// "port", "packets", "bytes", "tx_packets", "tx_bytes", "rx_packets",
    /// "rx_bytes"}]}` (port only for TCP and UDP).
    pub fn to_json(&self, filter: Option<&str>, resolve: bool) -> serde_json::Value {
        let list: Vec<serde_json::Value> = self
            .sorted()
            .into_iter()
            .map(|e| {
                let mut a = String::new();
                e.addr.write(&mut a, resolve);
                let mut o = serde_json::json!({
                    "address": a,
                    "packets": e.tx_frames + e.rx_frames,
                    "bytes": e.tx_bytes + e.rx_bytes,
                    "tx_packets": e.tx_frames,
                    "tx_bytes": e.tx_bytes,
                    "rx_packets": e.rx_frames,
                    "rx_bytes": e.rx_bytes,
                });
                if self.kind.has_port() {
                    o["port"] = e.port.into();
                }
                o
            })
            .collect();
        serde_json::json!({
            "type": self.kind.title(),
            "filter": filter,
            "endpoints": list,
        })
    }
}
