//! ICMP (RFC 792): echo, and the errors (unreachable, time exceeded...) with the
//! quoted packet dissected.

use super::{be16, inet_checksum, Ctx};
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{NodeId, Severity, Value, ROOT};

static TYPE_NAMES: &[(u64, &str)] = &[
    (0, "Echo (ping) reply"),
    (3, "Destination unreachable"),
    (4, "Source quench (flow control)"),
    (5, "Redirect"),
    (8, "Echo (ping) request"),
    (9, "Router advertisement"),
    (10, "Router solicitation"),
    (11, "Time-to-live exceeded"),
    (12, "Parameter problem"),
    (13, "Timestamp request"),
    (14, "Timestamp reply"),
    (17, "Address mask request"),
    (18, "Address mask reply"),
];
static UNREACH_CODES: &[(u64, &str)] = &[
    (0, "Network unreachable"),
    (1, "Host unreachable"),
    (2, "Protocol unreachable"),
    (3, "Port unreachable"),
    (4, "Fragmentation needed"),
    (5, "Source route failed"),
    (6, "Destination network unknown"),
    (7, "Destination host unknown"),
    (8, "Source host isolated"),
    (9, "Network administratively prohibited"),
    (10, "Host administratively prohibited"),
    (11, "Network unreachable for TOS"),
    (12, "Host unreachable for TOS"),
    (13, "Communication administratively filtered"),
    (14, "Host precedence violation"),
    (15, "Precedence cutoff in effect"),
];
static EXCEEDED_CODES: &[(u64, &str)] = &[
    (0, "Time to live exceeded in transit"),
    (1, "Fragment reassembly time exceeded"),
];
static REDIRECT_CODES: &[(u64, &str)] = &[
    (0, "Redirect for network"),
    (1, "Redirect for host"),
    (2, "Redirect for TOS and network"),
    (3, "Redirect for TOS and host"),
];

/// `icmp`
pub static ICMP: FieldDef = FieldDef::new("icmp", "Internet Control Message Protocol", Kind::Protocol)
    .blurb("Control messages of IPv4: ping (echo request/reply) and error reports (unreachable, TTL exceeded).");
static TYPE: FieldDef = FieldDef::new("icmp.type", "Type", Kind::U8)
    .vals(TYPE_NAMES)
    .blurb(
        "Message type: 8 echo request, 0 echo reply, 3 destination unreachable, 11 time exceeded.",
    );
static CODE: FieldDef = FieldDef::new("icmp.code", "Code", Kind::U8)
    .blurb("Detail of the type (for unreachable: 3 port, 1 host...).");
static CHECKSUM: FieldDef = FieldDef::new("icmp.checksum", "Checksum", Kind::U16).base(Base::Hex);
static CHECKSUM_STATUS: FieldDef =
    FieldDef::new("icmp.checksum.status", "Checksum Status", Kind::U8)
        .base(Base::None)
        .vals(super::ipv4::CHECKSUM_STATUS);
static IDENT: FieldDef = FieldDef::new("icmp.ident", "Identifier (BE)", Kind::U16)
    .base(Base::DecHex)
    .blurb("Identifies the ping process, so replies find their way to it.");
static IDENT_LE: FieldDef =
    FieldDef::new("icmp.ident_le", "Identifier (LE)", Kind::U16).base(Base::DecHex);
static SEQ: FieldDef = FieldDef::new("icmp.seq", "Sequence Number (BE)", Kind::U16)
    .base(Base::DecHex)
    .blurb("Counts the echo requests of one ping run (icmp_seq).");
static SEQ_LE: FieldDef =
    FieldDef::new("icmp.seq_le", "Sequence Number (LE)", Kind::U16).base(Base::DecHex);
static UNUSED: FieldDef = FieldDef::new("icmp.unused", "Unused", Kind::Bytes);
static MTU: FieldDef = FieldDef::new("icmp.mtu", "MTU of next hop", Kind::U16);
static REDIR_GW: FieldDef = FieldDef::new("icmp.redir_gw", "Gateway address", Kind::Ipv4);
static POINTER: FieldDef = FieldDef::new("icmp.pointer", "Pointer", Kind::U32);
static DATA: FieldDef = FieldDef::new("icmp.data", "Data", Kind::Bytes);
field_table!(
    FIELDS = [
        ICMP,
        TYPE,
        CODE,
        CHECKSUM,
        CHECKSUM_STATUS,
        IDENT,
        IDENT_LE,
        SEQ,
        SEQ_LE,
        UNUSED,
        MTU,
        REDIR_GW,
        POINTER,
        DATA
    ]
);

