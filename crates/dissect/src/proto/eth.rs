//! Ethernet II and IEEE 802.3 with LLC/SNAP, and 802.1Q / 802.1ad VLAN tags
//! (stacked tags are dissected one after the other).

use super::{be16, Ctx, ETHERTYPES};
use crate::field_table;
use crate::oui;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{Addr, NodeId, Resolve, Value, ROOT};

/// EtherType names.
pub static ETHERTYPE_NAMES: &[(u64, &str)] = &[
    (0x0800, "IPv4"),
    (0x0806, "ARP"),
    (0x0842, "Wake on LAN"),
    (0x22f0, "IEEE 1722 Audio Video Bridging Transport Protocol"),
    (0x8035, "RARP"),
    (0x809b, "AppleTalk"),
    (0x8100, "802.1Q Virtual LAN"),
    (0x86dd, "IPv6"),
    (0x8808, "MAC Control"),
    (0x8809, "Slow Protocols"),
    (0x8847, "MPLS label switched packet"),
    (0x8848, "MPLS multicast label switched packet"),
    (0x8863, "PPPoE Discovery"),
    (0x8864, "PPPoE Session"),
    (0x888e, "802.1X Authentication"),
    (0x88a8, "802.1ad Provider Bridge (Q-in-Q)"),
    (0x88cc, "802.1 Link Layer Discovery Protocol (LLDP)"),
    (0x88e5, "802.1AE (MACsec)"),
    (0x88f7, "PTPv2 over Ethernet (IEEE1588)"),
    (
        0x8902,
        "IEEE 802.1ag Connectivity Fault Management (CFM) Protocol",
    ),
    (0x9000, "Configuration Test Protocol (loopback)"),
    (0x9100, "VLAN tagged frame"),
];

/// `eth`
pub static ETH: FieldDef = FieldDef::new("eth", "Ethernet II", Kind::Protocol)
    .blurb("The link layer: MAC addresses of the two stations on this network segment and the type of what follows.");
static DST: FieldDef = FieldDef::new("eth.dst", "Destination", Kind::Ether)
    .blurb("MAC address of the station (or group) the frame is sent to on this segment.");
static SRC: FieldDef = FieldDef::new("eth.src", "Source", Kind::Ether)
    .blurb("MAC address of the station that sent the frame on this segment.");
static ADDR: FieldDef =
    FieldDef::new("eth.addr", "Address", Kind::Ether).blurb("Source or destination MAC address.");
static DST_RESOLVED: FieldDef =
    FieldDef::new("eth.dst_resolved", "Destination (resolved)", Kind::Str);
static SRC_RESOLVED: FieldDef = FieldDef::new("eth.src_resolved", "Source (resolved)", Kind::Str);
static ADDR_RESOLVED: FieldDef =
    FieldDef::new("eth.addr_resolved", "Address (resolved)", Kind::Str);
static DST_OUI: FieldDef = FieldDef::new("eth.dst.oui", "Destination OUI", Kind::U24);
static SRC_OUI: FieldDef = FieldDef::new("eth.src.oui", "Source OUI", Kind::U24);
static ADDR_OUI: FieldDef = FieldDef::new("eth.addr.oui", "Address OUI", Kind::U24);
static DST_OUI_RESOLVED: FieldDef = FieldDef::new(
    "eth.dst.oui_resolved",
    "Destination OUI (resolved)",
    Kind::Str,
);
static SRC_OUI_RESOLVED: FieldDef =
    FieldDef::new("eth.src.oui_resolved", "Source OUI (resolved)", Kind::Str);
static ADDR_OUI_RESOLVED: FieldDef =
    FieldDef::new("eth.addr.oui_resolved", "Address OUI (resolved)", Kind::Str);
const LG_TFS: (&str, &str) = (
    "Locally administered address (this is NOT the factory default)",
    "Globally unique address (factory default)",
);
const IG_TFS: (&str, &str) = (
    "Group address (multicast/broadcast)",
    "Individual address (unicast)",
);
static DST_LG: FieldDef = FieldDef::new("eth.dst.lg", "LG bit", Kind::Bool)
    .mask(0x020000)
    .tfs(LG_TFS.0, LG_TFS.1)
    .blurb("Locally administered (1) or globally unique, vendor-assigned (0) address.");
static SRC_LG: FieldDef = FieldDef::new("eth.src.lg", "LG bit", Kind::Bool)
    .mask(0x020000)
    .tfs(LG_TFS.0, LG_TFS.1)
    .blurb("Locally administered (1) or globally unique, vendor-assigned (0) address.");
