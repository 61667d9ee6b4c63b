//! IPv4 (RFC 791): every header field, options, checksum status, fragments.

use super::{be16, inet_checksum, Ctx, IP_PROTOCOLS};
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{Addr, Group, NodeId, Resolve, Severity, Value, ROOT};

/// IP protocol numbers' names (also used by IPv6's next header).
pub static IP_PROTO_NAMES: &[(u64, &str)] = &[
    (0, "IPv6 Hop-by-Hop Option"),
    (1, "ICMP"),
    (2, "IGMP"),
    (4, "IPIP"),
    (6, "TCP"),
    (8, "EGP"),
    (17, "UDP"),
    (41, "IPv6"),
    (43, "IPv6 Routing"),
    (44, "IPv6 Fragment"),
    (47, "Generic Routing Encapsulation"),
    (50, "Encap Security Payload"),
    (51, "Authentication Header"),
    (58, "ICMPv6"),
    (59, "IPv6 No Next Header"),
    (60, "IPv6 Destination Options"),
    (89, "OSPF IGP"),
    (103, "PIM"),
    (112, "Virtual Router Redundancy Protocol"),
    (132, "SCTP"),
    (135, "Mobility Header"),
    (136, "UDPLite"),
];

static DSCP_NAMES: &[(u64, &str)] = &[
    (0, "Default"),
    (8, "Class Selector 1"),
    (10, "Assured Forwarding 11"),
    (12, "Assured Forwarding 12"),
    (14, "Assured Forwarding 13"),
    (16, "Class Selector 2"),
    (18, "Assured Forwarding 21"),
    (20, "Assured Forwarding 22"),
    (22, "Assured Forwarding 23"),
    (24, "Class Selector 3"),
    (26, "Assured Forwarding 31"),
    (28, "Assured Forwarding 32"),
    (30, "Assured Forwarding 33"),
    (32, "Class Selector 4"),
    (34, "Assured Forwarding 41"),
    (36, "Assured Forwarding 42"),
    (38, "Assured Forwarding 43"),
    (40, "Class Selector 5"),
    (44, "Voice Admit"),
    (46, "Expedited Forwarding"),
    (48, "Class Selector 6"),
    (56, "Class Selector 7"),
];
static DSCP_SHORT: &[(u64, &str)] = &[
    (0, "CS0"),
    (8, "CS1"),
    (10, "AF11"),
    (12, "AF12"),
    (14, "AF13"),
    (16, "CS2"),
    (18, "AF21"),
    (20, "AF22"),
    (22, "AF23"),
    (24, "CS3"),
    (26, "AF31"),
    (28, "AF32"),
    (30, "AF33"),
    (32, "CS4"),
    (34, "AF41"),
    (36, "AF42"),
    (38, "AF43"),
    (40, "CS5"),
    (44, "VOICE-ADMIT"),
    (46, "EF"),
    (48, "CS6"),
    (56, "CS7"),
];
/// ECN codepoint names (shared with IPv6).
pub static ECN_NAMES: &[(u64, &str)] = &[
    (0, "Not ECN-Capable Transport"),
    (1, "ECN-Capable Transport codepoint '01'"),
    (2, "ECN-Capable Transport codepoint '10'"),
    (3, "Congestion Experienced"),
];
/// Short ECN names for summary labels.
pub static ECN_SHORT: [&str; 4] = ["Not-ECT", "ECT(1)", "ECT(0)", "CE"];
/// Checksum status names.
pub static CHECKSUM_STATUS: &[(u64, &str)] = &[(0, "Bad"), (1, "Good"), (2, "Unverified")];

/// `ip`
pub static IP: FieldDef = FieldDef::new("ip", "Internet Protocol Version 4", Kind::Protocol)
    .blurb("The network layer: carries the packet from the source host to the destination host across networks.");
/// `ip.version`, also added (hidden) by IPv6 as Wireshark does.
pub static VERSION_DEF: &FieldDef = &VERSION;
static VERSION: FieldDef = FieldDef::new("ip.version", "Version", Kind::U8)
    .mask(0xf0)
    .blurb("IP version: 4.");
static HDR_LEN: FieldDef = FieldDef::new("ip.hdr_len", "Header Length", Kind::U8)
    .mask(0x0f)
    .blurb("Length of the IPv4 header in bytes (the field counts 32-bit words: 5 means 20 bytes).");
static DSFIELD: FieldDef = FieldDef::new("ip.dsfield", "Differentiated Services Field", Kind::U8)
    .base(Base::Hex)
    .blurb("Quality-of-service marking: DSCP (6 bits) and ECN (2 bits).");
