//! Writers: pcapng ([`PcapNgWriter`]) and classic pcap ([`PcapWriter`]), both
//! little-endian.
//!
//! They write straight to `W` without buffering and without allocating per
//! packet; wrap a file in a [`std::io::BufWriter`] and call `flush` when a
//! consistent file must be on disk (e.g. on Ctrl-C).

use std::io::{self, Write};

use crate::bytes::pad4;
use crate::pcapng::MAX_BLOCK_LEN;
use crate::Frame;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Space an option with a value of `len` bytes takes.
fn opt_size(len: usize) -> usize {
    4 + pad4(len)
}

fn write_opt<W: Write>(w: &mut W, code: u16, value: &[u8]) -> io::Result<()> {
    let len = u16::try_from(value.len()).map_err(|_| {
        invalid(format!(
            "pcapng option {code} is {} bytes long, over 65535",
            value.len()
        ))
    })?;
    w.write_all(&code.to_le_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(value)?;
    w.write_all(&[0u8; 3][..pad4(value.len()) - value.len()])
}

/// Nanoseconds since the epoch as unsigned 64-bit ticks.
fn ns_ticks(ts_ns: i128) -> io::Result<u64> {
    u64::try_from(ts_ns).map_err(|_| {
        invalid(format!(
            "timestamp {ts_ns} ns cannot be written (before 1970 or after 2554)"
        ))
    })
}

/// Checks a block length and returns it as u32.
fn block_len(total: usize) -> io::Result<u32> {
    u32::try_from(total)
        .ok()
        .filter(|&t| t <= MAX_BLOCK_LEN)
        .ok_or_else(|| {
            invalid(format!(
                "pcapng block of {total} bytes is over the 64 MiB limit"
            ))
        })
}

/// Section Header Block options for [`PcapNgWriter::with_section`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SectionOptions<'a> {
    /// `shb_hardware`.
    pub hardware: Option<&'a str>,
    /// `shb_os`.
    pub os: Option<&'a str>,
    /// `opt_comment`.
    pub comment: Option<&'a str>,
}

/// An interface to declare with [`PcapNgWriter::add_interface`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterInterface<'a> {
    /// Link-layer header type (`LINKTYPE_*`, at most 65535).
    pub link_type: u32,
    /// Snapshot length (0 = no limit).
    pub snaplen: u32,
    /// `if_name`.
    pub name: Option<&'a str>,
    /// `if_description`.
    pub description: Option<&'a str>,
    /// `if_filter` (written as a libpcap filter string).
    pub filter: Option<&'a str>,
    /// `if_os`.
    pub os: Option<&'a str>,
}

/// Interface statistics for [`PcapNgWriter::write_stats`] (an Interface
/// Statistics Block). Timestamps are nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, Default)]
pub struct InterfaceStats {
    /// When the statistics were taken.
    pub ts_ns: i128,
    /// `isb_starttime`: when the capture started.
    pub start_ns: Option<i128>,
    /// `isb_endtime`: when the capture ended.
    pub end_ns: Option<i128>,
    /// `isb_ifrecv`: packets received by the interface.
    pub ifrecv: Option<u64>,
    /// `isb_ifdrop`: packets dropped by the interface or the OS.
    pub ifdrop: Option<u64>,
}

/// Writes a little-endian pcapng file: one section (`shb_userappl` "sonde"),
/// interfaces with nanosecond timestamps (`if_tsresol` 9), Enhanced Packet
/// Blocks and Interface Statistics Blocks.
#[derive(Debug)]
pub struct PcapNgWriter<W: Write> {
    w: W,
    interfaces: u32,
}

impl<W: Write> PcapNgWriter<W> {
    /// Starts a file: writes the Section Header Block.
    pub fn new(w: W) -> io::Result<Self> {
        Self::with_section(w, &SectionOptions::default())
    }