static LG: FieldDef = FieldDef::new("eth.lg", "LG bit", Kind::Bool)
    .mask(0x020000)
    .tfs(LG_TFS.0, LG_TFS.1);
static DST_IG: FieldDef = FieldDef::new("eth.dst.ig", "IG bit", Kind::Bool)
    .mask(0x010000)
    .tfs(IG_TFS.0, IG_TFS.1)
    .blurb("Group (multicast/broadcast, 1) or individual (unicast, 0) address.");
static SRC_IG: FieldDef = FieldDef::new("eth.src.ig", "IG bit", Kind::Bool)
    .mask(0x010000)
    .tfs(IG_TFS.0, IG_TFS.1)
    .blurb("Group (multicast/broadcast, 1) or individual (unicast, 0) address.");
static IG: FieldDef = FieldDef::new("eth.ig", "IG bit", Kind::Bool)
    .mask(0x010000)
    .tfs(IG_TFS.0, IG_TFS.1);
/// `eth.type`
pub static TYPE: FieldDef = FieldDef::new("eth.type", "Type", Kind::U16)
    .base(Base::Hex)
    .vals(ETHERTYPE_NAMES)
    .blurb("EtherType: which protocol the payload carries (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP).");
static LEN: FieldDef = FieldDef::new("eth.len", "Length", Kind::U16)
    .blurb("IEEE 802.3 frame: payload length instead of an EtherType.");
static PADDING: FieldDef = FieldDef::new("eth.padding", "Padding", Kind::Bytes).blurb(
    "Zero bytes added to reach Ethernet's minimum frame size of 60 bytes (64 with the FCS).",
);
static TRAILER: FieldDef = FieldDef::new("eth.trailer", "Trailer", Kind::Bytes)
    .blurb("Bytes after the end of the payload that are not padding.");

static LLC: FieldDef = FieldDef::new("llc", "Logical-Link Control", Kind::Protocol);
static LLC_DSAP: FieldDef = FieldDef::new("llc.dsap", "DSAP", Kind::U8)
    .base(Base::Hex)
    .vals(&[
        (0x42, "Spanning Tree BPDU"),
        (0xaa, "SNAP"),
        (0xe0, "NetWare"),
        (0xf0, "NetBIOS"),
        (0xfe, "ISO Network Layer"),
    ]);
static LLC_SSAP: FieldDef = FieldDef::new("llc.ssap", "SSAP", Kind::U8)
    .base(Base::Hex)
    .vals(&[
        (0x42, "Spanning Tree BPDU"),
        (0xaa, "SNAP"),
        (0xe0, "NetWare"),
        (0xf0, "NetBIOS"),
        (0xfe, "ISO Network Layer"),
    ]);
static LLC_CONTROL: FieldDef =
    FieldDef::new("llc.control", "Control field", Kind::U8).base(Base::Hex);
static LLC_OUI: FieldDef = FieldDef::new("llc.oui", "Organization Code", Kind::U24).base(Base::Hex);
static LLC_PID: FieldDef = FieldDef::new("llc.pid", "Protocol ID", Kind::U16)
    .base(Base::Hex)
    .vals(ETHERTYPE_NAMES);

static VLAN: FieldDef = FieldDef::new("vlan", "802.1Q Virtual LAN", Kind::Protocol)
    .blurb("An 802.1Q tag: which virtual LAN the frame belongs to and its priority.");
static VLAN_PRIORITY: FieldDef = FieldDef::new("vlan.priority", "Priority", Kind::U16)
    .mask(0xe000)
    .vals(PCP_NAMES)
    .blurb("802.1p priority code point (0 best effort .. 7 network control).");
static VLAN_DEI: FieldDef = FieldDef::new("vlan.dei", "DEI", Kind::U16)
    .mask(0x1000)
    .base(Base::None)
    .vals(&[(0, "Ineligible"), (1, "Eligible")])
    .blurb("Drop eligible indicator: may be dropped first under congestion.");
static VLAN_ID: FieldDef = FieldDef::new("vlan.id", "ID", Kind::U16)
    .mask(0x0fff)
    .blurb("VLAN identifier (0 = priority tag only, 1-4094 VLANs).");
static VLAN_ETYPE: FieldDef = FieldDef::new("vlan.etype", "Type", Kind::U16)
    .base(Base::Hex)
    .vals(ETHERTYPE_NAMES)
    .blurb("EtherType of the payload after the tag.");
