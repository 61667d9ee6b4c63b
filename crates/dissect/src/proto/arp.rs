//! ARP and RARP (RFC 826, RFC 903): who has this IP address?

use super::{be16, eth::MacFmt, ipv4::V4, Ctx};
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{NodeId, Value, ROOT};

/// `arp`
pub static ARP: FieldDef = FieldDef::new("arp", "Address Resolution Protocol", Kind::Protocol)
    .blurb("Finds the MAC address that owns an IPv4 address on the local network.");
static HW_TYPE: FieldDef = FieldDef::new("arp.hw.type", "Hardware type", Kind::U16)
    .vals(&[
        (1, "Ethernet"),
        (6, "IEEE 802 Networks"),
        (15, "Frame Relay"),
        (16, "Asynchronous Transmission Mode (ATM)"),
        (32, "InfiniBand"),
    ])
    .blurb("Type of the hardware addresses (1 = Ethernet).");
static PROTO_TYPE: FieldDef = FieldDef::new("arp.proto.type", "Protocol type", Kind::U16)
    .base(Base::Hex)
    .vals(super::eth::ETHERTYPE_NAMES)
    .blurb("Type of the protocol addresses (0x0800 = IPv4).");
static HW_SIZE: FieldDef = FieldDef::new("arp.hw.size", "Hardware size", Kind::U8)
    .blurb("Bytes per hardware address (6 for MAC).");
static PROTO_SIZE: FieldDef = FieldDef::new("arp.proto.size", "Protocol size", Kind::U8)
    .blurb("Bytes per protocol address (4 for IPv4).");
static OPCODE: FieldDef = FieldDef::new("arp.opcode", "Opcode", Kind::U16)
    .vals(&[
        (1, "request"),
        (2, "reply"),
        (3, "reverse request"),
        (4, "reverse reply"),
        (8, "inverse request"),
        (9, "inverse reply"),
    ])
    .blurb("1 request (who has?), 2 reply (is at), 3/4 RARP request/reply.");
static SRC_HW_MAC: FieldDef = FieldDef::new("arp.src.hw_mac", "Sender MAC address", Kind::Ether)
    .blurb("MAC address of the sender.");
static SRC_PROTO_IPV4: FieldDef =
    FieldDef::new("arp.src.proto_ipv4", "Sender IP address", Kind::Ipv4)
        .blurb("IPv4 address of the sender.");
static DST_HW_MAC: FieldDef = FieldDef::new("arp.dst.hw_mac", "Target MAC address", Kind::Ether)
    .blurb("MAC address of the target (zero in a request: that is the question).");
static DST_PROTO_IPV4: FieldDef =
    FieldDef::new("arp.dst.proto_ipv4", "Target IP address", Kind::Ipv4)
        .blurb("IPv4 address being asked about.");
static SRC_HW: FieldDef = FieldDef::new("arp.src.hw", "Sender hardware address", Kind::Bytes);
static SRC_PROTO: FieldDef = FieldDef::new("arp.src.proto", "Sender protocol address", Kind::Bytes);
static DST_HW: FieldDef = FieldDef::new("arp.dst.hw", "Target hardware address", Kind::Bytes);
static DST_PROTO: FieldDef = FieldDef::new("arp.dst.proto", "Target protocol address", Kind::Bytes);
static IS_GRATUITOUS: FieldDef = FieldDef::new("arp.isgratuitous", "Is gratuitous", Kind::Bool);
field_table!(
    FIELDS = [
        ARP,
        HW_TYPE,
        PROTO_TYPE,
        HW_SIZE,
        PROTO_SIZE,
        OPCODE,
        SRC_HW_MAC,
        SRC_PROTO_IPV4,
        DST_HW_MAC,
        DST_PROTO_IPV4,
        SRC_HW,
        SRC_PROTO,
        DST_HW,
        DST_PROTO,
        IS_GRATUITOUS
    ]
);

fn mac_label(cx: &mut Ctx<'_>, n: NodeId, name: &str, o: usize) {
    if cx.d.want_labels {
        let mac: [u8; 6] = cx.data[o..o + 6].try_into().unwrap_or([0; 6]);
        let r = crate::oui::resolved(mac);
        let r = if r == MacFmt(mac).to_string() && mac == [0; 6] {
            "00:00:00_00:00:00".to_string()
        } else {
            r
        };
        cx.d.set_label(n, format_args!("{name}: {r} ({})", MacFmt(mac)));
    }
}

