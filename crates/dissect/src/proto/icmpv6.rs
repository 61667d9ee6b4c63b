//! ICMPv6 (RFC 4443): echo, errors with the quoted packet, neighbour discovery
//! (RFC 4861: RS, RA, NS, NA, redirect, with options) and MLD (v1 and v2).

use super::{be16, be32, eth::MacFmt, inet_checksum, Ctx};
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{Group, NodeId, Severity, Value, ROOT};

static TYPE_NAMES: &[(u64, &str)] = &[
    (1, "Destination Unreachable"),
    (2, "Packet Too Big"),
    (3, "Time Exceeded"),
    (4, "Parameter Problem"),
    (128, "Echo (ping) request"),
    (129, "Echo (ping) reply"),
    (130, "Multicast Listener Query"),
    (131, "Multicast Listener Report"),
    (132, "Multicast Listener Done"),
    (133, "Router Solicitation"),
    (134, "Router Advertisement"),
    (135, "Neighbor Solicitation"),
    (136, "Neighbor Advertisement"),
    (137, "Redirect"),
    (143, "Multicast Listener Report Message v2"),
];
static OPT_NAMES: &[(u64, &str)] = &[
    (1, "Source link-layer address"),
    (2, "Target link-layer address"),
    (3, "Prefix information"),
    (4, "Redirected header"),
    (5, "MTU"),
    (14, "Nonce"),
    (25, "Recursive DNS Server"),
    (31, "DNS Search List"),
];

/// `icmpv6`
pub static ICMPV6: FieldDef = FieldDef::new("icmpv6", "Internet Control Message Protocol v6", Kind::Protocol)
    .blurb("Control messages of IPv6: ping, errors, and neighbour discovery (IPv6's ARP) and multicast listeners.");
static TYPE: FieldDef = FieldDef::new("icmpv6.type", "Type", Kind::U8).vals(TYPE_NAMES)
    .blurb("128/129 echo, 133-137 neighbour discovery, 1-4 errors, 130-132/143 multicast listener discovery.");
static CODE: FieldDef = FieldDef::new("icmpv6.code", "Code", Kind::U8);
static CHECKSUM: FieldDef = FieldDef::new("icmpv6.checksum", "Checksum", Kind::U16).base(Base::Hex);
static CHECKSUM_STATUS: FieldDef =
    FieldDef::new("icmpv6.checksum.status", "Checksum Status", Kind::U8)
        .base(Base::None)
        .vals(super::ipv4::CHECKSUM_STATUS);
static RESERVED: FieldDef = FieldDef::new("icmpv6.reserved", "Reserved", Kind::Bytes);
static ECHO_ID: FieldDef =
    FieldDef::new("icmpv6.echo.identifier", "Identifier", Kind::U16).base(Base::Hex);
static ECHO_SEQ: FieldDef = FieldDef::new("icmpv6.echo.sequence_number", "Sequence", Kind::U16);
static DATA: FieldDef = FieldDef::new("icmpv6.data", "Data", Kind::Bytes);
static MTU: FieldDef = FieldDef::new("icmpv6.mtu", "MTU", Kind::U32);
static POINTER: FieldDef = FieldDef::new("icmpv6.pointer", "Pointer", Kind::U32);
static RA_HOP: FieldDef = FieldDef::new("icmpv6.nd.ra.cur_hop_limit", "Cur hop limit", Kind::U8);
static RA_FLAG: FieldDef = FieldDef::new("icmpv6.nd.ra.flag", "Flags", Kind::U8).base(Base::Hex);
static RA_FLAG_M: FieldDef = FieldDef::new(
    "icmpv6.nd.ra.flag.m",
    "Managed address configuration",
    Kind::Bool,
)
.mask(0x80);
static RA_FLAG_O: FieldDef =
    FieldDef::new("icmpv6.nd.ra.flag.o", "Other configuration", Kind::Bool).mask(0x40);
static RA_FLAG_H: FieldDef =
    FieldDef::new("icmpv6.nd.ra.flag.h", "Home Agent", Kind::Bool).mask(0x20);