    /// Starts a file with these section options.
    pub fn with_section(mut w: W, s: &SectionOptions<'_>) -> io::Result<Self> {
        const APP: &[u8] = b"sonde";
        let opts: [(u16, Option<&str>); 3] = [(1, s.comment), (2, s.hardware), (3, s.os)];
        let mut olen = opt_size(APP.len()) + 4;
        for (_, v) in opts {
            if let Some(v) = v {
                olen += opt_size(v.len());
            }
        }
        let total = block_len(28 + olen)?;
        w.write_all(&0x0A0D_0D0Au32.to_le_bytes())?;
        w.write_all(&total.to_le_bytes())?;
        w.write_all(&0x1A2B_3C4Du32.to_le_bytes())?;
        w.write_all(&1u16.to_le_bytes())?;
        w.write_all(&0u16.to_le_bytes())?;
        w.write_all(&u64::MAX.to_le_bytes())?; // section length: not specified
        for (code, v) in opts {
            if let Some(v) = v {
                write_opt(&mut w, code, v.as_bytes())?;
            }
        }
        write_opt(&mut w, 4, APP)?;
        w.write_all(&[0u8; 4])?;
        w.write_all(&total.to_le_bytes())?;
        Ok(PcapNgWriter { w, interfaces: 0 })
    }