static DSCP: FieldDef = FieldDef::new(
    "ip.dsfield.dscp",
    "Differentiated Services Codepoint",
    Kind::U8,
)
.mask(0xfc)
.vals(DSCP_NAMES)
.blurb("Traffic class for per-hop behaviour (0 = default, 46 = expedited forwarding).");
static ECN: FieldDef = FieldDef::new(
    "ip.dsfield.ecn",
    "Explicit Congestion Notification",
    Kind::U8,
)
.mask(0x03)
.vals(ECN_NAMES)
.blurb("Congestion signalling without dropping packets (RFC 3168).");
static LEN: FieldDef = FieldDef::new("ip.len", "Total Length", Kind::U16)
    .blurb("Length of the whole IP packet, header plus data, in bytes.");
static ID: FieldDef = FieldDef::new("ip.id", "Identification", Kind::U16)
    .base(Base::HexDec)
    .blurb("Identifies the fragments of one original datagram.");
static FLAGS: FieldDef = FieldDef::new("ip.flags", "Flags", Kind::U8)
    .base(Base::Hex)
    .mask(0xe0)
    .blurb("Fragmentation flags: reserved, Don't Fragment, More Fragments.");
static FLAGS_RB: FieldDef = FieldDef::new("ip.flags.rb", "Reserved bit", Kind::Bool)
    .mask(0x80)
    .blurb("Must be zero.");
static FLAGS_DF: FieldDef = FieldDef::new("ip.flags.df", "Don't fragment", Kind::Bool)
    .mask(0x40)
    .blurb("Routers must not fragment this packet (used by path MTU discovery).");
static FLAGS_MF: FieldDef = FieldDef::new("ip.flags.mf", "More fragments", Kind::Bool)
    .mask(0x20)
    .blurb("More fragments of the same datagram follow this one.");
static FRAG_OFFSET: FieldDef = FieldDef::new("ip.frag_offset", "Fragment Offset", Kind::U16)
    .mask(0x1fff)
    .blurb("Position of this fragment's data in the original datagram, in 8-byte units.");
static TTL: FieldDef = FieldDef::new("ip.ttl", "Time to Live", Kind::U8)
    .blurb("Hops left before a router discards the packet (each router decrements it; Windows starts at 128, Linux at 64).");
static PROTO: FieldDef = FieldDef::new("ip.proto", "Protocol", Kind::U8)
    .vals(IP_PROTO_NAMES)
    .blurb("Which protocol the IP payload carries: 6 = TCP, 17 = UDP, 1 = ICMP.");
static CHECKSUM: FieldDef = FieldDef::new("ip.checksum", "Header Checksum", Kind::U16).base(Base::Hex)
    .blurb("Checksum of the IPv4 header (often 0 or wrong on the sending host when the network card computes it: checksum offload).");
static CHECKSUM_CALC: FieldDef =
    FieldDef::new("ip.checksum_calculated", "Calculated Checksum", Kind::U16).base(Base::Hex);
static CHECKSUM_STATUS_F: FieldDef =
    FieldDef::new("ip.checksum.status", "Header checksum status", Kind::U8)
        .base(Base::None)
        .vals(CHECKSUM_STATUS);
static SRC: FieldDef = FieldDef::new("ip.src", "Source Address", Kind::Ipv4)
    .blurb("IPv4 address of the host that sent the packet.");
static DST: FieldDef = FieldDef::new("ip.dst", "Destination Address", Kind::Ipv4)
    .blurb("IPv4 address of the host the packet is for.");
static ADDR: FieldDef = FieldDef::new("ip.addr", "Source or Destination Address", Kind::Ipv4);
static SRC_HOST: FieldDef = FieldDef::new("ip.src_host", "Source Host", Kind::Str);
static DST_HOST: FieldDef = FieldDef::new("ip.dst_host", "Destination Host", Kind::Str);
static HOST: FieldDef = FieldDef::new("ip.host", "Source or Destination Host", Kind::Str);
static OPT_TYPE: FieldDef = FieldDef::new("ip.opt.type", "Type", Kind::U8).vals(IP_OPT_NAMES);
static OPT_COPY: FieldDef = FieldDef::new("ip.opt.type.copy", "Copy on fragmentation", Kind::Bool)
    .mask(0x80)
    .tfs("Yes", "No");
static OPT_CLASS: FieldDef = FieldDef::new("ip.opt.type.class", "Class", Kind::U8)
    .mask(0x60)
    .vals(&[
        (0, "Control"),
        (1, "Reserved for future use"),
        (2, "Debugging and measurement"),
        (3, "Reserved for future use"),
    ]);