static RA_FLAG_PRF: FieldDef = FieldDef::new(
    "icmpv6.nd.ra.flag.prf",
    "Prf (Default Router Preference)",
    Kind::U8,
)
.mask(0x18)
.vals(&[(0, "Medium"), (1, "High"), (2, "Reserved"), (3, "Low")]);
static RA_FLAG_P: FieldDef =
    FieldDef::new("icmpv6.nd.ra.flag.p", "ND Proxy", Kind::Bool).mask(0x04);
static RA_FLAG_RSV: FieldDef =
    FieldDef::new("icmpv6.nd.ra.flag.rsv", "Reserved", Kind::U8).mask(0x03);
static RA_LIFETIME: FieldDef = FieldDef::new(
    "icmpv6.nd.ra.router_lifetime",
    "Router lifetime (s)",
    Kind::U16,
);
static RA_REACHABLE: FieldDef = FieldDef::new(
    "icmpv6.nd.ra.reachable_time",
    "Reachable time (ms)",
    Kind::U32,
);
static RA_RETRANS: FieldDef = FieldDef::new(
    "icmpv6.nd.ra.retrans_timer",
    "Retrans timer (ms)",
    Kind::U32,
);
static NS_TARGET: FieldDef =
    FieldDef::new("icmpv6.nd.ns.target_address", "Target Address", Kind::Ipv6)
        .blurb("The IPv6 address whose MAC address is asked for.");
static NA_FLAG: FieldDef = FieldDef::new("icmpv6.nd.na.flag", "Flags", Kind::U32).base(Base::Hex);
static NA_FLAG_R: FieldDef =
    FieldDef::new("icmpv6.nd.na.flag.r", "Router", Kind::Bool).mask(0x8000_0000);
static NA_FLAG_S: FieldDef =
    FieldDef::new("icmpv6.nd.na.flag.s", "Solicited", Kind::Bool).mask(0x4000_0000);
static NA_FLAG_O: FieldDef =
    FieldDef::new("icmpv6.nd.na.flag.o", "Override", Kind::Bool).mask(0x2000_0000);
static NA_FLAG_RSV: FieldDef =
    FieldDef::new("icmpv6.nd.na.flag.rsv", "Reserved", Kind::U32).mask(0x1fff_ffff);
static NA_TARGET: FieldDef =
    FieldDef::new("icmpv6.nd.na.target_address", "Target Address", Kind::Ipv6);
static RD_TARGET: FieldDef =
    FieldDef::new("icmpv6.nd.rd.target_address", "Target Address", Kind::Ipv6);
static RD_DST: FieldDef = FieldDef::new(
    "icmpv6.nd.rd.destination_address",
    "Destination Address",
    Kind::Ipv6,
);
static OPT: FieldDef = FieldDef::new("icmpv6.opt", "ICMPv6 Option", Kind::None);
static OPT_TYPE: FieldDef = FieldDef::new("icmpv6.opt.type", "Type", Kind::U8).vals(OPT_NAMES);
static OPT_LENGTH: FieldDef = FieldDef::new("icmpv6.opt.length", "Length", Kind::U8);
static OPT_LINKADDR: FieldDef =
    FieldDef::new("icmpv6.opt.linkaddr", "Link-layer address", Kind::Ether);
static OPT_SRC_LINKADDR: FieldDef = FieldDef::new(
    "icmpv6.opt.src_linkaddr",
    "Source Link-layer address",
    Kind::Ether,
);
static OPT_TGT_LINKADDR: FieldDef = FieldDef::new(
    "icmpv6.opt.target_linkaddr",
    "Target Link-layer address",
    Kind::Ether,
);
static OPT_PREFIX_LEN: FieldDef =
    FieldDef::new("icmpv6.opt.prefix.length", "Prefix Length", Kind::U8);
static OPT_PREFIX_VALID: FieldDef = FieldDef::new(
    "icmpv6.opt.prefix.valid_lifetime",
    "Valid Lifetime",
    Kind::U32,
);
static OPT_PREFIX_PREF: FieldDef = FieldDef::new(
    "icmpv6.opt.prefix.preferred_lifetime",
    "Preferred Lifetime",
    Kind::U32,
);
static OPT_PREFIX: FieldDef = FieldDef::new("icmpv6.opt.prefix", "Prefix", Kind::Ipv6);
static OPT_MTU: FieldDef = FieldDef::new("icmpv6.opt.mtu", "MTU", Kind::U32);
static OPT_DATA: FieldDef = FieldDef::new("icmpv6.opt.data", "Data", Kind::Bytes);
static MLD_MRD: FieldDef = FieldDef::new(
    "icmpv6.mld.maximum_response_delay",
    "Maximum Response Delay [ms]",
    Kind::U16,
);
static MLD_ADDR: FieldDef = FieldDef::new(
    "icmpv6.mld.multicast_address",
    "Multicast Address",
    Kind::Ipv6,
);
static MLDR_NB: FieldDef = FieldDef::new(
    "icmpv6.mldr.nb_mcast_records",
    "Number of Multicast Address Records",
    Kind::U16,
);
static MLDR_RECORD: FieldDef =
    FieldDef::new("icmpv6.mldr.mar", "Multicast Address Record", Kind::None);
