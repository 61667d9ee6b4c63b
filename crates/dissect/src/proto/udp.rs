//! UDP (RFC 768), with stream numbering like Wireshark's `udp.stream`.

use super::conv::ConvKey;
use super::{be16, inet_checksum, Ctx};
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{Group, NodeId, Severity, Value, ROOT};
use rustc_hash::FxHashMap;

/// `udp`
pub static UDP: FieldDef = FieldDef::new("udp", "User Datagram Protocol", Kind::Protocol).blurb(
    "The transport layer without connections: ports and a length, each datagram on its own.",
);
static SRCPORT: FieldDef = FieldDef::new("udp.srcport", "Source Port", Kind::U16)
    .blurb("Port of the sending application.");
static DSTPORT: FieldDef = FieldDef::new("udp.dstport", "Destination Port", Kind::U16)
    .blurb("Port of the receiving application (a server's well-known port, or the client's ephemeral port in a reply).");
static PORT: FieldDef = FieldDef::new("udp.port", "Source or Destination Port", Kind::U16);
static LENGTH: FieldDef = FieldDef::new("udp.length", "Length", Kind::U16)
    .blurb("Length of the UDP header (8 bytes) plus data.");
static CHECKSUM: FieldDef = FieldDef::new("udp.checksum", "Checksum", Kind::U16)
    .base(Base::Hex)
    .blurb("Checksum over a pseudo-header, the UDP header and data (0 = none, IPv4 only).");
static CHECKSUM_CALC: FieldDef =
    FieldDef::new("udp.checksum_calculated", "Calculated Checksum", Kind::U16).base(Base::Hex);
static CHECKSUM_STATUS: FieldDef =
    FieldDef::new("udp.checksum.status", "Checksum Status", Kind::U8)
        .base(Base::None)
        .vals(super::ipv4::CHECKSUM_STATUS);
static STREAM: FieldDef = FieldDef::new("udp.stream", "Stream index", Kind::U32).blurb(
    "Wireshark's number for this pair of addresses and ports, from 0 in order of appearance.",
);
static TIME_RELATIVE: FieldDef =
    FieldDef::new("udp.time_relative", "Time since first frame", Kind::RelTime);
static TIME_DELTA: FieldDef =
    FieldDef::new("udp.time_delta", "Time since previous frame", Kind::RelTime);
static PAYLOAD: FieldDef = FieldDef::new("udp.payload", "Payload", Kind::Bytes);
field_table!(
    FIELDS = [
        UDP,
        SRCPORT,
        DSTPORT,
        PORT,
        LENGTH,
        CHECKSUM,
        CHECKSUM_CALC,
        CHECKSUM_STATUS,
        STREAM,
        TIME_RELATIVE,
        TIME_DELTA,
        PAYLOAD
    ]
);

struct Conv {
    index: u32,
    first_ts: i64,
    last_ts: i64,
}

/// UDP conversations seen so far.
#[derive(Default)]
pub struct Tracker {
    convs: FxHashMap<ConvKey, Conv>,
    next: u32,
}

impl Tracker {
    /// Forgets conversations idle for more than `idle_ns` before `now`, keeping memory bounded.
    pub fn sweep(&mut self, now: i64, idle_ns: i64) {
        self.convs.retain(|_, c| now - c.last_ts <= idle_ns);
    }

    /// Number of conversations held.
    pub fn len(&self) -> usize {
        self.convs.len()
    }

    /// True when none are held.
    pub fn is_empty(&self) -> bool {
        self.convs.is_empty()
    }
}

