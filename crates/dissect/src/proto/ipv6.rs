//! IPv6 (RFC 8200) with its extension headers: hop-by-hop, routing, fragment,
//! destination options. Chains are followed up to a fixed bound.

use super::ipv4::{ECN_SHORT, IP_PROTO_NAMES};
use super::{be16, be32, Ctx, IP_PROTOCOLS};
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{Addr, Group, NodeId, Resolve, Severity, Value, ROOT};

/// `ipv6`
pub static IPV6: FieldDef = FieldDef::new("ipv6", "Internet Protocol Version 6", Kind::Protocol)
    .blurb(
    "The network layer, version 6: 128-bit addresses, a fixed 40-byte header, extension headers.",
);
static VERSION: FieldDef = FieldDef::new("ipv6.version", "Version", Kind::U8)
    .mask(0xf0)
    .blurb("IP version: 6.");
static TCLASS: FieldDef = FieldDef::new("ipv6.tclass", "Traffic Class", Kind::U32)
    .base(Base::Hex)
    .mask(0x0ff0_0000)
    .blurb("Quality-of-service marking: DSCP and ECN, as in IPv4's DS field.");
static TCLASS_DSCP: FieldDef = FieldDef::new(
    "ipv6.tclass.dscp",
    "Differentiated Services Codepoint",
    Kind::U32,
)
.mask(0x0fc0_0000);
static TCLASS_ECN: FieldDef = FieldDef::new(
    "ipv6.tclass.ecn",
    "Explicit Congestion Notification",
    Kind::U32,
)
.mask(0x0030_0000)
.vals(super::ipv4::ECN_NAMES);
static FLOW: FieldDef = FieldDef::new("ipv6.flow", "Flow Label", Kind::U24)
    .base(Base::Hex)
    .mask(0x000f_ffff)
    .blurb("Labels packets of one flow so routers can keep them on one path.");
static PLEN: FieldDef = FieldDef::new("ipv6.plen", "Payload Length", Kind::U16)
    .blurb("Bytes after the 40-byte header, extension headers included.");
static NXT: FieldDef = FieldDef::new("ipv6.nxt", "Next Header", Kind::U8).vals(IP_PROTO_NAMES)
    .blurb("What follows the header: an extension header or the payload's protocol (6 TCP, 17 UDP, 58 ICMPv6).");
static HLIM: FieldDef = FieldDef::new("ipv6.hlim", "Hop Limit", Kind::U8)
    .blurb("Hops left before a router discards the packet (IPv6's TTL).");
static SRC: FieldDef =
    FieldDef::new("ipv6.src", "Source Address", Kind::Ipv6).blurb("IPv6 address of the sender.");
static DST: FieldDef = FieldDef::new("ipv6.dst", "Destination Address", Kind::Ipv6)
    .blurb("IPv6 address of the receiver.");
static ADDR: FieldDef = FieldDef::new("ipv6.addr", "Source or Destination Address", Kind::Ipv6);
static SRC_HOST: FieldDef = FieldDef::new("ipv6.src_host", "Source Host", Kind::Str);
static DST_HOST: FieldDef = FieldDef::new("ipv6.dst_host", "Destination Host", Kind::Str);
static HOST: FieldDef = FieldDef::new("ipv6.host", "Source or Destination Host", Kind::Str);

static HOPOPTS: FieldDef = FieldDef::new("ipv6.hopopts", "IPv6 Hop-by-Hop Option", Kind::Protocol)
    .blurb("Options every router on the path must examine (e.g. Router Alert for MLD).");
static HOPOPTS_NXT: FieldDef =
    FieldDef::new("ipv6.hopopts.nxt", "Next Header", Kind::U8).vals(IP_PROTO_NAMES);
static HOPOPTS_LEN: FieldDef = FieldDef::new("ipv6.hopopts.len", "Length", Kind::U8);
static HOPOPTS_LEN_OCT: FieldDef = FieldDef::new("ipv6.hopopts.len_oct", "Length", Kind::U16);
static DSTOPTS: FieldDef = FieldDef::new(
    "ipv6.dstopts",
    "Destination Options for IPv6",
    Kind::Protocol,
)
.blurb("Options only the destination examines.");
static DSTOPTS_NXT: FieldDef =
    FieldDef::new("ipv6.dstopts.nxt", "Next Header", Kind::U8).vals(IP_PROTO_NAMES);
