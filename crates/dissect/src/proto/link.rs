//! Link layers other than Ethernet: BSD null/loopback, raw IP, Linux cooked
//! captures (SLL and SLL2, what `-i any` gives).

use super::{be16, be32, eth, Ctx, IP_PROTOCOLS};
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{NodeId, Value};

static NULL: FieldDef = FieldDef::new("null", "Null/Loopback", Kind::Protocol)
    .blurb("BSD loopback header: the address family of the packet that follows.");
static NULL_FAMILY: FieldDef = FieldDef::new("null.family", "Family", Kind::U32)
    .vals(&[
        (2, "IP"),
        (10, "IPv6 (Linux)"),
        (24, "IPv6"),
        (28, "IPv6"),
        (30, "IPv6"),
    ])
    .blurb("The address family (AF_INET = 2; AF_INET6 is 10, 24, 28 or 30 depending on the OS).");
static RAW: FieldDef = FieldDef::new("raw", "Raw packet data", Kind::Protocol)
    .blurb("No link-layer header: the frame starts with the IP header.");
static SLL: FieldDef = FieldDef::new("sll", "Linux cooked capture", Kind::Protocol)
    .blurb("Linux 'cooked' header written by captures on the 'any' interface.");
static SLL_PKTTYPE: FieldDef = FieldDef::new("sll.pkttype", "Packet type", Kind::U16)
    .vals(&[(0, "Unicast to us"), (1, "Broadcast"), (2, "Multicast"), (3, "Unicast to another host"), (4, "Sent by us")])
    .blurb("Whether the packet was for this host, broadcast, multicast, for another host, or sent by this host.");
static SLL_HATYPE: FieldDef = FieldDef::new("sll.hatype", "Link-layer address type", Kind::U16)
    .vals(&[(1, "Ethernet"), (772, "Loopback"), (65534, "None")]);
static SLL_HALEN: FieldDef = FieldDef::new("sll.halen", "Link-layer address length", Kind::U16);
static SLL_SRC_ETH: FieldDef = FieldDef::new("sll.src.eth", "Source", Kind::Ether);
static SLL_SRC_OTHER: FieldDef = FieldDef::new("sll.src.other", "Source", Kind::Bytes);
static SLL_UNUSED: FieldDef = FieldDef::new("sll.unused", "Unused", Kind::Bytes);
static SLL_ETYPE: FieldDef = FieldDef::new("sll.etype", "Protocol", Kind::U16)
    .base(Base::Hex)
    .vals(eth::ETHERTYPE_NAMES);
static SLL_LTYPE: FieldDef = FieldDef::new("sll.ltype", "Protocol", Kind::U16).base(Base::Hex);
static SLL_RESERVED: FieldDef =
    FieldDef::new("sll.reserved", "Reserved (MBZ)", Kind::U16).base(Base::Hex);
static SLL_IFINDEX: FieldDef = FieldDef::new("sll.ifindex", "Interface index", Kind::U32)
    .blurb("The capturing host's index of the interface the packet went through.");
field_table!(
    FIELDS = [
        NULL,
        NULL_FAMILY,
        RAW,
        SLL,
        SLL_PKTTYPE,
        SLL_HATYPE,
        SLL_HALEN,
        SLL_SRC_ETH,
        SLL_SRC_OTHER,
        SLL_UNUSED,
        SLL_ETYPE,
        SLL_LTYPE,
        SLL_RESERVED,
        SLL_IFINDEX
    ]
);

fn null_family(cx: &mut Ctx<'_>, parent: NodeId, off: usize, end: usize, family: u32) -> usize {
    let _ = parent;
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top =
        cx.d.add(crate::tree::ROOT, &NULL, off, 4.min(avail), Value::None);
    cx.d.push_protocol("null");
    if avail < 4 {
        cx.truncated(top, "Null/Loopback");
        return avail;
    }
    cx.d.add(top, &NULL_FAMILY, off, 4, Value::U(u64::from(family)));
    let next = match family {
        2 => super::ipv4::dissect,
        10 | 24 | 28 | 30 => super::ipv6::dissect,
        _ => super::data::dissect,
    };
    4 + next(cx, top, off + 4, end)
}

/// BSD loopback (LINKTYPE_NULL): the family in the capturing host's byte order.
pub fn dissect_null(cx: &mut Ctx<'_>, parent: NodeId, off: usize, end: usize) -> usize {
    let raw = be32(cx.data, off);
    let family = if raw & 0xffff_0000 != 0 {
        raw.swap_bytes()
    } else {
        raw
    };
    null_family(cx, parent, off, end, family)
}