/// Dissects a UDP datagram.
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &UDP, off, avail.min(8), Value::None);
    cx.d.push_protocol("udp");
    if !cx.in_icmp_error {
        cx.d.cols.protocol = "UDP";
    }
    if avail < 8 {
        if avail >= 4 {
            let (sp, dp) = (be16(cx.data, off), be16(cx.data, off + 2));
            cx.d.set_label(
                top,
                format_args!("User Datagram Protocol, Src Port: {sp}, Dst Port: {dp}"),
            );
            cx.field(top, &SRCPORT, off, 2);
            cx.field(top, &DSTPORT, off + 2, 2);
        }
        cx.truncated(top, "UDP");
        return avail;
    }
    let sp = be16(cx.data, off);
    let dp = be16(cx.data, off + 2);
    let ulen = usize::from(be16(cx.data, off + 4));
    cx.d.set_label(
        top,
        format_args!("User Datagram Protocol, Src Port: {sp}, Dst Port: {dp}"),
    );
    cx.field(top, &SRCPORT, off, 2);
    cx.field(top, &DSTPORT, off + 2, 2);
    cx.d.add_hidden(top, &PORT, off, 2, Value::U(u64::from(sp)));
    cx.d.add_hidden(top, &PORT, off + 2, 2, Value::U(u64::from(dp)));
    let ln = cx.field(top, &LENGTH, off + 4, 2);
    let ck = be16(cx.data, off + 6);
    let ckn = cx.field(top, &CHECKSUM, off + 6, 2);
    let bad_len = ulen < 8 || off + ulen > end;
    if bad_len {
        cx.d.expert(
            ln,
            &super::WS_EXPERT,
            Severity::Error,
            Group::Malformed,
            format_args!(
                "Bad length value {ulen} {} IP payload length",
                if ulen < 8 { "<" } else { ">" }
            ),
        );
    }
    let pend = if bad_len {
        end.min(cx.data.len())
    } else {
        off + ulen
    };
    let calc =
        (cx.verify_checksums && ck != 0 && !bad_len && pend <= cx.data.len() && cx.net.len != 0)
            .then(|| {
                let mut pseudo = [0u8; 40];
                let plen = super::pseudo_header(&cx.net, 17, ulen, &mut pseudo);
                let calc = inet_checksum(&[
                    &pseudo[..plen],
                    &cx.data[off..off + 6],
                    &cx.data[off + 8..pend],
                ]);
                // A computed zero is sent as 0xffff (0 means "no checksum").
                if calc == 0 {
                    0xffff
                } else {
                    calc
                }
            });
    super::show_checksum(
        cx,
        top,
        ckn,
        ck,
        calc,
        Some(&CHECKSUM_CALC),
        &CHECKSUM_STATUS,
        Severity::Error,
    );
    if !cx.in_icmp_error {
        let now = cx.d.frame.ts_ns;
        let (key, _) = ConvKey::new(&cx.net, sp, dp);
        let trk = &mut cx.trk.udp;
        let next = &mut trk.next;
        let c = trk.convs.entry(key).or_insert_with(|| {
            let c = Conv {
                index: *next,
                first_ts: now,
                last_ts: now,
            };
            *next += 1;
            c
        });
        let (index, rel, delta) = (c.index, now - c.first_ts, now - c.last_ts);
        c.last_ts = now;
        cx.d.add_generated(top, &STREAM, Value::U(u64::from(index)));
        let ts = cx.d.add(top, &super::WS_TEXT, 0, 0, Value::None);
        cx.d.set_generated(ts);
        cx.d.set_label(ts, format_args!("Timestamps"));
        cx.d.add_generated(ts, &TIME_RELATIVE, Value::Time(rel));
        cx.d.add_generated(ts, &TIME_DELTA, Value::Time(delta));
        cx.d.set_info(format_args!(
            "{sp} → {dp} Len={}",
            pend.saturating_sub(off + 8)
        ));
    }
    let payload_end = pend.min(cx.data.len());
    if off + 8 < payload_end {
        let n =
            cx.d.add(top, &PAYLOAD, off + 8, payload_end - off - 8, Value::Bytes);
        cx.d.set_label(
            n,
            format_args!("UDP payload ({} bytes)", payload_end - off - 8),
        );
        super::data::dissect(cx, top, off + 8, payload_end);
    }
    pend - off
}
