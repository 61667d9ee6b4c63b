//! Protocol dissectors, one module per protocol, and the dispatch tables that
//! connect them (link type → dissector, EtherType → dissector, IP protocol →
//! dissector), declared here as data.

use crate::registry::{FieldDef, Kind};
use crate::tree::{Dissection, Group, NodeId, Severity, Value};
use crate::Trackers;

pub mod arp;
pub mod conv;
pub mod data;
pub mod eth;
pub mod frame;
pub mod http;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod link;
pub mod tcp;
pub mod tcp_analysis;
pub mod udp;

/// The field tables of every protocol, for the registry.
pub static FIELD_TABLES: &[&[&FieldDef]] = &[
    frame::FIELDS,
    link::FIELDS,
    eth::FIELDS,
    arp::FIELDS,
    ipv4::FIELDS,
    ipv6::FIELDS,
    icmp::FIELDS,
    icmpv6::FIELDS,
    tcp::FIELDS,
    udp::FIELDS,
    data::FIELDS,
    http::FIELDS,
    http::TEXT_LINES_FIELDS,
    EXPERT_FIELDS,
];

/// Wireshark's generic expert fields.
pub static WS_EXPERT: FieldDef = FieldDef::new("_ws.expert", "Expert Info", Kind::None);
/// `_ws.malformed`: the packet does not decode.
pub static WS_MALFORMED: FieldDef = FieldDef::new("_ws.malformed", "Malformed Packet", Kind::Protocol)
    .blurb("The bytes end before the header they should hold, or a length field points outside the packet.");
/// `_ws.short`: the capture stopped before the end of the packet (snap length).
pub static WS_SHORT: FieldDef = FieldDef::new(
    "_ws.short",
    "Packet size limited during capture",
    Kind::Protocol,
)
.blurb(
    "The capture kept fewer bytes than the packet had (snap length): the rest was never recorded.",
);
/// `_ws.text`: a line of text with no field of its own (Wireshark's text items).
pub static WS_TEXT: FieldDef = FieldDef::new("_ws.text", "Text item", Kind::None);
/// Protocol node for `_ws` items.
pub static WS: FieldDef = FieldDef::new("_ws", "Wireshark", Kind::Protocol);
crate::field_table!(EXPERT_FIELDS = [WS, WS_EXPERT, WS_MALFORMED, WS_SHORT, WS_TEXT]);

/// A dissector: dissects `cx.data[off..end]` under `parent`, returns how many
/// bytes its PDU took (so the caller can show padding or trailers).
pub type DissectFn = fn(&mut Ctx<'_>, NodeId, usize, usize) -> usize;

/// Link types we dissect.
pub static LINK_TYPES: &[(u32, DissectFn)] = &[
    (sonde_capture::linktype::ETHERNET, eth::dissect),
    (sonde_capture::linktype::NULL, link::dissect_null),
    (sonde_capture::linktype::LOOP, link::dissect_loop),
    (sonde_capture::linktype::RAW, link::dissect_raw),
    (12, link::dissect_raw), // DLT_RAW on OpenBSD-derived systems
    (14, link::dissect_raw), // DLT_RAW on BSD/OS
    (sonde_capture::linktype::IPV4, ipv4::dissect),
    (sonde_capture::linktype::IPV6, ipv6::dissect),
    (sonde_capture::linktype::LINUX_SLL, link::dissect_sll),
    (sonde_capture::linktype::LINUX_SLL2, link::dissect_sll2),
];

/// EtherTypes we dissect.
pub static ETHERTYPES: &[(u16, DissectFn)] = &[
    (0x0800, ipv4::dissect),
    (0x86dd, ipv6::dissect),
    (0x0806, arp::dissect),
    (0x8035, arp::dissect),
    (0x8100, eth::dissect_vlan),
    (0x88a8, eth::dissect_vlan),
    (0x9100, eth::dissect_vlan),
];

/// IP protocol numbers we dissect (IPv4 protocol and IPv6 next header).
pub static IP_PROTOCOLS: &[(u8, DissectFn)] = &[
    (1, icmp::dissect),
    (4, ipv4::dissect),
    (6, tcp::dissect),
    (17, udp::dissect),
    (41, ipv6::dissect),
    (58, icmpv6::dissect),
];

/// Adds to a partial tree's fields those their dissectors read back from the
/// tree: TCP's segment and reassembly items are placed from `tcp.payload`.
pub(crate) fn keep_dependencies(defs: &mut Vec<&'static FieldDef>) {
    if defs
        .iter()
        .any(|d| d.abbrev.starts_with("tcp.segment") || d.abbrev.starts_with("tcp.reassembled"))
    {
        defs.push(&tcp::PAYLOAD);
    }
}

/// The [`crate::tree::build`] groups whose guarded work produces the field
/// `def`: the MAC address subtrees, TCP's analysis, flag string and
/// reassembly items, the full HTTP dissection, what TCP hands to the
/// application layer, or all of them for expert and text items.
pub(crate) fn groups_of(def: &'static FieldDef) -> u8 {
    use crate::tree::build;
    let a = def.abbrev;
    if a == "_ws.expert"
        || a.starts_with("_ws.expert.")
        || a == "_ws.text"
        || a == "frame.protocols"
    {
        return build::ALL;
    }
    let has = |t: &[&'static FieldDef]| t.iter().any(|d| std::ptr::eq(*d, def));
    let mut g = 0;
    let http = a == "http" || a.starts_with("http.");
    if http || has(http::FIELDS) || has(http::TEXT_LINES_FIELDS) {
        g |= build::HTTP | build::APP;
    }
    if has(data::FIELDS) {
        g |= build::APP;
    }
    if a.starts_with("tcp.segment") || a.starts_with("tcp.reassembled") {
        g |= build::TCP | build::APP;
    }
    if ["tcp.analysis", "tcp.flags.str", "tcp.connection"]
        .iter()
        .any(|p| a.starts_with(p))
    {
        g |= build::TCP;
    }
    let mac_item = a.starts_with("eth.addr")
        || a.contains("_resolved")
        || a.contains("oui")
        || a.ends_with(".lg")
        || a.ends_with(".ig");
    if a.starts_with("eth.") && mac_item {
        g |= build::ETH;
    }
    g
}

/// Finds a dissector in a dispatch table.
pub fn lookup<K: PartialEq + Copy>(table: &[(K, DissectFn)], key: K) -> Option<DissectFn> {
    table.iter().find(|(k, _)| *k == key).map(|(_, f)| *f)
}

/// The network layer addresses of the packet being dissected, for pseudo-header
/// checksums, conversation keys and the address columns.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetAddrs {
    /// Source address (4 or 16 bytes used).
    pub src: [u8; 16],
    /// Destination address.
    pub dst: [u8; 16],
    /// 4 for IPv4, 16 for IPv6, 0 when not set.
    pub len: u8,
}

/// The state a dissector works with: the bytes, the tree being built, and the
/// trackers that span frames.
pub struct Ctx<'a> {
    /// The frame's captured bytes.
    pub data: &'a [u8],
    /// The dissection being built.
    pub d: &'a mut Dissection,
    /// State across frames.
    pub trk: &'a mut Trackers,
    /// The innermost IP addresses seen so far.
    pub net: NetAddrs,
    /// Nesting depth of IP-in-IP and ICMP-quoted packets, to bound recursion.
    pub depth: u32,
    /// True while dissecting a packet quoted inside an ICMP error.
    pub in_icmp_error: bool,
    /// Verify checksums (off by default, as in Wireshark).
    pub verify_checksums: bool,
    /// TTL or hop limit of the innermost IP header (for ICMP's Info column).
    pub ttl: u8,
}

