//! `sonde explain`: every field of one frame, layer by layer, with its byte
//! offset and length, the raw bytes, the value in decimal and hexadecimal (binary
//! for bit fields) and what it means.

use sonde_dissect::display::{write_display_value, write_value};
use sonde_dissect::ports::{tcp_name, udp_name, PortClass};
use sonde_dissect::tree::{NodeId, Value};
use sonde_dissect::{oui, Dissection, Kind};
use std::fmt::Write;

/// The name of a layer's PDU, as networking courses teach them.
pub fn pdu_name(proto: &str) -> (&'static str, &'static str) {
    match proto {
        "frame" => ("capture record", "what the capture tool recorded"),
        "eth" | "sll" | "null" | "raw" | "vlan" | "ieee8021ad" | "llc" => {
            ("frame", "layer 2, data link")
        }
        "arp" => ("message", "layer 2.5, address resolution"),
        "ip" | "ipv6" | "ipv6.hopopts" | "ipv6.routing" | "ipv6.fragment" | "ipv6.dstopts" => {
            ("packet", "layer 3, network")
        }
        "icmp" | "icmpv6" => ("message", "layer 3, network control"),
        "tcp" => ("segment", "layer 4, transport"),
        "udp" => ("datagram", "layer 4, transport"),
        _ => ("message", "layer 7, application"),
    }
}

fn hex_bytes(out: &mut String, b: &[u8], max: usize) {
    for (i, x) in b.iter().take(max).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{x:02x}");
    }
    if b.len() > max {
        out.push_str(" …");
    }
}

/// Facts worth adding about a value: vendors, port classes, services.
fn meaning(d: &Dissection, data: &[u8], id: NodeId) -> Vec<String> {
    let n = d.node(id);
    let a = n.def.abbrev;
    let mut m = Vec::new();
    let b = d.bytes(data, id);
    match (n.def.kind, n.value) {
        (Kind::Ether, _) if b.len() == 6 => {
            let mac: [u8; 6] = b.try_into().unwrap_or([0; 6]);
            match oui::vendor(mac) {
                Some((_, long)) => {
                    m.push(format!("vendor {long} (shown as {})", oui::resolved(mac)))
                }
                None => m.push("vendor not in the IEEE registry".into()),
            }
            m.push(if mac[0] & 1 != 0 {
                "group address (multicast or broadcast)".into()
            } else {
                "individual address (unicast)".into()
            });
            if mac[0] & 2 != 0 {
                m.push("locally administered (not the factory address)".into());
            }
        }
        (_, Value::U(v)) if a.ends_with("srcport") || a.ends_with("dstport") => {
            let port = v as u16;
            let svc = if a.starts_with("udp") {
                udp_name(port)
            } else {
                tcp_name(port)
            };
            if let Some(s) = svc {
                m.push(format!("service {s} (IANA)"));
            }
            m.push(PortClass::of(port).describe().to_string());
        }
        (Kind::Ipv4, _) if b.len() == 4 => {
            let v = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            m.push(format!("as one 32-bit number: {v} = 0x{v:08x}"));
            let kind = match b[0] {
                10 => Some("private (RFC 1918, 10.0.0.0/8)"),
                172 if (16..32).contains(&b[1]) => Some("private (RFC 1918, 172.16.0.0/12)"),
                192 if b[1] == 168 => Some("private (RFC 1918, 192.168.0.0/16)"),
                127 => Some("loopback"),
                169 if b[1] == 254 => Some("link-local"),
                224..=239 => Some("multicast"),
                255 if b == [255; 4] => Some("broadcast"),
                _ => None,
            };
            if let Some(k) = kind {
                m.push(k.to_string());
            }
        }
        _ => {}
    }
    m
}

/// Writes the explanation of one frame.
pub fn write_explain(out: &mut String, d: &Dissection, data: &[u8]) {
    let f = &d.frame;
    let _ = writeln!(
        out,
        "Frame {}: {} bytes on the wire, {} bytes captured",
        f.number, f.orig_len, f.cap_len
    );
    let protos: Vec<&str> = d
        .protocols
        .iter()
        .copied()
        .filter(|p| !p.starts_with('_'))
        .collect();
    let _ = writeln!(out, "Protocols, outermost first: {}", protos.join(" > "));
    if !d.info().is_empty() {
        let _ = writeln!(out, "Summary: {} {}", d.cols.protocol, d.info());
    }
    for layer in d.layers() {
        let n = d.node(layer);
        let (pdu, level) = pdu_name(n.def.abbrev);
        out.push('\n');
        let mut title = String::new();
        sonde_dissect::display::write_label(&mut title, d, data, layer);
        let _ = writeln!(out, "== {title}");
        if n.def.abbrev == "frame" {
            let _ = writeln!(out, "   {}", n.def.blurb);
        } else {
            let _ = writeln!(
                out,
                "   {} ({}): {level}; its PDU is called a {pdu}. Bytes {}..{} ({} bytes).",
                n.def.name,
                n.def.abbrev,
                n.start,
                (n.start + n.len).saturating_sub(1),
                n.len
            );
            if !n.def.blurb.is_empty() {
                let _ = writeln!(out, "   {}", n.def.blurb);
            }
        }
        explain_children(out, d, data, layer, 1);
    }
}

