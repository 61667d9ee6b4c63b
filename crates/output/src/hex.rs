//! The hex and ASCII dump, in tshark's `-x` layout.

use sonde_dissect::Dissection;
use std::fmt::Write;

/// Writes one block of bytes: `0000  b8 26 6c ...   .&l.'v..`.
pub fn write_hex_block(out: &mut String, data: &[u8]) {
    for (i, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}  ", i * 16);
        for j in 0..16 {
            match chunk.get(j) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
        }
        out.push_str("  ");
        for &b in chunk {
            out.push(if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            });
        }
        out.push('\n');
    }
}

/// Writes the frame's bytes and any reassembled data sources.
pub fn write_hex(out: &mut String, d: &Dissection, data: &[u8]) {
    if !d.sources.is_empty() {
        let _ = writeln!(out, "Frame ({} bytes):", data.len());
    }
    write_hex_block(out, data);
    for (name, bytes) in &d.sources {
        let _ = writeln!(out, "{name} ({} bytes):", bytes.len());
        write_hex_block(out, bytes);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn layout_matches_tshark() {
        let mut s = String::new();
        super::write_hex_block(&mut s, &[0x04, 0x02, 0x41]);
        assert_eq!(
            s,
            "0000  04 02 41                                          ..A\n"
        );
    }
}
