//! The Frame pseudo-protocol: what the capture source knows about the frame.

use super::Ctx;
use crate::field_table;
use crate::registry::{FieldDef, Kind};
use crate::tree::{Value, ROOT};

/// `frame`
pub static FRAME: FieldDef = FieldDef::new("frame", "Frame", Kind::Protocol)
    .blurb("What the capture recorded about this frame: when, how long, on which interface.");
static SECTION_NUMBER: FieldDef = FieldDef::new("frame.section_number", "Section number", Kind::U32)
    .blurb("Which section of a pcapng file the frame is in (files merged from several captures have several).");
static INTERFACE_ID: FieldDef = FieldDef::new("frame.interface_id", "Interface id", Kind::U32)
    .blurb("Which capture interface the frame arrived on (pcapng interface number).");
static INTERFACE_NAME: FieldDef =
    FieldDef::new("frame.interface_name", "Interface name", Kind::Str);
static ENCAP: FieldDef = FieldDef::new("frame.encap_type", "Encapsulation type", Kind::U32)
    .vals(&[
        (1, "Ethernet"),
        (7, "Raw IP"),
        (15, "NULL/Loopback"),
        (25, "Linux cooked-mode capture v1"),
        (210, "Linux cooked-mode capture v2"),
        (129, "Raw IPv4"),
        (130, "Raw IPv6"),
    ])
    .blurb("The link-layer header type the frame starts with (Wireshark's encapsulation number).");
static TIME: FieldDef = FieldDef::new("frame.time", "Arrival Time", Kind::AbsTime)
    .blurb("When the capturing host received the frame.");
static OFFSET_SHIFT: FieldDef = FieldDef::new(
    "frame.offset_shift",
    "Time shift for this packet",
    Kind::RelTime,
);
static TIME_EPOCH: FieldDef = FieldDef::new("frame.time_epoch", "Epoch Time", Kind::AbsTime)
    .blurb("Arrival time in seconds since 1970-01-01 00:00:00 UTC.");
static TIME_DELTA: FieldDef = FieldDef::new(
    "frame.time_delta",
    "Time delta from previous captured frame",
    Kind::RelTime,
);
static TIME_DELTA_DISPLAYED: FieldDef = FieldDef::new(
    "frame.time_delta_displayed",
    "Time delta from previous displayed frame",
    Kind::RelTime,
);
static TIME_RELATIVE: FieldDef = FieldDef::new(
    "frame.time_relative",
    "Time since reference or first frame",
    Kind::RelTime,
)
.blurb("Seconds since the first frame of the capture (the Time column).");
static NUMBER: FieldDef = FieldDef::new("frame.number", "Frame Number", Kind::U32)
    .blurb("Position of the frame in the capture, from 1 (the No. column).");
static LEN: FieldDef =
    FieldDef::new("frame.len", "Frame Length", Kind::U32).blurb("Bytes the frame had on the wire.");
static CAP_LEN: FieldDef = FieldDef::new("frame.cap_len", "Capture Length", Kind::U32)
    .blurb("Bytes the capture kept (less than the frame length when a snap length cut it).");
static MARKED: FieldDef = FieldDef::new("frame.marked", "Frame is marked", Kind::Bool);
static IGNORED: FieldDef = FieldDef::new("frame.ignored", "Frame is ignored", Kind::Bool);
static PROTOCOLS: FieldDef = FieldDef::new("frame.protocols", "Protocols in frame", Kind::Str)
    .blurb("The protocols found in the frame, outermost first.");
field_table!(
    FIELDS = [
        FRAME,
        INTERFACE_ID,
        INTERFACE_NAME,
        ENCAP,
        TIME,
        OFFSET_SHIFT,
        TIME_EPOCH,
        TIME_DELTA,
        TIME_DELTA_DISPLAYED,
        TIME_RELATIVE,
        NUMBER,
        LEN,
        CAP_LEN,
        MARKED,
        IGNORED,
        PROTOCOLS
    ]
);

/// Wireshark's encapsulation number for a link type.
pub fn encap_of(link_type: u32) -> u32 {
    match link_type {
        1 => 1,
        0 => 15,
        108 => 15,
        101 | 12 | 14 => 7,
        113 => 25,
        276 => 210,
        228 => 129,
        229 => 130,
        other => 1000 + other,
    }
}

