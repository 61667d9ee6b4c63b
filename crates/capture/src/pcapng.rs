//! pcapng blocks, parsed from a whole block held in memory.
//!
//! Every block is `type u32, total length u32, body, total length u32`, in the
//! byte order of its section (set by the Section Header Block's byte-order
//! magic). Functions here take the whole block (`b`, header and trailer
//! included, already length-checked by the reader) and its file offset.

use std::ops::Range;

use crate::bytes::{pad4, text, Endian};
use crate::error::CaptureError;
use crate::info::{InterfaceInfo, SectionInfo};

/// Section Header Block type (a palindrome: the same in both byte orders).
pub(crate) const SHB: u32 = 0x0A0D_0D0A;
/// Interface Description Block.
pub(crate) const IDB: u32 = 1;
/// Obsolete Packet Block.
pub(crate) const PB: u32 = 2;
/// Simple Packet Block.
pub(crate) const SPB: u32 = 3;
/// Enhanced Packet Block.
pub(crate) const EPB: u32 = 6;
/// Byte-order magic in the SHB.
pub(crate) const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Largest block accepted. Blocks are read whole; a larger length means a
/// corrupt file (or a pathological one) and is reported before any allocation.
pub const MAX_BLOCK_LEN: u32 = 64 * 1024 * 1024;

const FMT: &str = "pcapng";

const OPT_ENDOFOPT: u16 = 0;
const OPT_COMMENT: u16 = 1;

/// A human name for a block type, for messages.
pub(crate) fn block_name(t: u32) -> &'static str {
    match t {
        SHB => "section header block",
        IDB => "interface description block",
        PB => "packet block",
        SPB => "simple packet block",
        4 => "name resolution block",
        5 => "interface statistics block",
        EPB => "enhanced packet block",
        0x0A => "decryption secrets block",
        0x0BAD | 0x4000_0BAD => "custom block",
        _ => "block",
    }
}

/// Walks the options of a block: `code u16, length u16, value, padding to 4`.
/// An option whose value runs past the block is an error (as in Wireshark and
/// libpcap); `opt_endofopt` or the end of the block ends the walk.
pub(crate) struct Options<'a> {
    b: &'a [u8],
    pos: usize,
    end: usize,
    e: Endian,
    block_offset: u64,
    block: &'static str,
    frame: Option<u64>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(
        b: &'a [u8],
        range: Range<usize>,
        e: Endian,
        block_offset: u64,
        block_type: u32,
        frame: Option<u64>,
    ) -> Self {
        Options {
            b,
            pos: range.start,
            end: range.end.min(b.len()),
            e,
            block_offset,
            block: block_name(block_type),
            frame,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    /// (code, value, value's range in the block)
    type Item = Result<(u16, Range<usize>), CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.end {
            return None;
        }
        let left = self.end - self.pos;
        if left < 4 {
            let pos = self.pos;
            self.pos = self.end;
            return Some(Err(CaptureError::malformed(
                FMT,
                self.block_offset + pos as u64,
                self.frame,
                format!(
                    "{left} stray bytes after the last option of a {}, too short for an option header",
                    self.block
                ),
            )));
        }
        let code = self.e.u16(self.b, self.pos);
        let len = usize::from(self.e.u16(self.b, self.pos + 2));
        if code == OPT_ENDOFOPT {
            self.pos = self.end;
            return None;
        }
        let start = self.pos + 4;
        if len > self.end - start {
            let pos = self.pos;
            self.pos = self.end;
            return Some(Err(CaptureError::malformed(
                FMT,
                self.block_offset + pos as u64,
                self.frame,
                format!(
                    "option {code} of length {len} runs past the end of its {} ({} bytes left)",
                    self.block,
                    self.end - start
                ),
            )));
        }
        self.pos = (start + pad4(len)).min(self.end);
        Some(Ok((code, start..start + len)))
    }
}

/// Reads the byte order from a Section Header Block's first 12 bytes.
pub(crate) fn shb_endian(head: &[u8]) -> Option<Endian> {
    [Endian::Little, Endian::Big]
        .into_iter()
        .find(|e| e.u32(head, 8) == BYTE_ORDER_MAGIC)
}

/// Parses a Section Header Block: version check (1.0 or 1.2, as libpcap and
/// Wireshark accept) and its options.
pub(crate) fn parse_shb(
    b: &[u8],
    e: Endian,
    offset: u64,
    index: u32,
) -> Result<(SectionInfo, (u16, u16)), CaptureError> {
    if b.len() < 28 {
        return Err(CaptureError::malformed(
            FMT,
            offset,
            None,
            format!(
                "section header block too short ({} bytes, at least 28)",
                b.len()
            ),
        ));
    }
    let major = e.u16(b, 12);
    let minor = e.u16(b, 14);
    if !(major == 1 && (minor == 0 || minor == 2)) {
        return Err(CaptureError::UnsupportedVersion {
            format: FMT,
            major,
            minor,
            offset,
        });
    }
    let mut s = SectionInfo {
        index,
        offset,
        ..SectionInfo::default()
    };
    for opt in Options::new(b, 24..b.len() - 4, e, offset, SHB, None) {
        let (code, r) = opt?;
        let v = &b[r];
        match code {
            OPT_COMMENT => s.comments.push(text(v)),
            2 => s.hardware = Some(text(v)),
            3 => s.os = Some(text(v)),
            4 => s.user_appl = Some(text(v)),
            _ => {}
        }
    }
    Ok((s, (major, minor)))
}