/// Dissects an ARP or RARP packet.
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &ARP, off, avail.min(8), Value::None);
    cx.d.push_protocol("arp");
    cx.d.cols.protocol = "ARP";
    if avail < 8 {
        cx.truncated(top, "ARP");
        return avail;
    }
    let hrd = be16(cx.data, off);
    let pro = be16(cx.data, off + 2);
    let hln = usize::from(cx.data[off + 4]);
    let pln = usize::from(cx.data[off + 5]);
    let op = be16(cx.data, off + 6);
    cx.field(top, &HW_TYPE, off, 2);
    cx.field(top, &PROTO_TYPE, off + 2, 2);
    cx.field(top, &HW_SIZE, off + 4, 1);
    cx.field(top, &PROTO_SIZE, off + 5, 1);
    cx.field(top, &OPCODE, off + 6, 2);
    let total = 8 + 2 * (hln + pln);
    cx.d.set_len(top, total.min(avail));
    let is_rarp = op == 3 || op == 4;
    if is_rarp {
        cx.d.cols.protocol = "RARP";
    }
    let opname = OPCODE.value_name(u64::from(op)).unwrap_or("Unknown");
    if avail < total {
        cx.d.set_label(top, format_args!("Address Resolution Protocol ({opname})"));
        cx.truncated(top, "ARP");
        return avail;
    }
    let sha = off + 8;
    let spa = sha + hln;
    let tha = spa + pln;
    let tpa = tha + hln;
    let ether_ip = hrd == 1 && pro == 0x0800 && hln == 6 && pln == 4;
    if ether_ip {
        let n = cx.field(top, &SRC_HW_MAC, sha, 6);
        mac_label(cx, n, "Sender MAC address", sha);
        cx.field(top, &SRC_PROTO_IPV4, spa, 4);
        let n = cx.field(top, &DST_HW_MAC, tha, 6);
        mac_label(cx, n, "Target MAC address", tha);
        cx.field(top, &DST_PROTO_IPV4, tpa, 4);
        let smac = MacFmt(cx.data[sha..sha + 6].try_into().unwrap_or([0; 6]));
        let tmac = MacFmt(cx.data[tha..tha + 6].try_into().unwrap_or([0; 6]));
        let sip = V4(cx.data[spa..spa + 4].try_into().unwrap_or([0; 4]));
        let tip = V4(cx.data[tpa..tpa + 4].try_into().unwrap_or([0; 4]));
        let gratuitous = cx.data[spa..spa + 4] == cx.data[tpa..tpa + 4];
        let (label, info) = match op {
            1 if gratuitous && cx.data[tha..tha + 6] == [0; 6] => (
                String::from("ARP Announcement"),
                format!("ARP Announcement for {sip}"),
            ),
            1 if gratuitous => (
                String::from("request/gratuitous ARP"),
                format!("Gratuitous ARP for {sip} (Request)"),
            ),
            1 => (
                String::from("request"),
                format!("Who has {tip}? Tell {sip}"),
            ),
            2 if gratuitous => (
                String::from("reply/gratuitous ARP"),
                format!("Gratuitous ARP for {sip} (Reply)"),
            ),
            2 => (String::from("reply"), format!("{sip} is at {smac}")),
            3 => (
                String::from("reverse request"),
                format!("Who is {tmac}? Tell {smac}"),
            ),
            4 => (String::from("reverse reply"), format!("{tmac} is at {tip}")),
            _ => (opname.to_string(), format!("Unknown ARP opcode 0x{op:04x}")),
        };
        if is_rarp {
            cx.d.set_label(
                top,
                format_args!("Reverse Address Resolution Protocol ({label})"),
            );
        } else {
            cx.d.set_label(top, format_args!("Address Resolution Protocol ({label})"));
        }
        cx.d.set_info(format_args!("{info}"));
    } else {
        cx.d.set_label(top, format_args!("Address Resolution Protocol ({opname})"));
        cx.d.add(top, &SRC_HW, sha, hln, Value::Bytes);
        cx.d.add(top, &SRC_PROTO, spa, pln, Value::Bytes);
        cx.d.add(top, &DST_HW, tha, hln, Value::Bytes);
        cx.d.add(top, &DST_PROTO, tpa, pln, Value::Bytes);
        cx.d.set_info(format_args!("{opname}"));
    }
    total
}