static OPT_NUMBER: FieldDef = FieldDef::new("ip.opt.type.number", "Number", Kind::U8).mask(0x1f);
static OPT_LEN: FieldDef = FieldDef::new("ip.opt.len", "Length", Kind::U8);
static OPT_PADDING: FieldDef = FieldDef::new("ip.opt.padding", "Padding", Kind::Bytes);
static OPT_DATA: FieldDef = FieldDef::new("ip.opt.data", "Data", Kind::Bytes);
static OPTIONS: FieldDef = FieldDef::new("ip.options", "Options", Kind::Bytes)
    .blurb("IPv4 options between the fixed 20-byte header and the payload.");
static IP_OPT_NAMES: &[(u64, &str)] = &[
    (0, "End of Options List (EOL)"),
    (1, "No Operation (NOP)"),
    (7, "Record Route"),
    (68, "Time Stamp"),
    (130, "Security"),
    (131, "Loose Source Route"),
    (136, "Stream ID"),
    (137, "Strict Source Route"),
    (148, "Router Alert"),
    (25, "Quick-Start"),
    (133, "Extended Security"),
    (82, "Traceroute"),
];

field_table!(
    FIELDS = [
        IP,
        VERSION,
        HDR_LEN,
        DSFIELD,
        DSCP,
        ECN,
        LEN,
        ID,
        FLAGS,
        FLAGS_RB,
        FLAGS_DF,
        FLAGS_MF,
        FRAG_OFFSET,
        TTL,
        PROTO,
        CHECKSUM,
        CHECKSUM_CALC,
        CHECKSUM_STATUS_F,
        SRC,
        DST,
        ADDR,
        SRC_HOST,
        DST_HOST,
        HOST,
        OPTIONS,
        OPT_TYPE,
        OPT_COPY,
        OPT_CLASS,
        OPT_NUMBER,
        OPT_LEN,
        OPT_PADDING,
        OPT_DATA
    ]
);

fn v4(data: &[u8], off: usize) -> [u8; 4] {
    data.get(off..off + 4)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 4])
}

/// Formats an IPv4 address.
pub struct V4(pub [u8; 4]);
impl std::fmt::Display for V4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}.{}", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