static DSTOPTS_LEN: FieldDef = FieldDef::new("ipv6.dstopts.len", "Length", Kind::U8);
static DSTOPTS_LEN_OCT: FieldDef = FieldDef::new("ipv6.dstopts.len_oct", "Length", Kind::U16);
static OPT: FieldDef = FieldDef::new("ipv6.opt", "IPv6 Option", Kind::None);
static OPT_TYPE: FieldDef = FieldDef::new("ipv6.opt.type", "Type", Kind::U8)
    .base(Base::Hex)
    .vals(OPT_NAMES);
static OPT_LENGTH: FieldDef = FieldDef::new("ipv6.opt.length", "Length", Kind::U8);
static OPT_PADN: FieldDef = FieldDef::new("ipv6.opt.padn", "PadN", Kind::Bytes);
static OPT_ROUTER_ALERT: FieldDef =
    FieldDef::new("ipv6.opt.router_alert", "Router Alert", Kind::U16).vals(&[
        (0, "MLD"),
        (1, "RSVP"),
        (2, "Active Networks"),
    ]);
static OPT_DATA: FieldDef =
    FieldDef::new("ipv6.opt.unknown", "Unknown Option Payload", Kind::Bytes);
static OPT_NAMES: &[(u64, &str)] = &[
    (0x00, "Pad1"),
    (0x01, "PadN"),
    (0x04, "Tunnel Encapsulation Limit"),
    (0x05, "Router Alert"),
    (0xc2, "Jumbo Payload"),
    (0xc9, "Home Address"),
];
static ROUTING: FieldDef = FieldDef::new("ipv6.routing", "Routing Header for IPv6", Kind::Protocol)
    .blurb("Lists intermediate nodes the packet must visit (source routing, segment routing).");
static ROUTING_NXT: FieldDef =
    FieldDef::new("ipv6.routing.nxt", "Next Header", Kind::U8).vals(IP_PROTO_NAMES);
static ROUTING_LEN: FieldDef = FieldDef::new("ipv6.routing.len", "Length", Kind::U8);
static ROUTING_LEN_OCT: FieldDef = FieldDef::new("ipv6.routing.len_oct", "Length", Kind::U16);
static ROUTING_TYPE: FieldDef = FieldDef::new("ipv6.routing.type", "Type", Kind::U8).vals(&[
    (0, "Source Route"),
    (2, "Type 2 Routing"),
    (3, "RPL Source Route"),
    (4, "Segment Routing"),
]);
static ROUTING_SEGLEFT: FieldDef = FieldDef::new("ipv6.routing.segleft", "Segments Left", Kind::U8);
static ROUTING_DATA: FieldDef =
    FieldDef::new("ipv6.routing.data", "Type-specific data", Kind::Bytes);
static FRAGMENT: FieldDef =
    FieldDef::new("ipv6.fragment", "Fragment Header for IPv6", Kind::Protocol)
        .blurb("This packet is one fragment of a larger one; only the source fragments in IPv6.");
static FRAG_NXT: FieldDef =
    FieldDef::new("ipv6.fragment.nxt", "Next header", Kind::U8).vals(IP_PROTO_NAMES);
static FRAG_RES_OCTET: FieldDef =
    FieldDef::new("ipv6.fragment.reserved_octet", "Reserved octet", Kind::U8).base(Base::Hex);
static FRAG_OFFSET: FieldDef = FieldDef::new("ipv6.fragment.offset", "Offset", Kind::U16)
    .mask(0xfff8)
    .blurb("Position of this fragment's data, in 8-byte units.");
static FRAG_RES_BITS: FieldDef =
    FieldDef::new("ipv6.fragment.reserved_bits", "Reserved bits", Kind::U16).mask(0x0006);
static FRAG_MORE: FieldDef = FieldDef::new("ipv6.fragment.more", "More Fragments", Kind::Bool)
    .mask(0x0001)
    .tfs("Yes", "No");
static FRAG_ID: FieldDef =
    FieldDef::new("ipv6.fragment.id", "Identification", Kind::U32).base(Base::Hex);

