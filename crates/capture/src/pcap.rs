//! Classic pcap (libpcap "savefile") headers.
//!
//! File header (24 bytes): magic, version major/minor (u16 each), thiszone,
//! sigfigs, snaplen, link-type word. Record header (16 bytes, 24 with the
//! "modified" magic): seconds, micro- or nanoseconds, captured length, original
//! length (then ifindex u32, protocol u16, pkt_type u8, padding u8).

use crate::bytes::Endian;
use crate::error::CaptureError;

/// Microsecond-resolution magic number.
pub(crate) const MAGIC_US: u32 = 0xa1b2_c3d4;
/// Nanosecond-resolution magic number.
pub(crate) const MAGIC_NS: u32 = 0xa1b2_3c4d;
/// Alexey Kuznetzov's "modified" pcap magic (24-byte record headers).
pub(crate) const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// Length of the file header.
pub(crate) const FILE_HEADER_LEN: usize = 24;

/// Largest captured length accepted in a record. libpcap stops at 262144 for
/// most link types; we are lax (some link types, e.g. D-Bus or USB, exceed it)
/// but refuse absurd lengths, which mean a corrupt file, before allocating.
pub const MAX_PCAP_RECORD: u32 = 16 * 1024 * 1024;

/// libpcap's `LT_RESERVED1`: bits that must be zero in the link-type word.
const LT_RESERVED1: u32 = 0x03FF_0000;
/// libpcap's `LT_FCS_LENGTH_PRESENT`.
const LT_FCS_LENGTH_PRESENT: u32 = 0x0400_0000;

/// A parsed and validated pcap file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileHeader {
    pub endian: Endian,
    pub nanos: bool,
    pub modified: bool,
    pub major: u16,
    pub minor: u16,
    pub snaplen: u32,
    pub link_type: u32,
    /// FCS length in bytes, when the link-type word says one is present.
    pub fcs_len: Option<u32>,
}

impl FileHeader {
    /// Length of each record header.
    pub(crate) fn record_header_len(&self) -> usize {
        if self.modified {
            24
        } else {
            16
        }
    }
}

/// Recognises a pcap magic number (first 4 bytes of the file) and returns
/// (byte order, nanoseconds, modified).
pub(crate) fn detect(magic: [u8; 4]) -> Option<(Endian, bool, bool)> {
    for endian in [Endian::Little, Endian::Big] {
        match endian.u32(&magic, 0) {
            MAGIC_US => return Some((endian, false, false)),
            MAGIC_NS => return Some((endian, true, false)),
            MAGIC_MODIFIED => return Some((endian, false, true)),
            _ => {}
        }
    }
    None
}

/// Parses and validates the 24-byte file header, with libpcap's checks: major
/// version 2 with minor 0..=4, and the link-type word's reserved bits zero.
pub(crate) fn parse_file_header(h: &[u8; FILE_HEADER_LEN]) -> Result<FileHeader, CaptureError> {
    let magic = [h[0], h[1], h[2], h[3]];
    let Some((endian, nanos, modified)) = detect(magic) else {
        return Err(CaptureError::UnknownFormat {
            magic: magic.to_vec(),
        });
    };
    let major = endian.u16(h, 4);
    let minor = endian.u16(h, 6);
    if major != 2 || minor > 4 {
        return Err(CaptureError::UnsupportedVersion {
            format: "pcap",
            major,
            minor,
            offset: 4,
        });
    }
    let snaplen = endian.u32(h, 16);
    let word = endian.u32(h, 20);
    if word & LT_RESERVED1 != 0 {
        return Err(CaptureError::malformed(
            "pcap",
            20,
            None,
            format!(
                "link-type reserved field not zero (0x{:08x}) in the file header",
                word & LT_RESERVED1
            ),
        ));
    }
    let fcs_len = (word & LT_FCS_LENGTH_PRESENT != 0).then_some((word >> 28) * 2);
    Ok(FileHeader {
        endian,
        nanos,
        modified,
        major,
        minor,
        snaplen,
        link_type: word & 0xFFFF,
        fcs_len,
    })
}

/// A parsed record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub ts_ns: i128,
    pub caplen: u32,
    pub orig_len: u32,
}

/// Parses a record header (16 or 24 bytes, per `fh`).
pub(crate) fn parse_record_header(fh: &FileHeader, h: &[u8]) -> RecordHeader {
    let e = fh.endian;
    let secs = i128::from(e.u32(h, 0));
    let frac = i128::from(e.u32(h, 4));
    // Not normalised (a fraction >= 1 s carries over), like Wireshark.
    let ts_ns = secs * 1_000_000_000 + if fh.nanos { frac } else { frac * 1000 };
    RecordHeader {
        ts_ns,
        caplen: e.u32(h, 8),
        orig_len: e.u32(h, 12),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(bytes: &[u8]) -> Result<FileHeader, CaptureError> {
        let h: [u8; 24] = bytes.try_into().unwrap();
        parse_file_header(&h)
    }

    #[test]
    fn little_endian_micro() {
        let h = header(&[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ])
        .unwrap();
        assert_eq!(h.endian, Endian::Little);
        assert!(!h.nanos && !h.modified);
        assert_eq!((h.snaplen, h.link_type, h.fcs_len), (65535, 1, None));
    }

    #[test]
    fn big_endian_nano() {
        let h = header(&[
            0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 113,
        ])
        .unwrap();
        assert_eq!(h.endian, Endian::Big);
        assert!(h.nanos);
        assert_eq!((h.snaplen, h.link_type), (4096, 113));
        let r = parse_record_header(&h, &[0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 60, 0, 0, 0, 70]);
        assert_eq!(r.ts_ns, 1_000_000_007);
        assert_eq!((r.caplen, r.orig_len), (60, 70));
    }

    #[test]
    fn modified_magic_has_longer_records() {
        let h = header(&[
            0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
        ])
        .unwrap();
        assert!(h.modified && !h.nanos);
        assert_eq!(h.record_header_len(), 24);
    }

    #[test]
    fn fcs_bits_are_masked() {
        // 0x30000001: FCS nibble 3 without the "present" bit; 0x24000001: 4 bytes present.
        let mut b = [
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0x30,
        ];
        let h = header(&b).unwrap();
        assert_eq!((h.link_type, h.fcs_len), (1, None));
        b[23] = 0x24;
        let h = header(&b).unwrap();
        assert_eq!((h.link_type, h.fcs_len), (1, Some(4)));
    }

    #[test]
    fn reserved_bits_and_versions_rejected() {
        let mut b = [
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0,
            0x30, 0,
        ];
        let e = header(&b).unwrap_err().to_string();
        assert!(e.contains("reserved field not zero (0x00300000)"), "{e}");
        b[22] = 0;
        b[6] = 5;
        let e = header(&b).unwrap_err().to_string();
        assert!(e.contains("unsupported file version 2.5"), "{e}");
        b[6] = 2;
        assert!(header(&b).is_ok(), "2.2 is accepted like libpcap does");
        b[4] = 1;
        assert!(header(&b).is_err());
    }

    #[test]
    fn unsigned_seconds_and_unnormalised_fraction() {
        let h = header(&[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ])
        .unwrap();
        let r = parse_record_header(
            &h,
            &[
                0xff, 0xff, 0xff, 0xff, 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        );
        assert_eq!(r.ts_ns, 4_294_967_295 * 1_000_000_000 + 1_000_000_000);
    }
}