/// Dissects an IPv4 packet at `off`; returns the bytes of the packet
/// (its total length, bounded by what was captured).
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &IP, off, avail.min(20), Value::None);
    cx.d.push_protocol("ip");
    if !cx.in_icmp_error {
        cx.d.cols.protocol = "IPv4";
    }
    if avail < 1 {
        cx.truncated(top, "IPv4");
        return avail;
    }
    cx.field(top, &VERSION, off, 1);
    let version = cx.data[off] >> 4;
    if version != 4 {
        cx.d.set_label(top, format_args!("Internet Protocol Version 4"));
        cx.d.expert(
            top,
            &super::WS_EXPERT,
            Severity::Error,
            Group::Malformed,
            format_args!("Bogus IP version ({version}, must be 4)"),
        );
        cx.d.set_info(format_args!("Bogus IP version ({version}, must be 4)"));
        return avail;
    }
    let ihl = usize::from(cx.data[off] & 0x0f) * 4;
    let n = cx.d.add(top, &HDR_LEN, off, 1, Value::U(ihl as u64));
    cx.d.set_label(
        n,
        format_args!(
            ".... {:04b} = Header Length: {} bytes ({})",
            ihl / 4,
            ihl,
            ihl / 4
        ),
    );
    if ihl < 20 {
        cx.d.expert(
            n,
            &super::WS_EXPERT,
            Severity::Error,
            Group::Malformed,
            format_args!("Bogus IP header length ({ihl}, must be at least 20)"),
        );
        cx.d.set_label(top, format_args!("Internet Protocol Version 4"));
        cx.d.set_info(format_args!(
            "Bogus IP header length ({ihl}, must be at least 20)"
        ));
        return avail;
    }
    if avail < 20 {
        cx.d.set_label(top, format_args!("Internet Protocol Version 4"));
        cx.truncated(top, "IPv4");
        return avail;
    }
    let ds = cx.data[off + 1];
    let n = cx.field(top, &DSFIELD, off + 1, 1);
    if cx.d.want_labels {
        let dscp = u64::from(ds >> 2);
        let short = DSCP_SHORT
            .iter()
            .find(|(k, _)| *k == dscp)
            .map_or("Unknown", |(_, s)| s);
        cx.d.set_label(
            n,
            format_args!(
                "Differentiated Services Field: 0x{ds:02x} (DSCP: {short}, ECN: {})",
                ECN_SHORT[usize::from(ds & 3)]
            ),
        );
    }
    cx.field(n, &DSCP, off + 1, 1);
    cx.field(n, &ECN, off + 1, 1);
    let mut total = usize::from(be16(cx.data, off + 2));
    let len_node = cx.field(top, &LEN, off + 2, 2);
    if total == 0 {
        // TCP segmentation offload: the NIC fills the length in later.
        total = end - off;
        if len_node != ROOT {
            cx.d.nodes[len_node as usize].value = Value::U(total as u64);
        }
        cx.d.set_generated(len_node);
        cx.d.set_label(len_node, format_args!("Total Length: {total} bytes (reported as 0, presumed to be because of \"TCP segmentation offload\" (TSO))"));
    }
    cx.field(top, &ID, off + 4, 2);
    let flags = cx.data[off + 6];
    let n = cx.field(top, &FLAGS, off + 6, 1);
    if cx.d.want_labels {
        let what = match (flags & 0x40 != 0, flags & 0x20 != 0) {
            (true, true) => ", Don't fragment, More fragments",
            (true, false) => ", Don't fragment",
            (false, true) => ", More fragments",
            _ => "",
        };
        let bits = format!("{:03b}", flags >> 5);
        cx.d.set_label(
            n,
            format_args!("{bits}. .... = Flags: 0x{:x}{what}", flags >> 5),
        );
    }
    cx.field(n, &FLAGS_RB, off + 6, 1);
    cx.field(n, &FLAGS_DF, off + 6, 1);
    cx.field(n, &FLAGS_MF, off + 6, 1);
    let frag_raw = be16(cx.data, off + 6) & 0x1fff;
    let n =
        cx.d.add(top, &FRAG_OFFSET, off + 6, 2, Value::U(u64::from(frag_raw)));
    if cx.d.want_labels {
        let mut bits = String::new();
        crate::display::write_bits(
            &mut bits,
            &FRAG_OFFSET,
            16,
            u64::from(be16(cx.data, off + 6)),
        );
        cx.d.set_label(n, format_args!("{bits}Fragment Offset: {frag_raw}"));
    }
    cx.field(top, &TTL, off + 8, 1);
    if !cx.in_icmp_error {
        cx.ttl = cx.data[off + 8];
    }
    let proto = cx.data[off + 9];
    cx.field(top, &PROTO, off + 9, 1);
    let ck = be16(cx.data, off + 10);
    let ckn = cx.field(top, &CHECKSUM, off + 10, 2);
    let src = v4(cx.data, off + 12);
    let dst = v4(cx.data, off + 16);
    let hdr_avail = ihl.min(avail);
    if cx.verify_checksums && hdr_avail == ihl {
        let mut hdr = [0u8; 60];
        hdr[..ihl].copy_from_slice(&cx.data[off..off + ihl]);
        hdr[10] = 0;
        hdr[11] = 0;
        let calc = inet_checksum(&[&hdr[..ihl]]);
        let good = calc == ck;
        if good {
            cx.d.set_label(ckn, format_args!("Header Checksum: 0x{ck:04x} [correct]"));
        } else {
            cx.d.set_label(ckn, format_args!("Header Checksum: 0x{ck:04x} incorrect, should be 0x{calc:04x}(may be caused by \"IP checksum offload\"?)"));
        }
        cx.d.add_generated(top, &CHECKSUM_CALC, Value::U(u64::from(calc)));
        let st =
            cx.d.add_generated(top, &CHECKSUM_STATUS_F, Value::U(u64::from(good)));
        if !good {
            cx.d.expert(
                st,
                &super::WS_EXPERT,
                Severity::Error,
                Group::Checksum,
                format_args!("Bad checksum [should be 0x{calc:04x}]"),
            );
        }
    } else {
        cx.d.set_label(
            ckn,
            format_args!("Header Checksum: 0x{ck:04x} [validation disabled]"),
        );
        cx.d.add_generated(top, &CHECKSUM_STATUS_F, Value::U(2));
    }
    for (def, host, a, o) in [
        (&SRC, &SRC_HOST, src, off + 12),
        (&DST, &DST_HOST, dst, off + 16),
    ] {
        cx.field(top, def, o, 4);
        cx.d.add_hidden(top, &ADDR, o, 4, Value::Bytes);
        let _ = a;
        cx.d.add_hidden(top, host, o, 4, Value::Resolved(Resolve::AddrText));
        cx.d.add_hidden(top, &HOST, o, 4, Value::Resolved(Resolve::AddrText));
    }
    cx.d.set_label(
        top,
        format_args!(
            "Internet Protocol Version 4, Src: {}, Dst: {}",
            V4(src),
            V4(dst)
        ),
    );
    if !cx.in_icmp_error {
        cx.d.cols.src = Addr::V4(src);
        cx.d.cols.dst = Addr::V4(dst);
    }
    cx.net.len = 4;
    cx.net.src[..4].copy_from_slice(&src);
    cx.net.dst[..4].copy_from_slice(&dst);

    // Options.
    if ihl > 20 {
        let oend = (off + ihl).min(off + avail);
        options(cx, top, off + 20, oend);
        if avail < ihl {
            cx.d.set_len(top, avail);
            cx.truncated(top, "IPv4 options");
            return avail;
        }
    }
    cx.d.set_len(top, ihl);

    if total < ihl {
        cx.d.expert(
            len_node,
            &super::WS_EXPERT,
            Severity::Error,
            Group::Protocol,
            format_args!("Bogus IP length ({total}, less than header length {ihl})"),
        );
        cx.d.set_info(format_args!(
            "Bogus IP length ({total}, less than header length {ihl})"
        ));
        return avail;
    }
    let pend = off + total;
    let end_payload = pend.min(end);
    if pend > end {
        cx.d.expert(
            len_node,
            &super::WS_EXPERT,
            Severity::Error,
            Group::Malformed,
            format_args!(
                "IPv4 total length exceeds packet length ({} bytes)",
                end - off
            ),
        );
    }
    let mf = flags & 0x20 != 0;
    if mf || frag_raw != 0 {
        let name = PROTO.value_name(u64::from(proto)).unwrap_or("Unknown");
        if !cx.in_icmp_error {
            cx.d.set_info(format_args!(
                "Fragmented IP protocol (proto={name} {proto}, off={}, ID={:04x})",
                u64::from(frag_raw) * 8,
                be16(cx.data, off + 4)
            ));
        }
        super::data::dissect(cx, top, off + ihl, end_payload.min(cx.data.len()));
        return total.min(avail);
    }
    if proto == 4 || proto == 41 {
        cx.d.set_info(format_args!(""));
    }
    cx.dispatch(IP_PROTOCOLS, proto, top, off + ihl, end_payload);
    total.min(avail)
}

