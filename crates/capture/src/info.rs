//! What a capture file says about itself: format, sections, interfaces.

/// The format of a capture file, as detected from its magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Classic libpcap format.
    Pcap {
        /// Timestamps in nanoseconds (magic 0xa1b23c4d) instead of microseconds.
        nanos: bool,
        /// Kuznetzov's "modified" format (magic 0xa1b2cd34, 24-byte record headers).
        modified: bool,
        /// The file was written big-endian.
        big_endian: bool,
        /// Version (major, minor) from the file header; always (2, 0..=4).
        version: (u16, u16),
    },
    /// pcapng. Byte order and version may change from section to section; these
    /// are the current section's.
    PcapNg {
        /// The current section is big-endian.
        big_endian: bool,
        /// Version (major, minor) of the current section: (1, 0) or (1, 2).
        version: (u16, u16),
    },
}

/// One capture interface: a pcapng Interface Description Block, or the single
/// interface a pcap file header describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Link-layer header type (`LINKTYPE_*`, see [`crate::linktype`]); FCS bits masked off.
    pub link_type: u32,
    /// Maximum captured length per packet (0 = no limit).
    pub snaplen: u32,
    /// `if_name`.
    pub name: Option<String>,
    /// `if_description`.
    pub description: Option<String>,
    /// `if_filter` as text (the filter-type byte dropped), e.g. a BPF expression.
    pub filter: Option<String>,
    /// `if_os`.
    pub os: Option<String>,
    /// `if_hardware`.
    pub hardware: Option<String>,
    /// `opt_comment`s on the interface.
    pub comments: Vec<String>,
    /// Timestamp resolution, encoded as pcapng's `if_tsresol`: if the top bit is
    /// clear, a tick is 10^-n s, else 2^-(n & 0x7f) s. 6 (µs) by default; 9 for
    /// nanosecond pcap files.
    pub tsresol: u8,
    /// `if_tsoffset`: seconds to add to every timestamp.
    pub ts_offset: i64,
    /// Length in bytes of the FCS at the end of each frame, when the file says
    /// (pcap link-type FCS bits, pcapng `if_fcslen`).
    pub fcs_len: Option<u32>,
    /// 0-based index of the pcapng section that declared it (0 for pcap).
    pub section: u32,
}

impl InterfaceInfo {
    pub(crate) fn new(link_type: u32, snaplen: u32, section: u32) -> Self {
        InterfaceInfo {
            link_type,
            snaplen,
            name: None,
            description: None,
            filter: None,
            os: None,
            hardware: None,
            comments: Vec::new(),
            tsresol: 6,
            ts_offset: 0,
            fcs_len: None,
            section,
        }
    }

    /// Converts a timestamp in this interface's ticks to nanoseconds since the
    /// epoch, applying `if_tsresol` and `if_tsoffset`. Exact for every decimal
    /// resolution down to 1 ns; finer resolutions are truncated to the nanosecond.
    pub fn ticks_to_ns(&self, ticks: u64) -> i128 {
        let t = i128::from(ticks);
        let n = u32::from(self.tsresol & 0x7f);
        let ns = if self.tsresol & 0x80 == 0 {
            if n <= 9 {
                t * 10i128.pow(9 - n)
            } else if n - 9 <= 38 {
                t / 10i128.pow(n - 9)
            } else {
                0
            }
        } else {
            // t < 2^64 and 10^9 < 2^30, so the product fits; n <= 127.
            (t * 1_000_000_000) >> n
        };
        ns + i128::from(self.ts_offset) * 1_000_000_000
    }
}

/// The current pcapng section's header (Section Header Block) information.
/// For pcap files every field but `index` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionInfo {
    /// 0-based index of the section in the file.
    pub index: u32,
    /// Byte offset of its Section Header Block.
    pub offset: u64,
    /// `shb_hardware`.
    pub hardware: Option<String>,
    /// `shb_os`.
    pub os: Option<String>,
    /// `shb_userappl`: the application that wrote the section.
    pub user_appl: Option<String>,
    /// `opt_comment`s on the section (capinfos' "Capture comment").
    pub comments: Vec<String>,
}