static MLDR_TYPE: FieldDef = FieldDef::new("icmpv6.mldr.mar.record_type", "Record Type", Kind::U8)
    .vals(&[
        (1, "Include"),
        (2, "Exclude"),
        (3, "Changed to include"),
        (4, "Changed to exclude"),
        (5, "Allow new sources"),
        (6, "Block old sources"),
    ]);
static MLDR_AUX: FieldDef = FieldDef::new("icmpv6.mldr.mar.aux_data_len", "Aux Data Len", Kind::U8);
static MLDR_NBSRC: FieldDef =
    FieldDef::new("icmpv6.mldr.mar.nb_sources", "Number of Sources", Kind::U16);
static MLDR_ADDR: FieldDef = FieldDef::new(
    "icmpv6.mldr.mar.multicast_address",
    "Multicast Address",
    Kind::Ipv6,
);
static MLDR_SRC: FieldDef = FieldDef::new(
    "icmpv6.mldr.mar.source_address",
    "Source Address",
    Kind::Ipv6,
);
field_table!(
    FIELDS = [
        ICMPV6,
        TYPE,
        CODE,
        CHECKSUM,
        CHECKSUM_STATUS,
        RESERVED,
        ECHO_ID,
        ECHO_SEQ,
        DATA,
        MTU,
        POINTER,
        RA_HOP,
        RA_FLAG,
        RA_FLAG_M,
        RA_FLAG_O,
        RA_FLAG_H,
        RA_FLAG_PRF,
        RA_FLAG_P,
        RA_FLAG_RSV,
        RA_LIFETIME,
        RA_REACHABLE,
        RA_RETRANS,
        NS_TARGET,
        NA_FLAG,
        NA_FLAG_R,
        NA_FLAG_S,
        NA_FLAG_O,
        NA_FLAG_RSV,
        NA_TARGET,
        RD_TARGET,
        RD_DST,
        OPT,
        OPT_TYPE,
        OPT_LENGTH,
        OPT_LINKADDR,
        OPT_SRC_LINKADDR,
        OPT_TGT_LINKADDR,
        OPT_PREFIX_LEN,
        OPT_PREFIX_VALID,
        OPT_PREFIX_PREF,
        OPT_PREFIX,
        OPT_MTU,
        OPT_DATA,
        MLD_MRD,
        MLD_ADDR,
        MLDR_NB,
        MLDR_RECORD,
        MLDR_TYPE,
        MLDR_AUX,
        MLDR_NBSRC,
        MLDR_ADDR,
        MLDR_SRC
    ]
);

fn v6s(data: &[u8], o: usize) -> std::net::Ipv6Addr {
    let b: [u8; 16] = data
        .get(o..o + 16)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 16]);
    std::net::Ipv6Addr::from(b)
}

