//! JSON in tshark's `-T json` layout (`_source.layers`, one object per layer,
//! `abbrev_tree` for subtrees, duplicate keys kept as tshark keeps them), and
//! JSON Lines (`-T jsonl`: one compact object per frame).

use sonde_dissect::display::{civil_utc, write_value};
use sonde_dissect::tree::{Group, NodeId, Severity};
use sonde_dissect::{Dissection, Kind};
use std::fmt::Write;

fn esc(out: &mut String, s: &str) {
    // tshark also escapes the '/' of "</", which JSON allows.
    let j = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    out.push_str(&j.replace("</", "<\\/"));
}

fn severity_code(s: Severity) -> u32 {
    match s {
        Severity::Chat => 0x0020_0000,
        Severity::Note => 0x0040_0000,
        Severity::Warning => 0x0060_0000,
        Severity::Error => 0x0080_0000,
    }
}

fn group_code(g: Group) -> u32 {
    match g {
        Group::Checksum => 0x0100_0000,
        Group::Sequence => 0x0200_0000,
        Group::ResponseCode => 0x0300_0000,
        Group::RequestCode => 0x0400_0000,
        Group::Undecoded => 0x0500_0000,
        Group::Reassemble => 0x0600_0000,
        Group::Malformed => 0x0700_0000,
        Group::Protocol => 0x0900_0000,
        Group::Comment => 0x0b00_0000,
    }
}

struct W<'a> {
    out: &'a mut String,
    pretty: bool,
    depth: usize,
}

impl W<'_> {
    fn nl(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }
    fn key(&mut self, first: &mut bool, k: &str) {
        if !*first {
            self.out.push(',');
        }
        *first = false;
        self.nl();
        esc(self.out, k);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }
}

fn write_children(w: &mut W<'_>, d: &Dissection, data: &[u8], parent: NodeId) {
    w.out.push('{');
    w.depth += 1;
    let mut first = true;
    for c in d.children(parent) {
        let n = d.node(c);
        if n.expert != u32::MAX {
            let e = &d.experts[n.expert as usize];
            w.key(&mut first, "_ws.expert");
            w.out.push('{');
            w.depth += 1;
            let mut f2 = true;
            w.key(&mut f2, n.def.abbrev);
            w.out.push_str("\"\"");
            w.key(&mut f2, "_ws.expert.message");
            esc(w.out, d.span_str(e.message));
            w.key(&mut f2, "_ws.expert.severity");
            let _ = write!(w.out, "\"{}\"", severity_code(e.severity));
            w.key(&mut f2, "_ws.expert.group");
            let _ = write!(w.out, "\"{}\"", group_code(e.group));
            w.depth -= 1;
            w.nl();
            w.out.push('}');
            continue;
        }
        if n.def.kind == Kind::Protocol {
            w.key(&mut first, n.def.abbrev);
            write_children(w, d, data, c);
            continue;
        }
        if std::ptr::eq(n.def, &sonde_dissect::proto::WS_TEXT) {
            // A text item: tshark uses its text as the key.
            let label = d.span_str(n.label).to_string();
            w.key(&mut first, &label);
            if d.has_children(c) {
                write_children(w, d, data, c);
            } else {
                w.out.push_str("\"\"");
            }
            continue;
        }
        if n.def.kind == Kind::None && (n.len == 0 || n.is_generated()) && d.has_children(c) {
            // A valueless subtree (like tcp.analysis): tshark writes its children directly.
            w.key(&mut first, n.def.abbrev);
            write_children(w, d, data, c);
            continue;
        }
        w.key(&mut first, n.def.abbrev);
        let mut v = String::new();
        if n.def.kind == Kind::None && n.len > 0 && !n.is_generated() {
            // tshark shows a field without a value by its bytes.
            sonde_dissect::display::write_bytes_colon(&mut v, d.bytes(data, c));
        } else {
            write_value(&mut v, d, data, c);
        }
        esc(w.out, &v);
        if d.has_children(c) {
            let k = format!("{}_tree", n.def.abbrev);
            w.key(&mut first, &k);
            write_children(w, d, data, c);
        }
    }
    w.depth -= 1;
    if !first {
        w.nl();
    }
    w.out.push('}');
}

/// Writes one frame as a tshark-style JSON object.
pub fn write_packet(out: &mut String, d: &Dissection, data: &[u8], pretty: bool) {
    let (y, m, day, ..) = civil_utc(d.frame.ts_ns);
    let mut w = W {
        out,
        pretty,
        depth: if pretty { 1 } else { 0 },
    };
    w.out.push('{');
    w.depth += 1;
    let mut first = true;
    w.key(&mut first, "_index");
    let _ = write!(w.out, "\"packets-{y:04}-{m:02}-{day:02}\"");
    w.key(&mut first, "_type");
    w.out.push_str("\"doc\"");
    w.key(&mut first, "_score");
    w.out.push_str("null");
    w.key(&mut first, "_source");
    w.out.push('{');
    w.depth += 1;
    let mut f2 = true;
    w.key(&mut f2, "layers");
    write_children(&mut w, d, data, sonde_dissect::tree::ROOT);
    w.depth -= 1;
    w.nl();
    w.out.push('}');
    w.depth -= 1;
    w.nl();
    w.out.push('}');
}