static VLAN_LEN: FieldDef = FieldDef::new("vlan.len", "Length", Kind::U16);
static VLAN_PADDING: FieldDef = FieldDef::new("vlan.padding", "Padding", Kind::Bytes);
static VLAN_TRAILER: FieldDef = FieldDef::new("vlan.trailer", "Trailer", Kind::Bytes);
static QINQ: FieldDef = FieldDef::new("ieee8021ad", "IEEE 802.1ad", Kind::Protocol)
    .blurb("An 802.1ad service tag (Q-in-Q): the provider's VLAN around the customer's.");
static QINQ_PRIORITY: FieldDef = FieldDef::new("ieee8021ad.priority", "Priority", Kind::U16)
    .mask(0xe000)
    .vals(PCP_NAMES);
static QINQ_DEI: FieldDef = FieldDef::new("ieee8021ad.dei", "DEI", Kind::U16).mask(0x1000);
static QINQ_ID: FieldDef = FieldDef::new("ieee8021ad.id", "ID", Kind::U16)
    .mask(0x0fff)
    .blurb("Service VLAN identifier.");
static QINQ_ETYPE: FieldDef = FieldDef::new("ieee8021ad.etype", "Type", Kind::U16)
    .base(Base::Hex)
    .vals(ETHERTYPE_NAMES);

static PCP_NAMES: &[(u64, &str)] = &[
    (0, "Best Effort (default)"),
    (1, "Background"),
    (2, "Excellent Effort"),
    (3, "Critical Applications"),
    (4, "Video, < 100ms latency and jitter"),
    (5, "Voice, < 10ms latency and jitter"),
    (6, "Internetwork Control"),
    (7, "Network Control"),
];

field_table!(
    FIELDS = [
        ETH,
        DST,
        SRC,
        ADDR,
        DST_RESOLVED,
        SRC_RESOLVED,
        ADDR_RESOLVED,
        DST_OUI,
        SRC_OUI,
        ADDR_OUI,
        DST_OUI_RESOLVED,
        SRC_OUI_RESOLVED,
        ADDR_OUI_RESOLVED,
        DST_LG,
        SRC_LG,
        LG,
        DST_IG,
        SRC_IG,
        IG,
        TYPE,
        LEN,
        PADDING,
        TRAILER,
        LLC,
        LLC_DSAP,
        LLC_SSAP,
        LLC_CONTROL,
        LLC_OUI,
        LLC_PID,
        VLAN,
        VLAN_PRIORITY,
        VLAN_DEI,
        VLAN_ID,
        VLAN_ETYPE,
        VLAN_LEN,
        VLAN_PADDING,
        VLAN_TRAILER,
        QINQ,
        QINQ_PRIORITY,
        QINQ_DEI,
        QINQ_ID,
        QINQ_ETYPE
    ]
);

fn mac_at(data: &[u8], off: usize) -> [u8; 6] {
    data.get(off..off + 6)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 6])
}

struct AddrDefs {
    addr: &'static FieldDef,
    resolved: &'static FieldDef,
    oui: &'static FieldDef,
    oui_resolved: &'static FieldDef,
    lg: &'static FieldDef,
    ig: &'static FieldDef,
}

static DST_DEFS: AddrDefs = AddrDefs {
    addr: &DST,
    resolved: &DST_RESOLVED,
    oui: &DST_OUI,
    oui_resolved: &DST_OUI_RESOLVED,
    lg: &DST_LG,
    ig: &DST_IG,
};
static SRC_DEFS: AddrDefs = AddrDefs {
    addr: &SRC,
    resolved: &SRC_RESOLVED,
    oui: &SRC_OUI,
    oui_resolved: &SRC_OUI_RESOLVED,
    lg: &SRC_LG,
    ig: &SRC_IG,
};
static ANY_DEFS: AddrDefs = AddrDefs {
    addr: &ADDR,
    resolved: &ADDR_RESOLVED,
    oui: &ADDR_OUI,
    oui_resolved: &ADDR_OUI_RESOLVED,
    lg: &LG,
    ig: &IG,
};