fn explain_children(out: &mut String, d: &Dissection, data: &[u8], parent: NodeId, depth: usize) {
    for c in d.children(parent) {
        let n = d.node(c);
        if n.is_hidden() {
            continue;
        }
        let indent = "  ".repeat(depth);
        if n.expert != u32::MAX {
            let e = &d.experts[n.expert as usize];
            let _ = writeln!(
                out,
                "{indent} ! {} ({}): {}",
                e.severity.name(),
                e.group.name(),
                d.span_str(e.message)
            );
            continue;
        }
        let mut line = String::new();
        let has_bytes = n.len > 0 && !n.is_generated();
        if has_bytes {
            let _ = write!(line, "{indent} @{:<4} len {:<3} ", n.start, n.len);
            let mut hx = String::new();
            hex_bytes(&mut hx, d.bytes(data, c), 8);
            let _ = write!(line, "{hx:<24} ");
        } else {
            let _ = write!(line, "{indent} {:<13}{:<25}", "", "[derived]");
        }
        if std::ptr::eq(n.def, &sonde_dissect::proto::WS_TEXT) {
            let _ = write!(line, "{}", d.span_str(n.label));
            let _ = writeln!(out, "{line}");
            explain_children(out, d, data, c, depth + 1);
            continue;
        }
        let _ = write!(line, "{} ({})", n.def.name, n.def.abbrev);
        let mut shown = String::new();
        write_display_value(&mut shown, d, data, c);
        match n.value {
            Value::U(v) => {
                if n.def.mask != 0 {
                    let width = (n.len * 8).clamp(8, 64);
                    let raw = d
                        .bytes(data, c)
                        .iter()
                        .take(8)
                        .fold(0u64, |a, &x| (a << 8) | u64::from(x));
                    let mut bits = String::new();
                    sonde_dissect::display::write_bits(&mut bits, n.def, width, raw);
                    let _ = write!(
                        line,
                        " = {v} (binary {}, mask 0x{:x})",
                        bits.trim_end_matches(" = "),
                        n.def.mask
                    );
                } else {
                    let w = (n.def.kind.bits() as usize / 4).max(2);
                    let _ = write!(line, " = {v} = 0x{v:0w$x}");
                }
                if let Some(name) = n.def.value_name(v) {
                    let _ = write!(line, " → {name}");
                } else if !n.label.is_empty() {
                    let _ = write!(line, " → {}", d.span_str(n.label));
                }
            }
            Value::Bool(b) => {
                let _ = write!(line, " = {} → {shown}", u8::from(b));
            }
            Value::None => {
                if !n.label.is_empty() {
                    let _ = write!(line, ": {}", d.span_str(n.label));
                }
            }
            _ => {
                let mut v = String::new();
                write_value(&mut v, d, data, c);
                if v.len() > 100 {
                    // Cut on a character boundary: strings from the wire may be UTF-8.
                    let mut cut = 100;
                    while !v.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    v.truncate(cut);
                    v.push('…');
                }
                let _ = write!(line, " = {v}");
            }
        }
        let _ = writeln!(out, "{line}");
        if !n.def.blurb.is_empty() {
            let _ = writeln!(out, "{indent}      {}", n.def.blurb);
        }
        for m in meaning(d, data, c) {
            let _ = writeln!(out, "{indent}      {m}");
        }
        explain_children(out, d, data, c, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use sonde_dissect::{Dissection, Dissector};

    /// Found by the dissect fuzz target: an HTTP header value with multi-byte
    /// UTF-8 around the 100-byte cut made explain panic.
    #[test]
    fn long_utf8_values_are_cut_on_a_character_boundary() {
        let mut req = b"GET / HTTP/1.1\r\nHost: ".to_vec();
        req.extend(std::iter::repeat_n("é".as_bytes(), 80).flatten());
        req.extend_from_slice(b"\r\n\r\n");
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let ip_len = (20 + 20 + req.len()) as u16;
        f.extend_from_slice(&[
            0x45,
            0,
            (ip_len >> 8) as u8,
            ip_len as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ]);
        f.extend_from_slice(&[
            0xc0, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0x10, 0, 0, 0, 0, 0,
        ]);
        f.extend_from_slice(&req);
        let frame = sonde_capture::Frame {
            number: 1,
            ts_ns: 0,
            orig_len: f.len() as u32,
            link_type: 1,
            interface_id: 0,
            data: &f,
            comment: None,
        };
        let mut dis = Dissector::new(Default::default());
        let mut d = Dissection::new();
        dis.dissect(&frame, &mut d);
        let mut out = String::new();
        super::write_explain(&mut out, &d, &f);
        assert!(out.contains("Host (http.host) = éé"), "{out}");
    }
}