/// OpenBSD loopback (LINKTYPE_LOOP): the family in network byte order.
pub fn dissect_loop(cx: &mut Ctx<'_>, parent: NodeId, off: usize, end: usize) -> usize {
    let family = be32(cx.data, off);
    null_family(cx, parent, off, end, family)
}

/// Raw IP: IPv4 or IPv6 by the version nibble.
pub fn dissect_raw(cx: &mut Ctx<'_>, parent: NodeId, off: usize, end: usize) -> usize {
    let _ = parent;
    let top = cx.d.add(crate::tree::ROOT, &RAW, off, 0, Value::None);
    cx.d.push_protocol("raw");
    let v = cx.data.get(off).map_or(0, |b| b >> 4);
    cx.dispatch(IP_PROTOCOLS, if v == 6 { 41 } else { 4 }, top, off, end)
}

fn sll_next(
    cx: &mut Ctx<'_>,
    top: NodeId,
    proto_off: usize,
    off: usize,
    end: usize,
    proto: u16,
) -> usize {
    if proto > 1500 {
        cx.field(top, &SLL_ETYPE, proto_off, 2);
        cx.dispatch(super::ETHERTYPES, proto, top, off, end)
    } else {
        cx.field(top, &SLL_LTYPE, proto_off, 2);
        super::data::dissect(cx, top, off, end)
    }
}

fn sll_addr(cx: &mut Ctx<'_>, top: NodeId, off: usize, halen: usize) {
    let src_addr = &cx.data[off..off + halen.min(8)];
    if halen == 6 {
        let mac: [u8; 6] = src_addr.try_into().unwrap_or([0; 6]);
        cx.d.cols.src = crate::tree::Addr::Mac(mac);
        cx.field(top, &SLL_SRC_ETH, off, 6);
        if 8 > halen {
            cx.field(top, &SLL_UNUSED, off + 6, 2);
        }
    } else if halen > 0 {
        cx.field(top, &SLL_SRC_OTHER, off, halen.min(8));
    }
}

/// Linux cooked capture v1: 16 bytes.
pub fn dissect_sll(cx: &mut Ctx<'_>, parent: NodeId, off: usize, end: usize) -> usize {
    let _ = parent;
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top =
        cx.d.add(crate::tree::ROOT, &SLL, off, 16.min(avail), Value::None);
    cx.d.set_label(top, format_args!("Linux cooked capture v1"));
    cx.d.push_protocol("sll");
    if avail < 16 {
        cx.truncated(top, "Linux cooked capture");
        return avail;
    }
    cx.field(top, &SLL_PKTTYPE, off, 2);
    cx.field(top, &SLL_HATYPE, off + 2, 2);
    cx.field(top, &SLL_HALEN, off + 4, 2);
    let halen = usize::from(be16(cx.data, off + 4));
    sll_addr(cx, top, off + 6, halen);
    let proto = be16(cx.data, off + 14);
    16 + sll_next(cx, top, off + 14, off + 16, end, proto)
}

/// Linux cooked capture v2: 20 bytes, with the interface index.
pub fn dissect_sll2(cx: &mut Ctx<'_>, parent: NodeId, off: usize, end: usize) -> usize {
    let _ = parent;
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top =
        cx.d.add(crate::tree::ROOT, &SLL, off, 20.min(avail), Value::None);
    cx.d.set_label(top, format_args!("Linux cooked capture v2"));
    cx.d.push_protocol("sll");
    if avail < 20 {
        cx.truncated(top, "Linux cooked capture v2");
        return avail;
    }
    let proto = be16(cx.data, off);
    let n = cx.field(top, &SLL_ETYPE, off, 2);
    let _ = n;
    cx.field(top, &SLL_RESERVED, off + 2, 2);
    cx.field(top, &SLL_IFINDEX, off + 4, 4);
    cx.field(top, &SLL_HATYPE, off + 8, 2);
    let n = cx.d.add(
        top,
        &SLL_PKTTYPE,
        off + 10,
        1,
        Value::U(u64::from(cx.data[off + 10])),
    );
    let _ = n;
    let halen = usize::from(cx.data[off + 11]);
    cx.d.add(top, &SLL_HALEN, off + 11, 1, Value::U(halen as u64));
    sll_addr(cx, top, off + 12, halen);
    20 + cx.dispatch(super::ETHERTYPES, proto, top, off + 20, end)
}