/// Adds a MAC address field with its resolved name, OUI and LG/IG bits, as
/// Wireshark lays them out.
fn mac_field(cx: &mut Ctx<'_>, top: NodeId, off: usize, which: &AddrDefs, label: &str) {
    let n = cx.d.add(top, which.addr, off, 6, Value::Bytes);
    if !cx.d.builds(crate::tree::build::ETH) {
        return;
    }
    let mac = mac_at(cx.data, off);
    let has_vendor = oui::oui_vendor(mac).is_some();
    if cx.d.want_labels {
        let name = oui::resolved(mac);
        cx.d.set_label(n, format_args!("{label}: {name} ({})", MacFmt(mac)));
    }
    for (defs, hidden) in [(which, true), (&ANY_DEFS, false)] {
        if !hidden {
            let a = cx.d.add(n, defs.addr, off, 6, Value::Bytes);
            if cx.d.want_labels {
                let name = oui::resolved(mac);
                cx.d.set_label(a, format_args!("Address: {name} ({})", MacFmt(mac)));
            }
        }
        cx.d.add_hidden(n, defs.resolved, off, 6, Value::Resolved(Resolve::MacName));
        cx.d.add_hidden(n, defs.oui, off, 3, Value::U(u64::from(oui::oui(mac))));
        if has_vendor {
            cx.d.add_hidden(
                n,
                defs.oui_resolved,
                off,
                3,
                Value::Resolved(Resolve::OuiName),
            );
        }
    }
    cx.field(n, which.lg, off, 3);
    cx.d.add_hidden(n, &LG, off, 3, super::read_value(cx.data, &LG, off, 3));
    cx.field(n, which.ig, off, 3);
    cx.d.add_hidden(n, &IG, off, 3, super::read_value(cx.data, &IG, off, 3));
}

/// Displays a MAC address as `aa:bb:cc:dd:ee:ff`.
pub struct MacFmt(pub [u8; 6]);

impl std::fmt::Display for MacFmt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// Shows what follows a payload of `used` bytes inside `off..end` as padding
/// (all zero) or trailer.
fn tail(
    cx: &mut Ctx<'_>,
    top: NodeId,
    off: usize,
    end: usize,
    padding: &'static FieldDef,
    trailer: &'static FieldDef,
) {
    let end = end.min(cx.data.len());
    if off < end {
        let all_zero = cx.data[off..end].iter().all(|&b| b == 0);
        cx.d.add(
            top,
            if all_zero { padding } else { trailer },
            off,
            end - off,
            Value::Bytes,
        );
    }
}

/// Ethernet II (or IEEE 802.3 when the type field is a length).
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &ETH, off, avail.min(14), Value::None);
    cx.d.push_protocol("eth");
    if avail < 14 {
        cx.truncated(top, "Ethernet");
        return avail;
    }
    let dst = mac_at(cx.data, off);
    let src = mac_at(cx.data, off + 6);
    cx.d.cols.src = Addr::Mac(src);
    cx.d.cols.dst = Addr::Mac(dst);
    cx.d.cols.protocol = "Ethernet";
    let etype = be16(cx.data, off + 12);
    if cx.d.want_labels {
        let (s, t) = (oui::resolved(src), oui::resolved(dst));
        if etype >= 0x0600 {
            cx.d.set_label(
                top,
                format_args!(
                    "Ethernet II, Src: {s} ({}), Dst: {t} ({})",
                    MacFmt(src),
                    MacFmt(dst)
                ),
            );
        } else {
            cx.d.set_label(top, format_args!("IEEE 802.3 Ethernet"));
        }
    }
    mac_field(cx, top, off, &DST_DEFS, "Destination");
    mac_field(cx, top, off + 6, &SRC_DEFS, "Source");
    if etype < 0x0600 {
        cx.field(top, &LEN, off + 12, 2);
        let pend = (off + 14 + usize::from(etype)).min(end);
        let used = llc(cx, off + 14, pend);
        tail(cx, top, off + 14 + used, end, &PADDING, &TRAILER);
        return end - off;
    }
    cx.d.push_protocol("ethertype");
    cx.field(top, &TYPE, off + 12, 2);
    let used = cx.dispatch(ETHERTYPES, etype, top, off + 14, end);
    tail(cx, top, off + 14 + used, end, &PADDING, &TRAILER);
    end - off
}

/// IEEE 802.2 LLC, with SNAP encapsulation handed on by EtherType.
fn llc(cx: &mut Ctx<'_>, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &LLC, off, avail.min(3), Value::None);
    cx.d.push_protocol("llc");
    cx.d.cols.protocol = "LLC";
    if avail < 3 {
        cx.truncated(top, "LLC");
        return avail;
    }
    cx.field(top, &LLC_DSAP, off, 1);
    cx.field(top, &LLC_SSAP, off + 1, 1);
    cx.field(top, &LLC_CONTROL, off + 2, 1);
    let (dsap, ssap) = (cx.data[off], cx.data[off + 1]);
    if dsap == 0xaa && ssap == 0xaa && avail >= 8 {
        cx.d.set_len(top, 8);
        cx.field(top, &LLC_OUI, off + 3, 3);
        cx.field(top, &LLC_PID, off + 6, 2);
        let pid = be16(cx.data, off + 6);
        return 8 + cx.dispatch(ETHERTYPES, pid, top, off + 8, end);
    }
    cx.d.set_info(format_args!("DSAP 0x{dsap:02x} SSAP 0x{ssap:02x}"));
    3 + super::data::dissect(cx, top, off + 3, end)
}

