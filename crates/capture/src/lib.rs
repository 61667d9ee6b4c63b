//! Capture files in, frames out: pcap and pcapng readers (gzip-compressed too).
//!
//! The reader streams: it owns one growing buffer and hands out [`Frame`]s that
//! borrow from it, so memory does not depend on the file's length.
//!
//! ```no_run
//! use sonde_capture::CaptureReader;
//! let mut reader = CaptureReader::open(std::path::Path::new("trace.pcapng"))?;
//! while let Some(frame) = reader.next_frame() {
//!     let frame = frame?; // a truncated last record is an error after every complete frame
//!     println!("{} {} {}", frame.number, frame.ts_ns, frame.data.len());
//! }
//! # Ok::<(), sonde_capture::CaptureError>(())
//! ```
//!
//! Hand-written rather than built on a pcap crate: validation and error
//! messages follow libpcap byte for byte (versions, reserved bits, block
//! lengths), and the lending, zero-copy reader keeps one reused buffer.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bytes;
mod error;
mod info;
#[cfg(feature = "live")]
pub mod live;
mod pcap;
mod pcapng;
mod readahead;
mod reader;
mod writer;

pub use error::CaptureError;
pub use info::{FileFormat, InterfaceInfo, SectionInfo};
pub use pcap::MAX_PCAP_RECORD;
pub use pcapng::MAX_BLOCK_LEN;
pub use reader::{CaptureReader, MAX_INTERFACES};
pub use writer::{InterfaceStats, PcapNgWriter, PcapWriter, SectionOptions, WriterInterface};

/// Link-layer header types (LINKTYPE_* values from the tcpdump registry).
pub mod linktype {
    /// BSD loopback: a 4-byte address family in the host's byte order.
    pub const NULL: u32 = 0;
    /// Ethernet II / 802.3.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (IPv4 or IPv6 by version nibble); DLT_RAW as 12 or 14 in some files.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1 (`-i any`).
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;
}

/// One captured frame, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based frame number in the file.
    pub number: u64,
    /// Capture time in nanoseconds since the Unix epoch.
    pub ts_ns: i128,
    /// Length on the wire.
    pub orig_len: u32,
    /// Link type of the interface it was captured on.
    pub link_type: u32,
    /// Interface index (pcapng IDB number; 0 for pcap): an index into
    /// [`CaptureReader::interfaces`], counted over the whole file.
    pub interface_id: u32,
    /// The captured bytes (`data.len()` is the captured length).
    pub data: &'a [u8],
    /// The packet's first pcapng `opt_comment` (valid UTF-8 prefix, trailing
    /// NULs dropped); `None` for pcap.
    pub comment: Option<&'a str>,
}