field_table!(
    FIELDS = [
        IPV6,
        VERSION,
        TCLASS,
        TCLASS_DSCP,
        TCLASS_ECN,
        FLOW,
        PLEN,
        NXT,
        HLIM,
        SRC,
        DST,
        ADDR,
        SRC_HOST,
        DST_HOST,
        HOST,
        HOPOPTS,
        HOPOPTS_NXT,
        HOPOPTS_LEN,
        HOPOPTS_LEN_OCT,
        DSTOPTS,
        DSTOPTS_NXT,
        DSTOPTS_LEN,
        DSTOPTS_LEN_OCT,
        OPT,
        OPT_TYPE,
        OPT_LENGTH,
        OPT_PADN,
        OPT_ROUTER_ALERT,
        OPT_DATA,
        ROUTING,
        ROUTING_NXT,
        ROUTING_LEN,
        ROUTING_LEN_OCT,
        ROUTING_TYPE,
        ROUTING_SEGLEFT,
        ROUTING_DATA,
        FRAGMENT,
        FRAG_NXT,
        FRAG_RES_OCTET,
        FRAG_OFFSET,
        FRAG_RES_BITS,
        FRAG_MORE,
        FRAG_ID
    ]
);

fn v6(data: &[u8], off: usize) -> [u8; 16] {
    data.get(off..off + 16)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 16])
}

