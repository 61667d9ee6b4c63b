//! [`CaptureReader`]: one streaming reader for pcap and pcapng, plain or gzipped.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::bytes::Endian;
use crate::error::CaptureError;
use crate::info::{FileFormat, InterfaceInfo, SectionInfo};
use crate::pcap::{self, FileHeader, MAX_PCAP_RECORD};
use crate::pcapng::{self, block_name, MAX_BLOCK_LEN};
use crate::readahead::ReadAhead;
use crate::Frame;

/// Initial size of the record buffer (grows to the largest record or block seen).
const INITIAL_RECORD_BUFFER: usize = 64 * 1024;
/// Most interface description blocks kept for one file (over all sections).
pub const MAX_INTERFACES: usize = 65_536;
/// Most bytes of interface text (names, descriptions, comments...) kept for
/// one file, so that memory stays bounded whatever the file holds.
const MAX_INTERFACE_TEXT: usize = 64 * 1024 * 1024;

const SHB_MAGIC: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];

/// Where a frame is in the record buffer, and its metadata.
#[derive(Debug)]
struct Loc {
    number: u64,
    ts_ns: i128,
    orig_len: u32,
    link_type: u32,
    interface_id: u32,
    data: Range<usize>,
    /// `data` is in the input's current chunk, not in the record buffer.
    in_chunk: bool,
    comment: Option<Range<usize>>,
}

enum Kind {
    Pcap(FileHeader),
    PcapNg { endian: Endian, version: (u16, u16) },
}

/// A streaming reader of pcap and pcapng files (gzip-compressed ones too).
///
/// Its input is read (and decompressed) ahead on a background thread, in 1 MiB
/// chunks, into one record buffer that it
/// reuses for every record; [`next_frame`](Self::next_frame) lends out a
/// [`Frame`] borrowing that buffer. The buffer grows only to the largest record
/// (or pcapng block) seen, capped by [`MAX_PCAP_RECORD`] and [`MAX_BLOCK_LEN`],
/// so memory does not grow with the file's size and there is no allocation
/// per packet.
///
/// Frame comments: a pcapng packet's first `opt_comment` is in
/// [`Frame::comment`]; section and interface comments are in
/// [`section`](Self::section) and [`interfaces`](Self::interfaces).
///
/// Byte offsets in errors are offsets in the decompressed stream.
pub struct CaptureReader {
    input: ReadAhead,
    buf: Vec<u8>,
    /// Offset of the next byte to be read from `input`.
    offset: u64,
    compressed: bool,
    kind: Kind,
    interfaces: Vec<InterfaceInfo>,
    section: SectionInfo,
    /// Index in `interfaces` of the current section's first interface.
    section_first_if: usize,
    frames: u64,
    /// Bytes of text held in `interfaces`.
    interface_text: usize,
    /// A result read ahead at open (pcapng reads up to the first packet).
    pending: Option<Result<Option<Loc>, CaptureError>>,
    done: bool,
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format())
            .field("compressed", &self.compressed)
            .field("offset", &self.offset)
            .field("frames", &self.frames)
            .field("interfaces", &self.interfaces.len())
            .finish_non_exhaustive()
    }
}