impl Ctx<'_> {
    /// Adds a leaf field read from `off..off+len`, returning its node.
    #[inline]
    pub fn field(
        &mut self,
        parent: NodeId,
        def: &'static FieldDef,
        off: usize,
        len: usize,
    ) -> NodeId {
        if !self.d.keeps(def) {
            return crate::tree::ROOT;
        }
        self.field_kept(parent, def, off, len)
    }

    #[inline(never)]
    fn field_kept(
        &mut self,
        parent: NodeId,
        def: &'static FieldDef,
        off: usize,
        len: usize,
    ) -> NodeId {
        let value = read_value(self.data, def, off, len);
        self.d.add(parent, def, off, len, value)
    }

    /// Adds a field with a value the dissector computed.
    pub fn field_v(
        &mut self,
        parent: NodeId,
        def: &'static FieldDef,
        off: usize,
        len: usize,
        v: Value,
    ) -> NodeId {
        self.d.add(parent, def, off, len, v)
    }

    /// Flags the layer `node` as cut short: by the snap length if the frame was
    /// captured short, malformed otherwise.
    pub fn truncated(&mut self, node: NodeId, what: &str) {
        let short = self.d.frame.cap_len < self.d.frame.orig_len;
        let (def, msg) = if short {
            (&WS_SHORT, "Packet size limited during capture")
        } else {
            (&WS_MALFORMED, "Malformed Packet")
        };
        let at = self.d.add(node, def, self.data.len(), 0, Value::None);
        self.d.set_generated(at);
        self.d
            .set_label(at, format_args!("{msg}: {what} truncated"));
        let sev = if short {
            Severity::Note
        } else {
            Severity::Error
        };
        self.d.expert(
            at,
            &WS_EXPERT,
            sev,
            Group::Malformed,
            format_args!("{msg}: {what} truncated"),
        );
        if !short {
            self.d.push_protocol("_ws.malformed");
        }
        self.d.append_info(format_args!("[{msg}]"));
    }

    /// Hands `off..end` to the dissector for `key` in `table`, or to the data
    /// dissector when there is none. Returns the bytes the PDU took.
    pub fn dispatch<K: PartialEq + Copy>(
        &mut self,
        table: &[(K, DissectFn)],
        key: K,
        parent: NodeId,
        off: usize,
        end: usize,
    ) -> usize {
        if off >= end {
            return 0;
        }
        if off >= self.data.len() {
            self.truncated(parent, "payload");
            return 0;
        }
        match lookup(table, key) {
            Some(f) if self.depth < 16 => {
                self.depth += 1;
                let n = f(self, parent, off, end);
                self.depth -= 1;
                n
            }
            _ => data::dissect(self, parent, off, end),
        }
    }
}

