//! Arbitrary bytes as frames: dissect them and print them every way sonde can.
//! Must never panic or hang, whatever the link type and the bytes.
//!
//! Input layout:
//! - byte 0, the mode: bits 0-2 pick the link type in [`LINK_TYPES`] (7 wraps
//!   to 0), bit 3 asks for labels (as `read -V`), bit 4 verifies checksums,
//!   bits 5-7 pick the summary's time format;
//! - the rest is dissected once as a single frame (fresh dissector), and once
//!   as a sequence of frames through one dissector, so that the TCP and UDP
//!   trackers carry state between them: each frame is a 2-byte big-endian
//!   header then its bytes. The header's low 15 bits are the frame's length on
//!   the wire; a last frame cut short by the end of the input keeps that
//!   length (a snap-length cut). Its top bit moves the clock an hour and more
//!   forward instead of one second (idle streams). Odd frames get a partial
//!   tree (the fields a filter or `stats conv` reads; every other one
//!   without the Info column), even frames the whole tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sonde_capture::Frame;
use sonde_dissect::{Dissection, Dissector, Options};
use sonde_output::{FieldsOptions, FieldsPrinter, SummaryOptions, TimeFormat};

const LINK_TYPES: [u32; 7] = [1, 101, 113, 276, 0, 228, 229];
const TIME_FORMATS: [TimeFormat; 8] = [
    TimeFormat::Relative,
    TimeFormat::Absolute,
    TimeFormat::AbsoluteDate,
    TimeFormat::Delta,
    TimeFormat::DeltaDisplayed,
    TimeFormat::Epoch,
    TimeFormat::Utc,
    TimeFormat::UtcDate,
];
const T0: i128 = 1_700_000_000_000_000_000;

struct Mode {
    link_type: u32,
    labels: bool,
    opts: Options,
    summary: SummaryOptions,
}

/// Runs every printer over one dissected frame.
fn print_all(d: &Dissection, data: &[u8], m: &Mode, fields: Option<&mut FieldsPrinter>) {
    let mut s = String::new();
    sonde_output::summary::write_summary(&mut s, d, &m.summary);
    s.clear();
    sonde_output::tree::write_tree(&mut s, d, data);
    s.clear();
    sonde_output::json::write_packet(&mut s, d, data, false);
    s.clear();
    sonde_output::json::write_packet(&mut s, d, data, true);
    s.clear();
    sonde_output::explain::write_explain(&mut s, d, data);
    s.clear();
    sonde_output::hex::write_hex(&mut s, d, data);
    if let Some(p) = fields {
        s.clear();
        p.write_line(&mut s, d, data);
    }
    // Every node's bytes can be asked for.
    for (id, _depth) in d.walk() {
        std::hint::black_box(d.bytes(data, id));
    }
    std::hint::black_box(d.info());
}

fn frame(number: u64, ts_ns: i128, orig_len: u32, link_type: u32, data: &[u8]) -> Frame<'_> {
    Frame {
        number,
        ts_ns,
        orig_len,
        link_type,
        interface_id: 0,
        data,
        comment: None,
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let m = Mode {
        link_type: LINK_TYPES[(mode & 7) as usize % LINK_TYPES.len()],
        labels: mode & 8 != 0,
        opts: Options {
            verify_checksums: mode & 16 != 0,
            ..Default::default()
        },
        summary: SummaryOptions {
            time: TIME_FORMATS[(mode >> 5) as usize],
            ..Default::default()
        },
    };

    // The whole rest as one frame, with every registered field printed.
    {
        let mut names: Vec<String> =
            sonde_dissect::registry::all_fields().map(|f| f.abbrev.to_string()).collect();
        names.extend(["_ws.col.No.", "_ws.col.Time", "_ws.col.Source", "_ws.col.Info"].map(String::from));
        let mut fields = FieldsPrinter::new(&names, FieldsOptions::default(), m.summary)
            .expect("registered fields resolve");
        let mut dis = Dissector::new(m.opts);
        dis.set_interfaces(vec![Some("fuzz0".into())], Vec::new());
        let mut d = Dissection::new();
        d.want_labels = m.labels;
        dis.dissect(&frame(1, T0, rest.len() as u32, m.link_type, rest), &mut d);
        print_all(&d, rest, &m, Some(&mut fields));
    }

    // The rest as length-prefixed frames through one dissector.
    let keep: Vec<&'static sonde_dissect::FieldDef> = [
        "tcp.port", "http.host", "ip.src", "ipv6.dst", "eth.src", "tcp.stream", "tcp.len",
        "tcp.flags", "udp.stream", "_ws.malformed", "_ws.short", "tcp.analysis.flags",
        "tcp.segment", "http.request.uri", "frame.protocols",
    ]
    .iter()
    .map(|n| sonde_dissect::registry::lookup(n).expect("registered"))
    .collect();
    let mut dis = Dissector::new(m.opts);
    let mut d = Dissection::new();
    let mut ts = T0;
    let mut number = 0;
    let mut buf = rest;
    while buf.len() >= 2 {
        let h = u16::from_be_bytes([buf[0], buf[1]]);
        buf = &buf[2..];
        let orig_len = (h & 0x7fff) as usize;
        let data = &buf[..orig_len.min(buf.len())];
        buf = &buf[data.len()..];
        ts += if h & 0x8000 != 0 { 3_700_000_000_000 } else { 1_000_000_000 };
        number += 1;
        if number % 2 == 1 {
            d.keep_only(&keep[..(number as usize % keep.len()) + 1]);
            d.want_info = number % 4 == 1;
        } else {
            d.want_tree = true;
            d.want_labels = m.labels;
            d.want_info = true;
        }
        dis.dissect(&frame(number, ts, orig_len as u32, m.link_type, data), &mut d);
        print_all(&d, data, &m, None);
        if number % 2 == 0 {
            dis.mark_displayed(&d);
        }
    }
});