/// Dissects an IPv6 packet at `off`; returns the bytes it took.
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &IPV6, off, avail.min(40), Value::None);
    cx.d.push_protocol("ipv6");
    if !cx.in_icmp_error {
        cx.d.cols.protocol = "IPv6";
    }
    if avail < 40 {
        cx.truncated(top, "IPv6");
        return avail;
    }
    let src = v6(cx.data, off + 8);
    let dst = v6(cx.data, off + 24);
    let (s, t) = (std::net::Ipv6Addr::from(src), std::net::Ipv6Addr::from(dst));
    cx.d.set_label(
        top,
        format_args!("Internet Protocol Version 6, Src: {s}, Dst: {t}"),
    );
    cx.field(top, &VERSION, off, 1);
    cx.d.add_hidden(
        top,
        super::ipv4::VERSION_DEF,
        off,
        1,
        super::read_value(cx.data, super::ipv4::VERSION_DEF, off, 1),
    );
    let version = cx.data[off] >> 4;
    if version != 6 {
        cx.d.set_label(top, format_args!("Internet Protocol Version 6"));
        cx.d.expert(
            top,
            &super::WS_EXPERT,
            Severity::Error,
            Group::Malformed,
            format_args!("Bogus IP version ({version}, must be 6)"),
        );
        cx.d.set_info(format_args!("Bogus IP version ({version}, must be 6)"));
        return avail;
    }
    let word = be32(cx.data, off);
    let tc = (word >> 20) & 0xff;
    let n = cx.field(top, &TCLASS, off, 4);
    if cx.d.want_labels {
        let mut bits = String::new();
        crate::display::write_bits(&mut bits, &TCLASS, 32, u64::from(word));
        let dscp = tc >> 2;
        cx.d.set_label(
            n,
            format_args!(
                "{bits}Traffic Class: 0x{tc:02x} (DSCP: {}, ECN: {})",
                dscp_short(dscp),
                ECN_SHORT[(tc & 3) as usize]
            ),
        );
    }
    cx.field(n, &TCLASS_DSCP, off, 4);
    cx.field(n, &TCLASS_ECN, off, 4);
    cx.field(top, &FLOW, off, 4);
    let plen = usize::from(be16(cx.data, off + 4));
    let plen_node = cx.field(top, &PLEN, off + 4, 2);
    let mut nxt = cx.data[off + 6];
    cx.field(top, &NXT, off + 6, 1);
    cx.field(top, &HLIM, off + 7, 1);
    if !cx.in_icmp_error {
        cx.ttl = cx.data[off + 7];
    }
    for (def, host, a, o) in [
        (&SRC, &SRC_HOST, s, off + 8),
        (&DST, &DST_HOST, t, off + 24),
    ] {
        cx.field(top, def, o, 16);
        cx.d.add_hidden(top, &ADDR, o, 16, Value::Bytes);
        let _ = a;
        cx.d.add_hidden(top, host, o, 16, Value::Resolved(Resolve::AddrText));
        cx.d.add_hidden(top, &HOST, o, 16, Value::Resolved(Resolve::AddrText));
    }
    if !cx.in_icmp_error {
        cx.d.cols.src = Addr::V6(src);
        cx.d.cols.dst = Addr::V6(dst);
    }
    cx.net.len = 16;
    cx.net.src = src;
    cx.net.dst = dst;

    let pend_claimed = off + 40 + plen;
    if plen == 0 && nxt != 0 {
        // Jumbograms aside, a zero payload length with data after it is odd but seen
        // with TSO captures; take the captured bytes.
    } else if pend_claimed > end {
        cx.d.expert(
            plen_node,
            &super::WS_EXPERT,
            Severity::Error,
            Group::Malformed,
            format_args!(
                "IPv6 payload length exceeds framing length ({} bytes)",
                end - off - 40
            ),
        );
    }
    let pend = if plen == 0 {
        end
    } else {
        pend_claimed.min(end)
    }
    .min(cx.data.len());
    let mut o = off + 40;
    // Extension headers are parsed within the captured bytes.
    let pcap_end = pend.min(cx.data.len());
    for _ in 0..32 {
        match nxt {
            0 | 60 => {
                let (p, nd, ld, lod, name) = if nxt == 0 {
                    (
                        &HOPOPTS,
                        &HOPOPTS_NXT,
                        &HOPOPTS_LEN,
                        &HOPOPTS_LEN_OCT,
                        "ipv6.hopopts",
                    )
                } else {
                    (
                        &DSTOPTS,
                        &DSTOPTS_NXT,
                        &DSTOPTS_LEN,
                        &DSTOPTS_LEN_OCT,
                        "ipv6.dstopts",
                    )
                };
                let Some(len) = ext_header(cx, top, o, pcap_end, p, nd, ld, lod, name) else {
                    return pend - off;
                };
                options(cx, o + 2, o + len);
                nxt = cx.data[o];
                o += len;
            }
            43 => {
                let Some(len) = ext_header(
                    cx,
                    top,
                    o,
                    pcap_end,
                    &ROUTING,
                    &ROUTING_NXT,
                    &ROUTING_LEN,
                    &ROUTING_LEN_OCT,
                    "ipv6.routing",
                ) else {
                    return pend - off;
                };
                let h = last_child_protocol(cx);
                if len >= 4 {
                    cx.field(h, &ROUTING_TYPE, o + 2, 1);
                    cx.field(h, &ROUTING_SEGLEFT, o + 3, 1);
                    if len > 4 {
                        cx.d.add(h, &ROUTING_DATA, o + 4, len - 4, Value::Bytes);
                    }
                }
                nxt = cx.data[o];
                o += len;
            }
            44 => {
                let h = cx.d.add(
                    top,
                    &FRAGMENT,
                    o,
                    8.min(pcap_end.saturating_sub(o)),
                    Value::None,
                );
                cx.d.push_protocol("ipv6.fragment");
                if o + 8 > pcap_end {
                    cx.truncated(h, "IPv6 fragment header");
                    return pend - off;
                }
                cx.field(h, &FRAG_NXT, o, 1);
                cx.field(h, &FRAG_RES_OCTET, o + 1, 1);
                let fo = be16(cx.data, o + 2);
                let n =
                    cx.d.add(h, &FRAG_OFFSET, o + 2, 2, Value::U(u64::from(fo >> 3)));
                let _ = n;
                cx.field(h, &FRAG_RES_BITS, o + 2, 2);
                cx.field(h, &FRAG_MORE, o + 2, 2);
                cx.field(h, &FRAG_ID, o + 4, 4);
                nxt = cx.data[o];
                let more = fo & 1 != 0;
                let id = be32(cx.data, o + 4);
                o += 8;
                if more || fo >> 3 != 0 {
                    if !cx.in_icmp_error {
                        cx.d.set_info(format_args!(
                            "IPv6 fragment (off={} more={} ident=0x{id:08x} nxt={nxt})",
                            (fo >> 3) * 8,
                            if more { "y" } else { "n" }
                        ));
                    }
                    super::data::dissect(cx, top, o, pcap_end);
                    return pend - off;
                }
            }
            59 => {
                if o < pcap_end {
                    super::data::dissect(cx, top, o, pcap_end);
                }
                return pend - off;
            }
            _ => {
                cx.dispatch(IP_PROTOCOLS, nxt, top, o, pend);
                return pend - off;
            }
        }
    }
    cx.d.expert(
        top,
        &super::WS_EXPERT,
        Severity::Warning,
        Group::Malformed,
        format_args!("More than 32 extension headers; stopped following the chain"),
    );
    pend - off
}