/// Reads a field's value from the bytes, big-endian, masking and shifting
/// bitfields. Out-of-range reads give [`Value::None`].
pub fn read_value(data: &[u8], def: &FieldDef, off: usize, len: usize) -> Value {
    let Some(b) = data.get(off..off + len) else {
        return Value::None;
    };
    match def.kind {
        Kind::U8 | Kind::U16 | Kind::U24 | Kind::U32 | Kind::U64 | Kind::Bool | Kind::FrameNum => {
            let raw = b.iter().take(8).fold(0u64, |a, &x| (a << 8) | u64::from(x));
            let v = if def.mask != 0 {
                (raw & def.mask) >> def.shift()
            } else {
                raw
            };
            if def.kind == Kind::Bool {
                Value::Bool(v != 0)
            } else {
                Value::U(v)
            }
        }
        Kind::I32 => Value::I(i64::from(
            b.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)) as i32,
        )),
        _ => Value::Bytes,
    }
}

/// Reads a big-endian u16 at `off` (0 when out of range).
pub fn be16(data: &[u8], off: usize) -> u16 {
    data.get(off..off + 2)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
}

/// Reads a big-endian u32 at `off` (0 when out of range).
pub fn be32(data: &[u8], off: usize) -> u32 {
    data.get(off..off + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The TCP/UDP/ICMPv6 pseudo-header (RFC 793, RFC 8200 section 8.1) for the
/// current IP addresses; returns its length (12 for IPv4, 40 for IPv6).
pub fn pseudo_header(net: &NetAddrs, proto: u8, len: usize, out: &mut [u8; 40]) -> usize {
    *out = [0; 40];
    if net.len == 4 {
        out[..4].copy_from_slice(&net.src[..4]);
        out[4..8].copy_from_slice(&net.dst[..4]);
        out[9] = proto;
        out[10..12].copy_from_slice(&(len as u16).to_be_bytes());
        12
    } else {
        out[..16].copy_from_slice(&net.src);
        out[16..32].copy_from_slice(&net.dst);
        out[32..36].copy_from_slice(&(len as u32).to_be_bytes());
        out[39] = proto;
        40
    }
}

/// Shows a transport checksum: `[correct]`/`[incorrect]` with the calculated
/// value and an expert item when `calc` is given, `[unverified]` otherwise.
#[allow(clippy::too_many_arguments)]
pub fn show_checksum(
    cx: &mut Ctx<'_>,
    top: NodeId,
    ckn: NodeId,
    ck: u16,
    calc: Option<u16>,
    calc_def: Option<&'static FieldDef>,
    status_def: &'static FieldDef,
    severity: Severity,
) {
    let Some(calc) = calc else {
        cx.d.set_label(ckn, format_args!("Checksum: 0x{ck:04x} [unverified]"));
        cx.d.add_generated(top, status_def, Value::U(2));
        return;
    };
    let good = calc == ck;
    cx.d.set_label(
        ckn,
        format_args!(
            "Checksum: 0x{ck:04x} [{}]",
            if good { "correct" } else { "incorrect" }
        ),
    );
    if let Some(def) = calc_def {
        cx.d.add_generated(top, def, Value::U(u64::from(calc)));
    }
    let st =
        cx.d.add_generated(top, status_def, Value::U(u64::from(good)));
    if !good {
        cx.d.expert(
            st,
            &WS_EXPERT,
            severity,
            Group::Checksum,
            format_args!("Bad checksum [should be 0x{calc:04x}]"),
        );
    }
}

/// The Internet checksum (RFC 1071) of several byte slices taken as one.
pub fn inet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    let mut odd: Option<u8> = None;
    for p in parts {
        let mut p = *p;
        if let Some(hi) = odd.take() {
            if let Some((&lo, rest)) = p.split_first() {
                sum += u64::from(u16::from_be_bytes([hi, lo]));
                p = rest;
            } else {
                odd = Some(hi);
                continue;
            }
        }
        let mut chunks = p.chunks_exact(2);
        for c in &mut chunks {
            sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            odd = Some(*last);
        }
    }
    if let Some(hi) = odd {
        sum += u64::from(u16::from_be_bytes([hi, 0]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_rfc1071_example() {
        // IPv4 header of the lab's SYN-ACK with its checksum zeroed.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(inet_checksum(&[&h]), 0xb861);
        assert_eq!(inet_checksum(&[&h[..5], &h[5..]]), 0xb861);
    }

    #[test]
    fn bitfields_are_masked_and_shifted() {
        static F: FieldDef = FieldDef::new("x.f", "F", Kind::U8).mask(0xf0);
        assert_eq!(read_value(&[0x45], &F, 0, 1), Value::U(4));
        assert_eq!(read_value(&[0x45], &F, 1, 1), Value::None);
    }
}