/// Adds the frame layer; the link-layer dissector runs after it.
pub fn dissect(cx: &mut Ctx<'_>) -> u32 {
    let f = cx.d.frame;
    let len = cx.data.len();
    let top = cx.d.add(ROOT, &FRAME, 0, len, Value::None);
    cx.d.push_protocol("frame");
    let iface_name = cx
        .trk
        .interface_names
        .get(f.interface_id as usize)
        .cloned()
        .flatten();
    if cx.d.want_labels {
        match &iface_name {
            Some(n) => cx.d.set_label(top, format_args!(
                "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits) on interface {}, id {}",
                f.number, f.orig_len, u64::from(f.orig_len) * 8, f.cap_len, u64::from(f.cap_len) * 8, n, f.interface_id)),
            None => cx.d.set_label(top, format_args!(
                "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits)",
                f.number, f.orig_len, u64::from(f.orig_len) * 8, f.cap_len, u64::from(f.cap_len) * 8)),
        }
    }
    if let Some(&sec) = cx.trk.interface_sections.get(f.interface_id as usize) {
        cx.d.add(top, &SECTION_NUMBER, 0, 0, Value::U(u64::from(sec)));
    }
    if let Some(name) = iface_name {
        let id = cx.d.add(
            top,
            &INTERFACE_ID,
            0,
            0,
            Value::U(u64::from(f.interface_id)),
        );
        cx.d.set_label(
            id,
            format_args!("Interface id: {} ({})", f.interface_id, name),
        );
        let s = cx.d.push_text(format_args!("{name}"));
        cx.d.add(id, &INTERFACE_NAME, 0, 0, Value::Text(s));
    }
    cx.d.add(
        top,
        &ENCAP,
        0,
        0,
        Value::U(u64::from(encap_of(f.link_type))),
    );
    cx.d.add(top, &TIME, 0, 0, Value::Time(f.ts_ns));
    cx.d.add_generated(top, &OFFSET_SHIFT, Value::Time(0));
    cx.d.add(top, &TIME_EPOCH, 0, 0, Value::Time(f.ts_ns));
    cx.d.add_generated(top, &TIME_DELTA, Value::Time(f.delta_ns));
    cx.d.add_generated(
        top,
        &TIME_DELTA_DISPLAYED,
        Value::Time(f.delta_displayed_ns),
    );
    cx.d.add_generated(top, &TIME_RELATIVE, Value::Time(f.rel_ns));
    cx.d.add(top, &NUMBER, 0, 0, Value::U(f.number));
    let n = cx.d.add(top, &LEN, 0, 0, Value::U(u64::from(f.orig_len)));
    cx.d.set_label(
        n,
        format_args!(
            "Frame Length: {} bytes ({} bits)",
            f.orig_len,
            u64::from(f.orig_len) * 8
        ),
    );
    let n =
        cx.d.add(top, &CAP_LEN, 0, 0, Value::U(u64::from(f.cap_len)));
    cx.d.set_label(
        n,
        format_args!(
            "Capture Length: {} bytes ({} bits)",
            f.cap_len,
            u64::from(f.cap_len) * 8
        ),
    );
    cx.d.add_generated(top, &MARKED, Value::Bool(false));
    cx.d.add_generated(top, &IGNORED, Value::Bool(false));
    top
}

/// Adds `frame.protocols` once every layer is known.
pub fn finish(cx: &mut Ctx<'_>, top: u32) {
    if !cx.d.keeps(&PROTOCOLS) {
        return;
    }
    let start = cx.d.text.len() as u32;
    for (i, p) in
        cx.d.protocols
            .iter()
            .skip(1)
            .filter(|p| !p.starts_with('_'))
            .enumerate()
    {
        if i > 0 {
            cx.d.text.push(':');
        }
        cx.d.text.push_str(p);
    }
    let span = crate::tree::Span {
        start,
        end: cx.d.text.len() as u32,
    };
    cx.d.add_generated(top, &PROTOCOLS, Value::Text(span));
}
