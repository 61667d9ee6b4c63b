//! The one error type of this crate: what went wrong, where, and why.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while opening or reading a capture file.
///
/// Every variant renders (with [`fmt::Display`]) as one full sentence that says
/// what went wrong, where (byte offset in the — decompressed — file and, for
/// records, the 1-based frame number) and why. A reader that returned an error
/// from [`crate::CaptureReader::next_frame`] returns `None` afterwards.
#[derive(Debug)]
pub enum CaptureError {
    /// The file could not be opened.
    Open {
        /// The path given to [`crate::CaptureReader::open`].
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Reading failed: an I/O error, or a corrupt gzip stream.
    Io {
        /// Offset in the (decompressed) file where the read started.
        offset: u64,
        /// The underlying error.
        source: io::Error,
    },
    /// The data is not a pcap or pcapng file (nor a gzip-compressed one).
    UnknownFormat {
        /// The first bytes of the file (fewer than 4 if the file is that short).
        magic: Vec<u8>,
    },
    /// A pcap file header or pcapng section header announces a version this reader
    /// (like libpcap) does not read.
    UnsupportedVersion {
        /// `"pcap"` or `"pcapng"`.
        format: &'static str,
        /// Major version found.
        major: u16,
        /// Minor version found.
        minor: u16,
        /// Offset of the file header or section header block.
        offset: u64,
    },
    /// The file ends in the middle of a header, block or record.
    Truncated {
        /// What was being read: `"record"`, `"record header"`, `"block"`, `"file header"`.
        what: &'static str,
        /// The frame this record would have been (1-based), for packet records.
        frame: Option<u64>,
        /// Offset where the header, block or record starts.
        offset: u64,
        /// Bytes it needs from `offset` on.
        needed: u64,
        /// Bytes the file actually has from `offset` on.
        available: u64,
    },
    /// A structural error: a bad length, a reserved field that is not zero, an
    /// option that runs past its block, an unknown interface...
    Malformed {
        /// `"pcap"` or `"pcapng"`.
        format: &'static str,
        /// Offset of the header, block or record at fault.
        offset: u64,
        /// The frame concerned (1-based), if the error is in a packet record.
        frame: Option<u64>,
        /// Why, as a phrase ("block total length 13 is not a multiple of 4").
        reason: String,
    },
}

impl CaptureError {
    /// True if the file was cut short (in the middle of a header or record):
    /// every complete frame before it was returned, so a caller may choose to
    /// warn (as tshark does: "appears to have been cut short in the middle of a
    /// packet") rather than fail.
    pub fn is_truncation(&self) -> bool {
        matches!(self, CaptureError::Truncated { .. })
    }

    /// The byte offset in the (decompressed) file the error refers to, if any.
    pub fn offset(&self) -> Option<u64> {
        match self {
            CaptureError::Open { .. } => None,
            CaptureError::UnknownFormat { .. } => Some(0),
            CaptureError::Io { offset, .. }
            | CaptureError::UnsupportedVersion { offset, .. }
            | CaptureError::Truncated { offset, .. }
            | CaptureError::Malformed { offset, .. } => Some(*offset),
        }
    }

    /// The 1-based frame number the error refers to, if it is in a packet record.
    pub fn frame(&self) -> Option<u64> {
        match self {
            CaptureError::Truncated { frame, .. } | CaptureError::Malformed { frame, .. } => *frame,
            _ => None,
        }
    }

    pub(crate) fn malformed(
        format: &'static str,
        offset: u64,
        frame: Option<u64>,
        reason: impl Into<String>,
    ) -> Self {
        CaptureError::Malformed {
            format,
            offset,
            frame,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Open { path, source } => {
                write!(f, "cannot open capture file {}: {source}", path.display())
            }
            CaptureError::Io { offset, source } => {
                write!(f, "read error at offset {offset}: {source}")
            }
            CaptureError::UnknownFormat { magic } => {
                if magic.is_empty() {
                    write!(f, "not a capture file: the file is empty")
                } else if magic.len() < 4 {
                    write!(
                        f,
                        "not a capture file: the file is only {} bytes long, too short for a magic number",
                        magic.len()
                    )
                } else {
                    write!(
                        f,
                        "not a capture file: unknown magic number 0x{:02x}{:02x}{:02x}{:02x} at offset 0 \
                         (expected pcap, pcapng, or a gzip-compressed one)",
                        magic[0], magic[1], magic[2], magic[3]
                    )
                }
            }
            CaptureError::UnsupportedVersion {
                format,
                major,
                minor,
                offset,
            } => {
                let supported = if *format == "pcap" {
                    "only 2.0 to 2.4 are supported"
                } else {
                    "only 1.0 and 1.2 are supported"
                };
                write!(
                    f,
                    "{format}: unsupported {} version {major}.{minor} ({supported}) at offset {offset}",
                    if *format == "pcap" { "file" } else { "section" }
                )
            }
            CaptureError::Truncated {
                what,
                frame,
                offset,
                needed,
                available,
            } => {
                write!(f, "truncated {what}: ")?;
                if let Some(n) = frame {
                    write!(f, "frame {n} ")?;
                }
                write!(
                    f,
                    "at offset {offset} needs {needed} bytes, the file ends after {available} \
                     (the capture appears to have been cut short)"
                )
            }
            CaptureError::Malformed {
                format,
                offset,
                frame,
                reason,
            } => {
                write!(f, "{format}: {reason} (at offset {offset}")?;
                if let Some(n) = frame {
                    write!(f, ", frame {n}")?;
                }
                write!(f, ")")
            }
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Open { source, .. } | CaptureError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