/// Dissects an ICMPv6 message.
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &ICMPV6, off, avail, Value::None);
    cx.d.push_protocol("icmpv6");
    let quoted = cx.in_icmp_error;
    if !quoted {
        cx.d.cols.protocol = "ICMPv6";
    }
    if avail < 4 {
        cx.truncated(top, "ICMPv6");
        return avail;
    }
    let t = cx.data[off];
    cx.field(top, &TYPE, off, 1);
    cx.field(top, &CODE, off + 1, 1);
    let ck = be16(cx.data, off + 2);
    let ckn = cx.field(top, &CHECKSUM, off + 2, 2);
    if end <= cx.data.len() && !quoted && cx.net.len == 16 {
        let mut pseudo = [0u8; 40];
        super::pseudo_header(&cx.net, 58, end - off, &mut pseudo);
        let calc = inet_checksum(&[&pseudo, &cx.data[off..off + 2], &cx.data[off + 4..end]]);
        super::show_checksum(
            cx,
            top,
            ckn,
            ck,
            Some(calc),
            None,
            &CHECKSUM_STATUS,
            Severity::Warning,
        );
    } else {
        cx.d.add_generated(top, &CHECKSUM_STATUS, Value::U(2));
    }
    let tname = TYPE.value_name(u64::from(t)).unwrap_or("Unknown");
    let end = end.min(cx.data.len());
    let body = off + 4;
    let need = |n: usize| body + n <= end;
    let mut info = tname.to_string();
    match t {
        128 | 129 if need(4) => {
            cx.field(top, &ECHO_ID, body, 2);
            cx.field(top, &ECHO_SEQ, body + 2, 2);
            info = format!(
                "{tname} id=0x{:04x}, seq={}, hop limit={}",
                be16(cx.data, body),
                be16(cx.data, body + 2),
                cx.ttl
            );
            if body + 4 < end {
                super::data::dissect(cx, top, body + 4, end);
            }
        }
        1..=4 if need(4) => {
            match t {
                2 => {
                    cx.field(top, &MTU, body, 4);
                }
                4 => {
                    cx.field(top, &POINTER, body, 4);
                }
                _ => {
                    cx.d.add(top, &RESERVED, body, 4, Value::Bytes);
                }
            }
            if body + 4 < end && !quoted {
                let saved = (cx.in_icmp_error, cx.net);
                cx.in_icmp_error = true;
                cx.dispatch(super::IP_PROTOCOLS, 41, top, body + 4, end);
                cx.in_icmp_error = saved.0;
                cx.net = saved.1;
            }
        }
        133 if need(4) => {
            cx.d.add(top, &RESERVED, body, 4, Value::Bytes);
            info = nd_options(cx, top, body + 4, end, tname, "from");
        }
        134 if need(12) => {
            cx.field(top, &RA_HOP, body, 1);
            let f = cx.field(top, &RA_FLAG, body + 1, 1);
            for def in [
                &RA_FLAG_M,
                &RA_FLAG_O,
                &RA_FLAG_H,
                &RA_FLAG_PRF,
                &RA_FLAG_P,
                &RA_FLAG_RSV,
            ] {
                cx.field(f, def, body + 1, 1);
            }
            cx.field(top, &RA_LIFETIME, body + 2, 2);
            cx.field(top, &RA_REACHABLE, body + 4, 4);
            cx.field(top, &RA_RETRANS, body + 8, 4);
            info = nd_options(cx, top, body + 12, end, tname, "from");
        }
        135 if need(20) => {
            cx.d.add(top, &RESERVED, body, 4, Value::Bytes);
            cx.field(top, &NS_TARGET, body + 4, 16);
            let target = v6s(cx.data, body + 4);
            let from = nd_options(cx, top, body + 20, end, "", "from");
            info = format!("{tname} for {target}{from}");
        }
        136 if need(20) => {
            let flags = be32(cx.data, body);
            let f = cx.field(top, &NA_FLAG, body, 4);
            for def in [&NA_FLAG_R, &NA_FLAG_S, &NA_FLAG_O, &NA_FLAG_RSV] {
                cx.field(f, def, body, 4);
            }
            cx.field(top, &NA_TARGET, body + 4, 16);
            let target = v6s(cx.data, body + 4);
            let names: Vec<&str> = [
                (0x8000_0000u32, "rtr"),
                (0x4000_0000, "sol"),
                (0x2000_0000, "ovr"),
            ]
            .iter()
            .filter(|(b, _)| flags & b != 0)
            .map(|(_, n)| *n)
            .collect();
            let is_at = nd_options(cx, top, body + 20, end, "", "is at");
            info = format!("{tname} {target} ({}){is_at}", names.join(", "));
        }
        137 if need(36) => {
            cx.d.add(top, &RESERVED, body, 4, Value::Bytes);
            cx.field(top, &RD_TARGET, body + 4, 16);
            cx.field(top, &RD_DST, body + 20, 16);
            nd_options(cx, top, body + 36, end, "", "");
        }
        130..=132 if need(20) => {
            cx.field(top, &MLD_MRD, body, 2);
            cx.d.add(top, &RESERVED, body + 2, 2, Value::Bytes);
            cx.field(top, &MLD_ADDR, body + 4, 16);
        }
        143 if need(4) => {
            cx.d.add(top, &RESERVED, body, 2, Value::Bytes);
            cx.field(top, &MLDR_NB, body + 2, 2);
            let mut o = body + 4;
            for _ in 0..be16(cx.data, body + 2) {
                if o + 20 > end {
                    cx.truncated(top, "MLDv2 report");
                    break;
                }
                let nsrc = usize::from(be16(cx.data, o + 2));
                let rlen = 20 + 16 * nsrc + 4 * usize::from(cx.data[o + 1]);
                let r =
                    cx.d.add(top, &MLDR_RECORD, o, rlen.min(end - o), Value::None);
                let a = v6s(cx.data, o + 4);
                let rt = MLDR_TYPE
                    .value_name(u64::from(cx.data[o]))
                    .unwrap_or("Unknown");
                cx.d.set_label(r, format_args!("Multicast Address Record {rt}: {a}"));
                cx.field(r, &MLDR_TYPE, o, 1);
                cx.field(r, &MLDR_AUX, o + 1, 1);
                cx.field(r, &MLDR_NBSRC, o + 2, 2);
                cx.field(r, &MLDR_ADDR, o + 4, 16);
                for i in 0..nsrc {
                    let so = o + 20 + 16 * i;
                    if so + 16 > end {
                        break;
                    }
                    cx.field(r, &MLDR_SRC, so, 16);
                }
                o += rlen;
            }
        }
        _ => {
            if body < end {
                cx.d.add(top, &DATA, body, end - body, Value::Bytes);
            }
            if !matches!(t, 5..=127 | 144..=255) {
                cx.truncated(top, "ICMPv6");
            }
        }
    }
    if !quoted {
        cx.d.set_info(format_args!("{info}"));
    }
    avail
}