/// Dissects an ICMP message.
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &ICMP, off, avail, Value::None);
    cx.d.push_protocol("icmp");
    let quoted = cx.in_icmp_error;
    if !quoted {
        cx.d.cols.protocol = "ICMP";
    }
    if avail < 4 {
        cx.truncated(top, "ICMP");
        return avail;
    }
    let t = cx.data[off];
    let code = cx.data[off + 1];
    let n = cx.field(top, &TYPE, off, 1);
    let tname = TYPE.value_name(u64::from(t)).unwrap_or("Unknown");
    cx.d.set_label(n, format_args!("Type: {t} ({tname})"));
    let codes = match t {
        3 => Some(UNREACH_CODES),
        5 => Some(REDIRECT_CODES),
        11 => Some(EXCEEDED_CODES),
        _ => None,
    };
    let cname = codes.and_then(|c| {
        c.iter()
            .find(|(k, _)| *k == u64::from(code))
            .map(|(_, n)| *n)
    });
    let n = cx.field(top, &CODE, off + 1, 1);
    if let Some(c) = cname {
        cx.d.set_label(n, format_args!("Code: {code} ({c})"));
    }
    let ck = be16(cx.data, off + 2);
    let ckn = cx.field(top, &CHECKSUM, off + 2, 2);
    if end <= cx.data.len() && !quoted {
        // ICMP checksums are verified, as in Wireshark.
        let calc = inet_checksum(&[&cx.data[off..off + 2], &cx.data[off + 4..end]]);
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
    let label_info = |cx: &mut Ctx<'_>, extra: &str| {
        let l = match cname {
            Some(c) => format!("{tname} ({c})"),
            None => tname.to_string(),
        };
        if !quoted {
            cx.d.set_info(format_args!("{l}{extra}"));
        }
    };
    match t {
        0 | 8 | 13 | 14 | 17 | 18 if avail >= 8 => {
            cx.field(top, &IDENT, off + 4, 2);
            cx.d.add(
                top,
                &IDENT_LE,
                off + 4,
                2,
                Value::U(u64::from(be16(cx.data, off + 4).swap_bytes())),
            );
            cx.field(top, &SEQ, off + 6, 2);
            cx.d.add(
                top,
                &SEQ_LE,
                off + 6,
                2,
                Value::U(u64::from(be16(cx.data, off + 6).swap_bytes())),
            );
            let id = be16(cx.data, off + 4);
            let seq = be16(cx.data, off + 6);
            let extra = format!(
                "  id=0x{id:04x}, seq={seq}/{}, ttl={}",
                seq.swap_bytes(),
                cx.ttl
            );
            label_info(cx, &extra);
            if off + 8 < end.min(cx.data.len()) {
                super::data::dissect(cx, top, off + 8, end);
            }
        }
        3 | 4 | 5 | 11 | 12 if avail >= 8 => {
            match (t, code) {
                (3, 4) => {
                    cx.d.add(top, &UNUSED, off + 4, 2, Value::Bytes);
                    cx.field(top, &MTU, off + 6, 2);
                }
                (5, _) => {
                    cx.field(top, &REDIR_GW, off + 4, 4);
                }
                (12, _) => {
                    cx.d.add(
                        top,
                        &POINTER,
                        off + 4,
                        1,
                        Value::U(u64::from(cx.data[off + 4])),
                    );
                    cx.d.add(top, &UNUSED, off + 5, 3, Value::Bytes);
                }
                _ => {
                    cx.d.add(top, &UNUSED, off + 4, 4, Value::Bytes);
                }
            }
            label_info(cx, "");
            // The quoted packet: the IP header and the first bytes of its payload.
            if off + 8 < end.min(cx.data.len()) && !quoted {
                let saved = (cx.in_icmp_error, cx.net);
                cx.in_icmp_error = true;
                cx.dispatch(super::IP_PROTOCOLS, 4, top, off + 8, end);
                cx.in_icmp_error = saved.0;
                cx.net = saved.1;
            }
        }
        _ => {
            label_info(cx, "");
            if off + 4 < end.min(cx.data.len()) {
                cx.d.add(
                    top,
                    &DATA,
                    off + 4,
                    end.min(cx.data.len()) - off - 4,
                    Value::Bytes,
                );
            }
        }
    }
    if avail < 8 && matches!(t, 0 | 3 | 4 | 5 | 8 | 11 | 12 | 13 | 14) {
        cx.truncated(top, "ICMP");
    }
    avail
}