fn options(cx: &mut Ctx<'_>, top: NodeId, mut o: usize, end: usize) {
    let opts = cx.d.add(top, &OPTIONS, o, end - o, Value::Bytes);
    cx.d.set_label(opts, format_args!("Options: ({} bytes)", end - o));
    while o < end {
        let kind = cx.data[o];
        let name = OPT_TYPE.value_name(u64::from(kind)).unwrap_or("Unknown");
        if kind == 0 || kind == 1 {
            let n = cx.d.add(opts, &OPT_TYPE, o, 1, Value::U(u64::from(kind)));
            cx.d.set_label(n, format_args!("IP Option - {name}"));
            opt_type_bits(cx, n, o);
            o += 1;
            if kind == 0 {
                if o < end {
                    cx.d.add(opts, &OPT_PADDING, o, end - o, Value::Bytes);
                }
                break;
            }
            continue;
        }
        let len = cx.data.get(o + 1).map_or(0, |&l| usize::from(l));
        let n = cx.d.add(
            opts,
            &OPT_TYPE,
            o,
            len.clamp(1, end - o),
            Value::U(u64::from(kind)),
        );
        cx.d.set_label(n, format_args!("IP Option - {name} ({len} bytes)"));
        opt_type_bits(cx, n, o);
        if o + 1 >= end || len < 2 || o + len > end {
            cx.d.expert(
                n,
                &super::WS_EXPERT,
                Severity::Error,
                Group::Malformed,
                format_args!("Option length {len} is invalid or runs past the end of the options"),
            );
            break;
        }
        cx.field(n, &OPT_LEN, o + 1, 1);
        if len > 2 {
            cx.d.add(n, &OPT_DATA, o + 2, len - 2, Value::Bytes);
        }
        o += len;
    }
}

fn opt_type_bits(cx: &mut Ctx<'_>, n: NodeId, o: usize) {
    cx.field(n, &OPT_COPY, o, 1);
    cx.field(n, &OPT_CLASS, o, 1);
    cx.field(n, &OPT_NUMBER, o, 1);
}