/// Parses an Interface Description Block.
pub(crate) fn parse_idb(
    b: &[u8],
    e: Endian,
    offset: u64,
    section: u32,
) -> Result<InterfaceInfo, CaptureError> {
    if b.len() < 20 {
        return Err(CaptureError::malformed(
            FMT,
            offset,
            None,
            format!(
                "interface description block too short ({} bytes, at least 20)",
                b.len()
            ),
        ));
    }
    let mut i = InterfaceInfo::new(u32::from(e.u16(b, 8)), e.u32(b, 12), section);
    for opt in Options::new(b, 16..b.len() - 4, e, offset, IDB, None) {
        let (code, r) = opt?;
        let v = &b[r];
        match code {
            OPT_COMMENT => i.comments.push(text(v)),
            2 => i.name = Some(text(v)),
            3 => i.description = Some(text(v)),
            9 => {
                if let Some(&r) = v.first() {
                    i.tsresol = r;
                }
            }
            11 => {
                // First byte: filter type (0 = libpcap filter string).
                if let Some(f) = v.get(1..) {
                    i.filter = Some(text(f));
                }
            }
            12 => i.os = Some(text(v)),
            13 => i.fcs_len = v.first().map(|&n| u32::from(n)),
            14 if v.len() == 8 => i.ts_offset = e.u64(v, 0) as i64,
            15 => i.hardware = Some(text(v)),
            _ => {}
        }
    }
    Ok(i)
}

/// Where a packet's pieces are in the block buffer, and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Packet {
    /// Index of the interface within the section.
    pub if_index: usize,
    /// Raw timestamp in ticks (`None` for a Simple Packet Block).
    pub ticks: Option<u64>,
    pub orig_len: u32,
    pub data: Range<usize>,
    /// First `opt_comment`, trimmed to its valid UTF-8 prefix.
    pub comment: Option<Range<usize>>,
}

/// Parses an EPB, PB or SPB. `snaplens` are the section's interfaces' snaplens
/// (SPB uses interface 0's to find its captured length).
pub(crate) fn parse_packet(
    btype: u32,
    b: &[u8],
    e: Endian,
    offset: u64,
    frame: u64,
    snaplens: &dyn Fn(usize) -> Option<u32>,
) -> Result<Packet, CaptureError> {
    let bad = |reason: String| CaptureError::malformed(FMT, offset, Some(frame), reason);
    let name = block_name(btype);
    let body_end = b.len().saturating_sub(4);
    if btype == SPB {
        if b.len() < 16 {
            return Err(bad(format!(
                "{name} too short ({} bytes, at least 16)",
                b.len()
            )));
        }
        let Some(snaplen) = snaplens(0) else {
            return Err(bad(format!(
                "{name} before any interface description block in its section"
            )));
        };
        let orig_len = e.u32(b, 8);
        let mut caplen = (body_end - 12).min(orig_len as usize);
        if snaplen != 0 {
            caplen = caplen.min(snaplen as usize);
        }
        return Ok(Packet {
            if_index: 0,
            ticks: None,
            orig_len,
            data: 12..12 + caplen,
            comment: None,
        });
    }
    if b.len() < 32 {
        return Err(bad(format!(
            "{name} too short ({} bytes, at least 32)",
            b.len()
        )));
    }
    let if_index = if btype == PB {
        usize::from(e.u16(b, 8))
    } else {
        e.u32(b, 8) as usize
    };
    if snaplens(if_index).is_none() {
        return Err(bad(format!(
            "{name} refers to interface {if_index}, which its section has not described"
        )));
    }
    let ticks = (u64::from(e.u32(b, 12)) << 32) | u64::from(e.u32(b, 16));
    let caplen = e.u32(b, 20) as usize;
    let orig_len = e.u32(b, 24);
    if caplen > body_end - 28 {
        return Err(bad(format!(
            "{name} captured length {caplen} runs past the end of the block ({} bytes left)",
            body_end - 28
        )));
    }
    let data = 28..28 + caplen;
    let mut comment = None;
    let opts_start = (28 + pad4(caplen)).min(body_end);
    for opt in Options::new(b, opts_start..body_end, e, offset, btype, Some(frame)) {
        let (code, r) = opt?;
        if code == OPT_COMMENT && comment.is_none() {
            let v = &b[r.clone()];
            let end = v.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
            let valid = match std::str::from_utf8(&v[..end]) {
                Ok(_) => end,
                Err(err) => err.valid_up_to(),
            };
            comment = Some(r.start..r.start + valid);
        }
    }
    Ok(Packet {
        if_index,
        ticks: Some(ticks),
        orig_len,
        data,
        comment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_overrun_is_an_error() {
        // code 2, length 12336: far past the 8 bytes of the block.
        let b = [0u8, 2, 0x30, 0x30, 1, 2, 3, 4];
        let mut it = Options::new(&b, 0..8, Endian::Big, 100, SHB, None);
        let e = it.next().unwrap().unwrap_err().to_string();
        assert!(
            e.contains("option 2 of length 12336 runs past the end"),
            "{e}"
        );
        assert!(e.contains("offset 100"), "{e}");
        assert!(it.next().is_none());
    }

    #[test]
    fn options_end_at_endofopt() {
        let b = [1u8, 0, 3, 0, b'a', b'b', b'c', 0, 0, 0, 0, 0, 9, 9, 9, 9];
        let v: Vec<_> = Options::new(&b, 0..16, Endian::Little, 0, EPB, None)
            .map(|o| o.unwrap())
            .collect();
        assert_eq!(v, vec![(1, 4..7)]);
    }
}
