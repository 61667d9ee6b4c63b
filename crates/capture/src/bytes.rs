//! Byte-order aware reads that never panic: out-of-range reads give 0, and
//! callers check lengths first.

/// Byte order of a pcap file or a pcapng section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn u16(self, b: &[u8], at: usize) -> u16 {
        match b
            .get(at..at.wrapping_add(2))
            .and_then(|s| <[u8; 2]>::try_from(s).ok())
        {
            Some(a) if self == Endian::Little => u16::from_le_bytes(a),
            Some(a) => u16::from_be_bytes(a),
            None => 0,
        }
    }

    pub(crate) fn u32(self, b: &[u8], at: usize) -> u32 {
        match b
            .get(at..at.wrapping_add(4))
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
        {
            Some(a) if self == Endian::Little => u32::from_le_bytes(a),
            Some(a) => u32::from_be_bytes(a),
            None => 0,
        }
    }

    pub(crate) fn u64(self, b: &[u8], at: usize) -> u64 {
        match b
            .get(at..at.wrapping_add(8))
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
        {
            Some(a) if self == Endian::Little => u64::from_le_bytes(a),
            Some(a) => u64::from_be_bytes(a),
            None => 0,
        }
    }
}

/// Rounds `n` up to a multiple of 4 (pcapng padding), saturating.
pub(crate) fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// An option or string value as text: trailing NULs dropped (some writers add
/// one), invalid UTF-8 replaced.
pub(crate) fn text(b: &[u8]) -> String {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
    String::from_utf8_lossy(&b[..end]).into_owned()
}