fn last_child_protocol(cx: &Ctx<'_>) -> NodeId {
    (1..cx.d.nodes.len() as u32)
        .rev()
        .find(|&i| cx.d.node(i).def.kind == Kind::Protocol)
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
fn ext_header(
    cx: &mut Ctx<'_>,
    top: NodeId,
    o: usize,
    pend: usize,
    p: &'static FieldDef,
    nd: &'static FieldDef,
    ld: &'static FieldDef,
    lod: &'static FieldDef,
    name: &'static str,
) -> Option<usize> {
    let avail = pend.saturating_sub(o);
    let h = cx.d.add(top, p, o, avail.min(8), Value::None);
    cx.d.push_protocol(name);
    if avail < 2 {
        cx.truncated(h, p.name);
        return None;
    }
    let len = (usize::from(cx.data[o + 1]) + 1) * 8;
    cx.d.set_len(h, len.min(avail));
    cx.field(h, nd, o, 1);
    cx.field(h, ld, o + 1, 1);
    let n = cx.d.add(h, lod, o + 1, 1, Value::U(len as u64));
    cx.d.set_generated(n);
    cx.d.set_label(n, format_args!("Length: {len} bytes"));
    if len > avail {
        cx.truncated(h, p.name);
        return None;
    }
    Some(len)
}

fn options(cx: &mut Ctx<'_>, mut o: usize, end: usize) {
    let h = last_child_protocol(cx);
    while o < end {
        let t = cx.data[o];
        let name = OPT_TYPE.value_name(u64::from(t)).unwrap_or("Unknown");
        if t == 0 {
            let n = cx.d.add(h, &OPT, o, 1, Value::None);
            cx.d.set_label(n, format_args!("Pad1"));
            cx.field(n, &OPT_TYPE, o, 1);
            o += 1;
            continue;
        }
        if o + 2 > end {
            break;
        }
        let len = usize::from(cx.data[o + 1]);
        let olen = (2 + len).min(end - o);
        let n = cx.d.add(h, &OPT, o, olen, Value::None);
        cx.d.set_label(n, format_args!("{name}"));
        cx.field(n, &OPT_TYPE, o, 1);
        cx.field(n, &OPT_LENGTH, o + 1, 1);
        if o + 2 + len > end {
            cx.d.expert(
                n,
                &super::WS_EXPERT,
                Severity::Error,
                Group::Malformed,
                format_args!("Option length {len} runs past the end of the header"),
            );
            break;
        }
        match t {
            1 => {
                cx.d.add(n, &OPT_PADN, o + 2, len, Value::Bytes);
            }
            5 if len == 2 => {
                cx.field(n, &OPT_ROUTER_ALERT, o + 2, 2);
            }
            _ if len > 0 => {
                cx.d.add(n, &OPT_DATA, o + 2, len, Value::Bytes);
            }
            _ => {}
        }
        o += 2 + len;
    }
}

fn dscp_short(d: u32) -> &'static str {
    match d {
        0 => "CS0",
        8 => "CS1",
        10 => "AF11",
        12 => "AF12",
        14 => "AF13",
        16 => "CS2",
        18 => "AF21",
        20 => "AF22",
        22 => "AF23",
        24 => "CS3",
        26 => "AF31",
        28 => "AF32",
        30 => "AF33",
        32 => "CS4",
        34 => "AF41",
        36 => "AF42",
        38 => "AF43",
        40 => "CS5",
        44 => "VOICE-ADMIT",
        46 => "EF",
        48 => "CS6",
        56 => "CS7",
        _ => "Unknown",
    }
}