/// An 802.1Q (or 802.1ad) tag: 4 bytes, then the inner EtherType's payload.
pub fn dissect_vlan(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    // The tag's own TPID was the EtherType before it.
    let tpid = be16(cx.data, off.saturating_sub(2));
    let (proto, prio, dei, id, etype, name): (
        &'static FieldDef,
        &'static FieldDef,
        &'static FieldDef,
        &'static FieldDef,
        &'static FieldDef,
        &str,
    ) = if tpid == 0x88a8 {
        (
            &QINQ,
            &QINQ_PRIORITY,
            &QINQ_DEI,
            &QINQ_ID,
            &QINQ_ETYPE,
            "IEEE 802.1ad",
        )
    } else {
        (
            &VLAN,
            &VLAN_PRIORITY,
            &VLAN_DEI,
            &VLAN_ID,
            &VLAN_ETYPE,
            "802.1Q Virtual LAN",
        )
    };
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, proto, off, avail.min(4), Value::None);
    cx.d.push_protocol(proto.abbrev);
    cx.d.push_protocol("ethertype");
    if avail < 4 {
        cx.truncated(top, name);
        return avail;
    }
    let tci = be16(cx.data, off);
    if cx.d.want_labels {
        if tpid == 0x88a8 {
            cx.d.set_label(top, format_args!("{name}, ID: {}", tci & 0xfff));
        } else {
            cx.d.set_label(
                top,
                format_args!(
                    "{name}, PRI: {}, DEI: {}, ID: {}",
                    tci >> 13,
                    (tci >> 12) & 1,
                    tci & 0xfff
                ),
            );
        }
    }
    cx.field(top, prio, off, 2);
    cx.field(top, dei, off, 2);
    cx.field(top, id, off, 2);
    let inner = be16(cx.data, off + 2);
    if inner < 0x0600 && tpid != 0x88a8 {
        cx.field(top, &VLAN_LEN, off + 2, 2);
        let pend = (off + 4 + usize::from(inner)).min(end);
        let used = llc(cx, off + 4, pend);
        tail(cx, top, off + 4 + used, end, &VLAN_PADDING, &VLAN_TRAILER);
        return end - off;
    }
    cx.field(top, etype, off + 2, 2);
    4 + cx.dispatch(ETHERTYPES, inner, top, off + 4, end)
}

#[cfg(test)]
mod tests {
    use crate::tests::dissect_bytes;

    #[test]
    fn ethernet_header_fields_and_ranges() {
        // The lab's frame 10 starts: dst b8:26:6c:af:27:76, src d8:9e:f3:12:d6:a7, type 0x0800.
        let mut f = hex::decode("b8266caf2776d89ef312d6a70800").to_vec();
        f.resize(60, 0);
        let (d, _) = dissect_bytes(1, &f);
        let dst = d.find(&super::DST).unwrap();
        assert_eq!(d.node(dst).range(), 0..6);
        assert_eq!(
            crate::display::label(&d, &f, dst),
            "Destination: ANOVFran_af:27:76 (b8:26:6c:af:27:76)"
        );
        let t = d.find(&super::TYPE).unwrap();
        assert_eq!(d.node(t).range(), 12..14);
        assert_eq!(crate::display::label(&d, &f, t), "Type: IPv4 (0x0800)");
        let lg = d.find(&super::SRC_LG).unwrap();
        assert_eq!(
            crate::display::label(&d, &f, lg),
            ".... ..0. .... .... .... .... = LG bit: Globally unique address (factory default)"
        );
    }

    #[test]
    fn stacked_vlan_tags() {
        // 802.1ad tag 100 around 802.1Q tag 10 around an ARP-typed empty payload.
        let f = hex::decode(
            "ffffffffffff00112233445588a80064810000 0a0806"
                .replace(' ', "")
                .as_str(),
        )
        .to_vec();
        let (d, _) = dissect_bytes(1, &f);
        let ids: Vec<_> = d
            .walk()
            .filter(|(id, _)| d.node(*id).def.abbrev.ends_with(".id"))
            .map(|(id, _)| crate::display::value_string(&d, &f, id))
            .collect();
        assert_eq!(ids, vec!["100", "10"]);
    }

    mod hex {
        pub fn decode(s: &str) -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        }
    }
}