/// Neighbour-discovery options; returns the Info suffix (` from aa:bb:..`).
fn nd_options(
    cx: &mut Ctx<'_>,
    top: NodeId,
    mut o: usize,
    end: usize,
    prefix: &str,
    word: &str,
) -> String {
    let mut info = prefix.to_string();
    while o + 2 <= end {
        let t = cx.data[o];
        let len = usize::from(cx.data[o + 1]) * 8;
        let name = OPT_TYPE.value_name(u64::from(t)).unwrap_or("Unknown");
        let n = cx.d.add(top, &OPT, o, len.clamp(2, end - o), Value::None);
        cx.d.set_label(n, format_args!("ICMPv6 Option ({name})"));
        cx.field(n, &OPT_TYPE, o, 1);
        let ln = cx.field(n, &OPT_LENGTH, o + 1, 1);
        cx.d.set_label(ln, format_args!("Length: {} ({len} bytes)", cx.data[o + 1]));
        if len == 0 || o + len > end {
            cx.d.expert(
                ln,
                &super::WS_EXPERT,
                Severity::Error,
                Group::Malformed,
                format_args!("Invalid option length {len}"),
            );
            break;
        }
        match t {
            1 | 2 if len == 8 => {
                cx.field(n, &OPT_LINKADDR, o + 2, 6);
                cx.d.add_hidden(
                    n,
                    if t == 1 {
                        &OPT_SRC_LINKADDR
                    } else {
                        &OPT_TGT_LINKADDR
                    },
                    o + 2,
                    6,
                    Value::Bytes,
                );
                let mac: [u8; 6] = cx.data[o + 2..o + 8].try_into().unwrap_or([0; 6]);
                if !word.is_empty() {
                    info.push_str(&format!(" {word} {}", MacFmt(mac)));
                }
            }
            3 if len == 32 => {
                cx.field(n, &OPT_PREFIX_LEN, o + 2, 1);
                cx.field(n, &OPT_PREFIX_VALID, o + 4, 4);
                cx.field(n, &OPT_PREFIX_PREF, o + 8, 4);
                cx.field(n, &OPT_PREFIX, o + 16, 16);
            }
            5 if len == 8 => {
                cx.field(n, &OPT_MTU, o + 4, 4);
            }
            _ => {
                cx.d.add(n, &OPT_DATA, o + 2, len - 2, Value::Bytes);
            }
        }
        o += len;
    }
    info
}