/// Reads until `buf` is full or the input ends; returns the count read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl CaptureReader {
    /// Opens a capture file, detecting pcap, pcapng, and gzip compression by magic
    /// number. For pcapng, reads ahead up to the first packet, so that
    /// [`interfaces`](Self::interfaces) already lists the interfaces declared
    /// before it.
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        let file = File::open(path).map_err(|source| CaptureError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_read(Box::new(file))
    }

    /// Reads a capture from any byte stream (e.g. stdin for `-r -`); same
    /// detection as [`open`](Self::open).
    pub fn from_read(mut r: Box<dyn Read + Send>) -> Result<CaptureReader, CaptureError> {
        let io0 = |source| CaptureError::Io { offset: 0, source };
        let mut magic = [0u8; 4];
        let mut n = read_full(&mut r, &mut magic).map_err(io0)?;
        let mut compressed = false;
        if n >= 2 && magic[..2] == [0x1f, 0x8b] {
            let replay = io::Cursor::new(magic).take(n as u64);
            r = Box::new(MultiGzDecoder::new(replay.chain(r)));
            n = read_full(&mut r, &mut magic).map_err(io0)?;
            compressed = true;
        }
        if n < 4 {
            return Err(CaptureError::UnknownFormat {
                magic: magic[..n].to_vec(),
            });
        }
        let mut reader = CaptureReader {
            input: ReadAhead::new(r),
            buf: vec![0; INITIAL_RECORD_BUFFER],
            offset: 4,
            compressed,
            kind: Kind::PcapNg {
                endian: Endian::Little,
                version: (1, 0),
            },
            interfaces: Vec::new(),
            section: SectionInfo::default(),
            section_first_if: 0,
            frames: 0,
            interface_text: 0,
            pending: None,
            done: false,
        };
        reader.buf[..4].copy_from_slice(&magic);
        if magic == SHB_MAGIC {
            // With the SHB magic already in the buffer, read_block reports an
            // SHB or an error, never a clean end of file.
            if let Some((_, len, endian)) = reader.read_block(4)? {
                reader.start_section(len, endian, true)?;
            }
            let first = reader.next_ng();
            reader.pending = Some(first);
        } else if pcap::detect(magic).is_some() {
            let got = reader.fill(4..pcap::FILE_HEADER_LEN)?;
            if got < pcap::FILE_HEADER_LEN - 4 {
                return Err(CaptureError::Truncated {
                    what: "pcap file header",
                    frame: None,
                    offset: 0,
                    needed: pcap::FILE_HEADER_LEN as u64,
                    available: 4 + got as u64,
                });
            }
            let mut h = [0u8; pcap::FILE_HEADER_LEN];
            h.copy_from_slice(&reader.buf[..pcap::FILE_HEADER_LEN]);
            let fh = pcap::parse_file_header(&h)?;
            let mut i = InterfaceInfo::new(fh.link_type, fh.snaplen, 0);
            i.tsresol = if fh.nanos { 9 } else { 6 };
            i.fcs_len = fh.fcs_len;
            reader.interfaces.push(i);
            reader.kind = Kind::Pcap(fh);
        } else {
            return Err(CaptureError::UnknownFormat {
                magic: magic.to_vec(),
            });
        }
        Ok(reader)
    }

    /// Returns the next frame, `None` at the end of the file, or an error.
    ///
    /// The frame borrows the reader's buffer until the next call. Frames whose
    /// record is complete are always returned before the error about a
    /// truncated record that follows them (see [`CaptureError::is_truncation`]).
    /// After an error, every further call returns `None`.
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, CaptureError>> {
        self.next_frame_with_interfaces().map(|r| r.map(|(f, _)| f))
    }

    /// Like [`next_frame`](Self::next_frame), also lending the interfaces known
    /// so far (a pcapng file may describe a new interface just before the frame).
    #[allow(clippy::type_complexity)]
    pub fn next_frame_with_interfaces(
        &mut self,
    ) -> Option<Result<(Frame<'_>, &[InterfaceInfo]), CaptureError>> {
        if self.done {
            return None;
        }
        let next = match self.pending.take() {
            Some(r) => r,
            None => match self.kind {
                Kind::Pcap(fh) => self.next_pcap(&fh),
                Kind::PcapNg { .. } => self.next_ng(),
            },
        };
        match next {
            Ok(Some(loc)) => {
                let buf = if loc.in_chunk {
                    self.input.chunk()
                } else {
                    &self.buf
                };
                let frame = Frame {
                    number: loc.number,
                    ts_ns: loc.ts_ns,
                    orig_len: loc.orig_len,
                    link_type: loc.link_type,
                    interface_id: loc.interface_id,
                    data: buf.get(loc.data).unwrap_or_default(),
                    comment: loc
                        .comment
                        .and_then(|r| buf.get(r))
                        .and_then(|b| std::str::from_utf8(b).ok()),
                };
                Some(Ok((frame, &self.interfaces[..])))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// The file's format (for pcapng, the current section's byte order and version).
    pub fn format(&self) -> FileFormat {
        match &self.kind {
            Kind::Pcap(fh) => FileFormat::Pcap {
                nanos: fh.nanos,
                modified: fh.modified,
                big_endian: fh.endian == Endian::Big,
                version: (fh.major, fh.minor),
            },
            Kind::PcapNg { endian, version } => FileFormat::PcapNg {
                big_endian: *endian == Endian::Big,
                version: *version,
            },
        }
    }

    /// True if the file was gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Every interface seen so far, over all sections, in file order;
    /// [`Frame::interface_id`] indexes this list (as Wireshark's
    /// `frame.interface_id` does). A pcap file has one synthetic interface.
    pub fn interfaces(&self) -> &[InterfaceInfo] {
        &self.interfaces
    }

    /// The current section's header information (pcapng; empty for pcap).
    pub fn section(&self) -> &SectionInfo {
        &self.section
    }

    /// The current section's comments (`opt_comment` of the Section Header Block).
    pub fn section_comments(&self) -> &[String] {
        &self.section.comments
    }

    /// How many frames have been returned or read ahead so far.
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// How many bytes of the (decompressed) file have been consumed.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// Current capacity of the record buffer: it only grows to the largest
    /// record seen (useful to check that reading streams).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Reads into `buf[range]` as much as the input has; returns the count.
    fn fill(&mut self, range: Range<usize>) -> Result<usize, CaptureError> {
        if self.buf.len() < range.end {
            self.buf.resize(range.end, 0);
        }
        let offset = self.offset;
        let n = read_full(&mut self.input, &mut self.buf[range])
            .map_err(|source| CaptureError::Io { offset, source })?;
        self.offset += n as u64;
        Ok(n)
    }

    fn next_pcap(&mut self, fh: &FileHeader) -> Result<Option<Loc>, CaptureError> {
        let start = self.offset;
        let number = self.frames + 1;
        let hl = fh.record_header_len();
        // Most records lie whole in the input's current chunk: read them
        // there, without copying.
        let mut in_chunk = false;
        let got = match self.input.take_contiguous(hl) {
            Some(r) => {
                self.offset += hl as u64;
                self.buf[..hl].copy_from_slice(&self.input.chunk()[r]);
                hl
            }
            None => self.fill(0..hl)?,
        };
        if got == 0 {
            return Ok(None);
        }
        if got < hl {
            return Err(CaptureError::Truncated {
                what: "record header",
                frame: Some(number),
                offset: start,
                needed: hl as u64,
                available: got as u64,
            });
        }
        let rh = pcap::parse_record_header(fh, &self.buf[..hl]);
        if rh.caplen > MAX_PCAP_RECORD {
            return Err(CaptureError::malformed(
                "pcap",
                start,
                Some(number),
                format!(
                    "captured length {} is larger than the {} MiB limit, so the file is probably corrupt",
                    rh.caplen,
                    MAX_PCAP_RECORD >> 20
                ),
            ));
        }
        let caplen = rh.caplen as usize;
        let mut data = hl..hl + caplen;
        let got = match self.input.take_contiguous(caplen) {
            Some(r) => {
                self.offset += caplen as u64;
                in_chunk = true;
                data = r;
                caplen
            }
            None => self.fill(hl..hl + caplen)?,
        };
        if got < caplen {
            return Err(CaptureError::Truncated {
                what: "record",
                frame: Some(number),
                offset: start,
                needed: (hl + caplen) as u64,
                available: (hl + got) as u64,
            });
        }
        self.frames = number;
        Ok(Some(Loc {
            number,
            ts_ns: rh.ts_ns,
            orig_len: rh.orig_len,
            link_type: fh.link_type,
            interface_id: 0,
            data,
            in_chunk,
            comment: None,
        }))
    }

    /// Reads one whole pcapng block into `buf[..len]`, `have` bytes of which
    /// (0, or 4 for the first block) are already there. Returns its type,
    /// length and byte order, or `None` at a clean end of file.
    fn read_block(&mut self, have: usize) -> Result<Option<(u32, usize, Endian)>, CaptureError> {
        let start = self.offset - have as u64;
        let mut have = have + self.fill(have..8)?;
        if have == 0 {
            return Ok(None);
        }
        let truncated = |what, frame, needed: usize, available: usize| CaptureError::Truncated {
            what,
            frame,
            offset: start,
            needed: needed as u64,
            available: available as u64,
        };
        if have < 8 {
            return Err(truncated("block header", None, 8, have));
        }
        let (btype, endian) = if self.buf[..4] == SHB_MAGIC {
            have += self.fill(8..12)?;
            if have < 12 {
                return Err(truncated("section header block", None, 12, have));
            }
            let Some(e) = pcapng::shb_endian(&self.buf[..12]) else {
                return Err(CaptureError::malformed(
                    "pcapng",
                    start,
                    None,
                    format!(
                        "section header block has an unknown byte-order magic 0x{:08x}",
                        Endian::Big.u32(&self.buf, 8)
                    ),
                ));
            };
            (pcapng::SHB, e)
        } else {
            let e = match self.kind {
                Kind::PcapNg { endian, .. } => endian,
                Kind::Pcap(_) => Endian::Little,
            };
            (e.u32(&self.buf, 0), e)
        };
        let is_packet = matches!(btype, pcapng::EPB | pcapng::PB | pcapng::SPB);
        let frame = is_packet.then_some(self.frames + 1);
        let total = endian.u32(&self.buf, 4);
        let min = if btype == pcapng::SHB { 28 } else { 12 };
        let problem = if total < min {
            Some(format!("is shorter than the minimum of {min}"))
        } else if total % 4 != 0 {
            Some("is not a multiple of 4".to_string())
        } else if total > MAX_BLOCK_LEN {
            Some(format!(
                "is larger than the {} MiB limit, so the file is probably corrupt",
                MAX_BLOCK_LEN >> 20
            ))
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(CaptureError::malformed(
                "pcapng",
                start,
                frame,
                format!("{} total length {total} {p}", block_name(btype)),
            ));
        }
        let total = total as usize;
        have += self.fill(have..total)?;
        if have < total {
            let what = if is_packet { "record" } else { "block" };
            return Err(truncated(what, frame, total, have));
        }
        let trailer = endian.u32(&self.buf, total - 4);
        if trailer as usize != total {
            return Err(CaptureError::malformed(
                "pcapng",
                start,
                frame,
                format!(
                    "{} total length in header {total} and trailer {trailer} don't match",
                    block_name(btype)
                ),
            ));
        }
        Ok(Some((btype, total, endian)))
    }

    /// Handles a Section Header Block now in `buf[..len]`.
    fn start_section(
        &mut self,
        len: usize,
        endian: Endian,
        first: bool,
    ) -> Result<(), CaptureError> {
        let offset = self.offset - len as u64;
        let index = if first { 0 } else { self.section.index + 1 };
        let (section, version) = pcapng::parse_shb(&self.buf[..len], endian, offset, index)?;
        self.section = section;
        self.section_first_if = self.interfaces.len();
        self.kind = Kind::PcapNg { endian, version };
        Ok(())
    }

    fn next_ng(&mut self) -> Result<Option<Loc>, CaptureError> {
        loop {
            let Some((btype, len, endian)) = self.read_block(0)? else {
                return Ok(None);
            };
            let offset = self.offset - len as u64;
            match btype {
                pcapng::SHB => self.start_section(len, endian, false)?,
                pcapng::IDB => {
                    if self.interfaces.len() >= MAX_INTERFACES {
                        return Err(CaptureError::malformed(
                            "pcapng",
                            offset,
                            None,
                            format!("more than {MAX_INTERFACES} interface description blocks"),
                        ));
                    }
                    let i =
                        pcapng::parse_idb(&self.buf[..len], endian, offset, self.section.index)?;
                    let text = [&i.name, &i.description, &i.filter, &i.os, &i.hardware]
                        .iter()
                        .filter_map(|t| t.as_ref().map(String::len))
                        .chain(i.comments.iter().map(String::len))
                        .sum::<usize>();
                    self.interface_text = self.interface_text.saturating_add(text);
                    if self.interface_text > MAX_INTERFACE_TEXT {
                        return Err(CaptureError::malformed(
                            "pcapng",
                            offset,
                            None,
                            format!(
                                "interface descriptions hold more than {} MiB of text",
                                MAX_INTERFACE_TEXT >> 20
                            ),
                        ));
                    }
                    self.interfaces.push(i);
                }
                pcapng::EPB | pcapng::PB | pcapng::SPB => {
                    let number = self.frames + 1;
                    let section_ifs = self
                        .interfaces
                        .get(self.section_first_if..)
                        .unwrap_or_default();
                    let snaplen = |i: usize| section_ifs.get(i).map(|x| x.snaplen);
                    let p = pcapng::parse_packet(
                        btype,
                        &self.buf[..len],
                        endian,
                        offset,
                        number,
                        &snaplen,
                    )?;
                    let Some(iface) = section_ifs.get(p.if_index) else {
                        return Err(CaptureError::malformed(
                            "pcapng",
                            offset,
                            Some(number),
                            "packet refers to an undescribed interface",
                        ));
                    };
                    self.frames = number;
                    return Ok(Some(Loc {
                        number,
                        ts_ns: p.ticks.map_or(0, |t| iface.ticks_to_ns(t)),
                        orig_len: p.orig_len,
                        link_type: iface.link_type,
                        interface_id: (self.section_first_if + p.if_index) as u32,
                        data: p.data,
                        in_chunk: false,
                        comment: p.comment,
                    }));
                }
                // NRB, ISB, DSB, custom, systemd journal and unknown blocks: skipped.
                _ => {}
            }
        }
    }
}