    /// Declares an interface (Interface Description Block); returns its id
    /// for [`write_packet`](Self::write_packet).
    pub fn add_interface(&mut self, i: &WriterInterface<'_>) -> io::Result<u32> {
        let link_type = u16::try_from(i.link_type).map_err(|_| {
            invalid(format!(
                "link type {} does not fit pcapng's 16 bits",
                i.link_type
            ))
        })?;
        let texts: [(u16, Option<&str>); 3] = [(2, i.name), (3, i.description), (12, i.os)];
        let mut olen = opt_size(1) + 4; // if_tsresol + endofopt
        for (_, v) in texts {
            if let Some(v) = v {
                olen += opt_size(v.len());
            }
        }
        if let Some(f) = i.filter {
            olen += opt_size(1 + f.len());
        }
        let total = block_len(20 + olen)?;
        let w = &mut self.w;
        w.write_all(&1u32.to_le_bytes())?;
        w.write_all(&total.to_le_bytes())?;
        w.write_all(&link_type.to_le_bytes())?;
        w.write_all(&0u16.to_le_bytes())?;
        w.write_all(&i.snaplen.to_le_bytes())?;
        for (code, v) in texts {
            if let Some(v) = v {
                write_opt(w, code, v.as_bytes())?;
            }
        }
        write_opt(w, 9, &[9])?;
        if let Some(f) = i.filter {
            let len = u16::try_from(1 + f.len())
                .map_err(|_| invalid("if_filter over 65535 bytes".into()))?;
            w.write_all(&11u16.to_le_bytes())?;
            w.write_all(&len.to_le_bytes())?;
            w.write_all(&[0])?;
            w.write_all(f.as_bytes())?;
            w.write_all(&[0u8; 3][..pad4(1 + f.len()) - (1 + f.len())])?;
        }
        w.write_all(&[0u8; 4])?;
        w.write_all(&total.to_le_bytes())?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    fn check_interface(&self, id: u32) -> io::Result<()> {
        if id >= self.interfaces {
            return Err(invalid(format!(
                "interface {id} was not declared (only {} so far)",
                self.interfaces
            )));
        }
        Ok(())
    }

    /// Writes one packet (Enhanced Packet Block), timestamp in nanoseconds.
    pub fn write_packet(
        &mut self,
        interface_id: u32,
        ts_ns: i128,
        orig_len: u32,
        data: &[u8],
        comment: Option<&str>,
    ) -> io::Result<()> {
        self.check_interface(interface_id)?;
        let ticks = ns_ticks(ts_ns)?;
        let olen = comment.map_or(0, |c| opt_size(c.len()) + 4);
        let total = block_len(
            32usize
                .saturating_add(pad4(data.len()))
                .saturating_add(olen),
        )?;
        let caplen = data.len() as u32; // < total <= 64 MiB
        let w = &mut self.w;
        w.write_all(&6u32.to_le_bytes())?;
        w.write_all(&total.to_le_bytes())?;
        w.write_all(&interface_id.to_le_bytes())?;
        w.write_all(&((ticks >> 32) as u32).to_le_bytes())?;
        w.write_all(&(ticks as u32).to_le_bytes())?;
        w.write_all(&caplen.to_le_bytes())?;
        w.write_all(&orig_len.to_le_bytes())?;
        w.write_all(data)?;
        w.write_all(&[0u8; 3][..pad4(data.len()) - data.len()])?;
        if let Some(c) = comment {
            write_opt(w, 1, c.as_bytes())?;
            w.write_all(&[0u8; 4])?;
        }
        w.write_all(&total.to_le_bytes())
    }

    /// Writes a frame read from another file, keeping its interface id,
    /// timestamp, lengths and comment (declare the interfaces first).
    pub fn write_frame(&mut self, f: &Frame<'_>) -> io::Result<()> {
        self.write_packet(f.interface_id, f.ts_ns, f.orig_len, f.data, f.comment)
    }

    /// Writes an Interface Statistics Block.
    pub fn write_stats(&mut self, interface_id: u32, s: &InterfaceStats) -> io::Result<()> {
        self.check_interface(interface_id)?;
        let ticks = ns_ticks(s.ts_ns)?;
        let times = [(2u16, s.start_ns), (3, s.end_ns)];
        let counters = [(4u16, s.ifrecv), (5, s.ifdrop)];
        let n = times.iter().filter(|t| t.1.is_some()).count()
            + counters.iter().filter(|c| c.1.is_some()).count();
        let olen = if n == 0 { 0 } else { n * 12 + 4 };
        let total = block_len(24 + olen)?;
        let w = &mut self.w;
        w.write_all(&5u32.to_le_bytes())?;
        w.write_all(&total.to_le_bytes())?;
        w.write_all(&interface_id.to_le_bytes())?;
        w.write_all(&((ticks >> 32) as u32).to_le_bytes())?;
        w.write_all(&(ticks as u32).to_le_bytes())?;
        for (code, t) in times {
            if let Some(t) = t {
                let t = ns_ticks(t)?;
                let mut v = [0u8; 8];
                v[..4].copy_from_slice(&((t >> 32) as u32).to_le_bytes());
                v[4..].copy_from_slice(&(t as u32).to_le_bytes());
                write_opt(w, code, &v)?;
            }
        }
        for (code, c) in counters {
            if let Some(c) = c {
                write_opt(w, code, &c.to_le_bytes())?;
            }
        }
        if n > 0 {
            w.write_all(&[0u8; 4])?;
        }
        w.write_all(&total.to_le_bytes())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// Returns the underlying writer (not flushed).
    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Writes a little-endian classic pcap file, with microsecond or nanosecond
/// timestamps.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    nanos: bool,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Starts a file: writes the 24-byte file header (version 2.4).
    /// Packets longer than a non-zero `snaplen` are cut to it.
    pub fn new(mut w: W, link_type: u32, snaplen: u32, nanos: bool) -> io::Result<Self> {
        if link_type > 0xFFFF {
            return Err(invalid(format!(
                "link type {link_type} does not fit pcap's 16 bits"
            )));
        }
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut h = [0u8; 24];
        h[..4].copy_from_slice(&magic.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&link_type.to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter { w, nanos, snaplen })
    }

    /// Writes one packet; the timestamp (ns since the epoch) is truncated to
    /// microseconds for a microsecond file and must be within 1970..2106.
    pub fn write_packet(&mut self, ts_ns: i128, orig_len: u32, data: &[u8]) -> io::Result<()> {
        let secs = u32::try_from(ts_ns.div_euclid(1_000_000_000))
            .ok()
            .filter(|_| ts_ns >= 0)
            .ok_or_else(|| {
                invalid(format!(
                    "timestamp {ts_ns} ns does not fit a pcap file (1970..2106)"
                ))
            })?;
        let ns = ts_ns.rem_euclid(1_000_000_000) as u32;
        let frac = if self.nanos { ns } else { ns / 1000 };
        let mut data = data;
        if self.snaplen != 0 && data.len() > self.snaplen as usize {
            data = &data[..self.snaplen as usize];
        }
        let caplen = u32::try_from(data.len())
            .ok()
            .filter(|&c| c <= crate::pcap::MAX_PCAP_RECORD)
            .ok_or_else(|| {
                invalid(format!(
                    "packet of {} bytes is too large for pcap",
                    data.len()
                ))
            })?;
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&frac.to_le_bytes());
        h[8..12].copy_from_slice(&caplen.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(data)
    }

    /// Writes a frame read from another file.
    pub fn write_frame(&mut self, f: &Frame<'_>) -> io::Result<()> {
        self.write_packet(f.ts_ns, f.orig_len, f.data)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// Returns the underlying writer (not flushed).
    pub fn into_inner(self) -> W {
        self.w
    }
}
