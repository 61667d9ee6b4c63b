//! Live capture through libpcap (the `pcap` crate): the interface list, a
//! capture handle that hands out [`Frame`]s as packets arrive, and
//! [`LiveFileWriter`], the pcapng output with tshark's ring buffer of files.
//!
//! ```no_run
//! use sonde_capture::live::{LiveCapture, LiveOptions};
//! let mut cap = LiveCapture::open(&LiveOptions::new("eth0"))?;
//! while let Some(frame) = cap.next_frame()? {
//!     println!("{} {} bytes", frame.number, frame.data.len());
//! }
//! # Ok::<(), sonde_capture::live::LiveError>(())
//! ```
//!
//! [`LiveCapture::next_frame`] returns `Ok(None)` when its read timeout
//! expires with no packet, so a caller can check a stop flag (Ctrl-C, a
//! duration) between packets even on a silent interface. The handle is in
//! non-blocking mode and the wait is our own `poll(2)` on its descriptor:
//! libpcap 1.10's read timeout keeps polling inside libpcap on Linux and
//! never returns while no packet comes.
//!
//! Every call into libpcap goes through the `pcap` crate's safe API: this
//! module needs no `unsafe` of its own.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::writer::{InterfaceStats, PcapNgWriter, SectionOptions, WriterInterface};
use crate::{linktype, Frame};

/// tshark's and tcpdump's default snapshot length.
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// Default kernel buffer size (tshark's `-B` default, 2 MiB).
pub const DEFAULT_BUFFER_SIZE: u32 = 2 * 1024 * 1024;

/// What can go wrong listing interfaces or capturing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// The process may not open a capture: it lacks `CAP_NET_RAW` (and
    /// `CAP_NET_ADMIN` for promiscuous mode) or is not root.
    Permission {
        /// The interface we tried to open.
        interface: String,
        /// libpcap's own words.
        detail: String,
        /// The capabilities the process lacks (e.g. `["CAP_NET_RAW"]`), as
        /// far as `/proc/self/status` tells.
        missing: Vec<&'static str>,
    },
    /// No interface has this name.
    NoSuchInterface {
        /// The name asked for.
        interface: String,
        /// The names libpcap can capture on.
        available: Vec<String>,
    },
    /// The capture filter does not compile.
    BadFilter {
        /// The filter text.
        filter: String,
        /// libpcap's message.
        detail: String,
    },
    /// Any other libpcap failure, on this interface (empty when listing).
    Pcap {
        /// The interface, or empty.
        interface: String,
        /// What failed (e.g. "reading a packet").
        action: &'static str,
        /// libpcap's message.
        detail: String,
    },
}

impl LiveError {
    /// The advice that goes with the error, if any: how to grant the
    /// permission, which interfaces exist, where the filter syntax is.
    pub fn hint(&self) -> Option<String> {
        match self {
            LiveError::Permission { .. } => Some(
                "run as root, or grant the capabilities once with: \
                 setcap cap_net_raw,cap_net_admin=eip $(which sonde)"
                    .into(),
            ),
            LiveError::NoSuchInterface { available, .. } => Some(if available.is_empty() {
                "libpcap sees no interface at all".into()
            } else {
                format!(
                    "available interfaces: {} (see `sonde capture -D`)",
                    available.join(", ")
                )
            }),
            LiveError::BadFilter { .. } => Some(
                "capture filters (-f) use libpcap's syntax, e.g. 'tcp port 80 and host 10.0.0.1' \
                 (man pcap-filter); Wireshark display filters go with -Y"
                    .into(),
            ),
            LiveError::Pcap { .. } => None,
        }
    }
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Permission {
                interface,
                detail,
                missing,
            } => {
                write!(f, "no permission to capture on {interface}")?;
                if !missing.is_empty() {
                    write!(
                        f,
                        ": this process lacks the {} capabilit{}",
                        missing.join(" and "),
                        if missing.len() > 1 { "ies" } else { "y" }
                    )?;
                }
                write!(f, " ({detail})")
            }
            LiveError::NoSuchInterface { interface, .. } => {
                write!(f, "there is no interface named '{interface}'")
            }
            LiveError::BadFilter { filter, detail } => {
                write!(f, "invalid capture filter '{filter}': {detail}")
            }
            LiveError::Pcap {
                interface,
                action,
                detail,
            } if interface.is_empty() => write!(f, "{action} failed: {detail}"),
            LiveError::Pcap {
                interface,
                action,
                detail,
            } => write!(f, "{action} on {interface} failed: {detail}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// libpcap's message without the crate's "libpcap error: " prefix.
fn pcap_text(e: &::pcap::Error) -> String {
    match e {
        ::pcap::Error::PcapError(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The capture-related capabilities missing from this process's effective
/// set, read from `/proc/self/status` (empty if it cannot be read).
pub fn missing_capabilities() -> Vec<&'static str> {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return Vec::new();
    };
    let Some(eff) = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    else {
        return Vec::new();
    };
    const CAP_NET_ADMIN: u32 = 12;
    const CAP_NET_RAW: u32 = 13;
    [
        (CAP_NET_RAW, "CAP_NET_RAW"),
        (CAP_NET_ADMIN, "CAP_NET_ADMIN"),
    ]
    .into_iter()
    .filter(|(bit, _)| eff & (1u64 << bit) == 0)
    .map(|(_, name)| name)
    .collect()
}

/// The operating system, as pcapng's `shb_os` / `if_os` give it:
/// `Linux 6.1.0-18-amd64` (from `/proc/sys/kernel`), or Rust's OS name.
pub fn os_description() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    match (
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
    ) {
        (Some(t), Some(r)) => format!("{t} {r}"),
        (Some(t), None) => t,
        _ => std::env::consts::OS.to_string(),
    }
}

/// One address of a capture interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAddress {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length, from the netmask when it is contiguous.
    pub prefix: Option<u8>,
}

impl fmt::Display for LiveAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(p) => write!(f, "{}/{p}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

/// A network interface libpcap can capture on (`pcap_findalldevs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveInterface {
    /// Name to pass to `-i` (e.g. `eth0`, `lo`, `any`).
    pub name: String,
    /// libpcap's description, if it has one (e.g. "Pseudo-device that
    /// captures on all interfaces").
    pub description: Option<String>,
    /// IPv4 and IPv6 addresses.
    pub addresses: Vec<LiveAddress>,
    /// Administratively up.
    pub up: bool,
    /// Running (carrier present).
    pub running: bool,
    /// A loopback interface.
    pub loopback: bool,
    /// A wireless interface.
    pub wireless: bool,
}

fn prefix_of(mask: &IpAddr) -> Option<u8> {
    let (bits, width) = match mask {
        IpAddr::V4(m) => (u128::from(u32::from(*m)) << 96, 32),
        IpAddr::V6(m) => (u128::from(*m), 128),
    };
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0 && ones <= width).then_some(ones as u8)
}

/// Lists the interfaces libpcap can capture on, in libpcap's order (the
/// order of `tshark -D`).
pub fn list_interfaces() -> Result<Vec<LiveInterface>, LiveError> {
    let devs = ::pcap::Device::list().map_err(|e| LiveError::Pcap {
        interface: String::new(),
        action: "listing the capture interfaces",
        detail: pcap_text(&e),
    })?;
    Ok(devs
        .into_iter()
        .map(|d| LiveInterface {
            addresses: d
                .addresses
                .iter()
                .map(|a| LiveAddress {
                    addr: a.addr,
                    prefix: a.netmask.as_ref().and_then(prefix_of),
                })
                .collect(),
            up: d.flags.is_up(),
            running: d.flags.is_running(),
            loopback: d.flags.is_loopback(),
            wireless: d.flags.is_wireless(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

/// Picks an interface the way tshark's `-i` does: a name from the list, or
/// its 1-based number in [`list_interfaces`]. With no name, the first
/// interface that is up, running and not a loopback, else the first one.
pub fn resolve_interface(
    name: Option<&str>,
    list: &[LiveInterface],
) -> Result<LiveInterface, LiveError> {
    let missing = |interface: &str| LiveError::NoSuchInterface {
        interface: interface.to_string(),
        available: list.iter().map(|i| i.name.clone()).collect(),
    };
    match name {
        Some(n) => {
            if let Some(i) = list.iter().find(|i| i.name == n) {
                return Ok(i.clone());
            }
            if let Ok(k) = n.parse::<usize>() {
                if (1..=list.len()).contains(&k) {
                    return Ok(list[k - 1].clone());
                }
            }
            Err(missing(n))
        }
        None => list
            .iter()
            .find(|i| i.up && i.running && !i.loopback)
            .or_else(|| list.first())
            .cloned()
            .ok_or_else(|| missing("(default)")),
    }
}

/// How to open a live capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// Interface name (e.g. `eth0`, `any`).
    pub interface: String,
    /// Snapshot length: bytes kept from each packet (0 means the default,
    /// [`DEFAULT_SNAPLEN`]).
    pub snaplen: u32,
    /// Promiscuous mode.
    pub promisc: bool,
    /// BPF capture filter, in libpcap's syntax.
    pub filter: Option<String>,
    /// Read timeout: how long [`LiveCapture::next_frame`] waits for a packet
    /// before it returns `Ok(None)`.
    pub timeout: Duration,
    /// Kernel buffer size in bytes.
    pub buffer_size: u32,
    /// libpcap's description of the interface, written to the pcapng IDB.
    pub description: Option<String>,
}

impl LiveOptions {
    /// Defaults for this interface: tshark's snap length, promiscuous,
    /// no filter, 100 ms timeout, 2 MiB buffer.
    pub fn new(interface: &str) -> LiveOptions {
        LiveOptions {
            interface: interface.to_string(),
            snaplen: DEFAULT_SNAPLEN,
            promisc: true,
            filter: None,
            timeout: Duration::from_millis(100),
            buffer_size: DEFAULT_BUFFER_SIZE,
            description: None,
        }
    }
}

/// Counters from the kernel (`pcap_stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets that passed the capture filter (libpcap's `ps_recv`).
    pub received: u64,
    /// Packets dropped because the buffer was full (`ps_drop`).
    pub dropped: u64,
    /// Packets dropped by the interface or its driver (`ps_ifdrop`).
    pub if_dropped: u64,
}

/// An open live capture on one interface.
pub struct LiveCapture {
    cap: ::pcap::Capture<::pcap::Active>,
    interface: String,
    description: Option<String>,
    filter: Option<String>,
    snaplen: u32,
    link_type: u32,
    frames: u64,
    /// The last read returned a packet: more may be waiting, read before polling.
    maybe_more: bool,
    timeout: ::nix::poll::PollTimeout,
    /// Running totals: libpcap's 32-bit counters can wrap on a long capture.
    stats: LiveStats,
    last_raw: (u32, u32, u32),
}

impl fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveCapture")
            .field("interface", &self.interface)
            .field("filter", &self.filter)
            .field("snaplen", &self.snaplen)
            .field("link_type", &self.link_type)
            .field("frames", &self.frames)
            .finish()
    }
}

/// pcapng wants LINKTYPE_* values; libpcap reports DLT_* values, which are
/// the same number except for a few historical ones.
fn dlt_to_linktype(dlt: i32) -> u32 {
    match dlt {
        12 | 14 => linktype::RAW, // DLT_RAW differs between BSDs and Linux
        d => u32::try_from(d).unwrap_or(0),
    }
}

/// Classifies a failed `pcap_activate` by libpcap's message (the `pcap`
/// crate keeps the text, not the status code).
fn activate_error(interface: &str, e: &::pcap::Error) -> LiveError {
    let detail = pcap_text(e);
    let lower = detail.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        LiveError::Permission {
            interface: interface.to_string(),
            detail,
            missing: missing_capabilities(),
        }
    } else if lower.contains("no such device") {
        LiveError::NoSuchInterface {
            interface: interface.to_string(),
            available: list_interfaces()
                .map(|l| l.into_iter().map(|i| i.name).collect())
                .unwrap_or_default(),
        }
    } else {
        LiveError::Pcap {
            interface: interface.to_string(),
            action: "opening the capture",
            detail,
        }
    }
}

impl LiveCapture {
    /// Opens and activates a capture: nanosecond timestamps, non-blocking,
    /// then the capture filter. Not libpcap's immediate mode: on Linux that
    /// means TPACKET_V2, a ring of snaplen-sized slots (a 2 MiB buffer holds
    /// about 30 packets at the default snaplen, so a burst is dropped); the
    /// default TPACKET_V3 packs packets into blocks that the kernel hands
    /// over when full or after the read timeout, so packets arrive at most
    /// `timeout` late.
    pub fn open(o: &LiveOptions) -> Result<LiveCapture, LiveError> {
        let snaplen = if o.snaplen == 0 {
            DEFAULT_SNAPLEN
        } else {
            o.snaplen
        };
        let err = |action: &'static str, e: ::pcap::Error| LiveError::Pcap {
            interface: o.interface.clone(),
            action,
            detail: pcap_text(&e),
        };
        let timeout_ms = i32::try_from(o.timeout.as_millis())
            .unwrap_or(i32::MAX)
            .max(1);
        let cap = ::pcap::Capture::from_device(o.interface.as_str())
            .map_err(|e| err("creating the capture", e))?
            .snaplen(i32::try_from(snaplen).unwrap_or(i32::MAX))
            .promisc(o.promisc)
            .timeout(timeout_ms)
            .buffer_size(i32::try_from(o.buffer_size).unwrap_or(i32::MAX))
            .precision(::pcap::Precision::Nano);
        let cap = cap.open().map_err(|e| activate_error(&o.interface, &e))?;
        let mut cap = cap
            .setnonblock()
            .map_err(|e| err("setting non-blocking mode", e))?;
        if let Some(f) = &o.filter {
            cap.filter(f, true).map_err(|e| LiveError::BadFilter {
                filter: f.clone(),
                detail: pcap_text(&e),
            })?;
        }
        let link_type = dlt_to_linktype(cap.get_datalink().0);
        Ok(LiveCapture {
            cap,
            interface: o.interface.clone(),
            description: o.description.clone(),
            filter: o.filter.clone(),
            snaplen,
            link_type,
            frames: 0,
            maybe_more: false,
            timeout: ::nix::poll::PollTimeout::try_from(o.timeout)
                .unwrap_or(::nix::poll::PollTimeout::MAX),
            stats: LiveStats::default(),
            last_raw: (0, 0, 0),
        })
    }

    /// Waits for the next packet. `Ok(None)` when the read timeout expired
    /// with no packet (check your stop conditions and call again).
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, LiveError> {
        use ::nix::poll::{poll, PollFd, PollFlags};
        use std::os::fd::AsFd;
        if !self.maybe_more {
            let mut fds = [PollFd::new(self.cap.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, self.timeout) {
                Ok(0) | Err(::nix::errno::Errno::EINTR) => return Ok(None),
                Ok(_) => {}
                Err(e) => {
                    return Err(LiveError::Pcap {
                        interface: self.interface.clone(),
                        action: "waiting for packets",
                        detail: e.desc().to_string(),
                    })
                }
            }
        }
        match self.cap.next_packet() {
            Ok(p) => {
                self.maybe_more = true;
                self.frames += 1;
                // With nanosecond precision, libpcap puts nanoseconds in tv_usec.
                let ts_ns = i128::from(p.header.ts.tv_sec) * 1_000_000_000
                    + i128::from(p.header.ts.tv_usec);
                Ok(Some(Frame {
                    number: self.frames,
                    ts_ns,
                    orig_len: p.header.len,
                    link_type: self.link_type,
                    interface_id: 0,
                    data: p.data,
                    comment: None,
                }))
            }
            Err(::pcap::Error::TimeoutExpired) | Err(::pcap::Error::NoMorePackets) => {
                self.maybe_more = false;
                Ok(None)
            }
            Err(e) => Err(LiveError::Pcap {
                interface: self.interface.clone(),
                action: "reading a packet",
                detail: pcap_text(&e),
            }),
        }
    }

    /// The kernel's counters since the capture opened, widened to 64 bits.
    pub fn stats(&mut self) -> Result<LiveStats, LiveError> {
        let s = self.cap.stats().map_err(|e| LiveError::Pcap {
            interface: self.interface.clone(),
            action: "reading the capture statistics",
            detail: pcap_text(&e),
        })?;
        let (r, d, i) = self.last_raw;
        self.stats.received += u64::from(s.received.wrapping_sub(r));
        self.stats.dropped += u64::from(s.dropped.wrapping_sub(d));
        self.stats.if_dropped += u64::from(s.if_dropped.wrapping_sub(i));
        self.last_raw = (s.received, s.dropped, s.if_dropped);
        Ok(self.stats)
    }

    /// Frames handed out so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Link-layer type of the packets (a `LINKTYPE_*` value).
    pub fn link_type(&self) -> u32 {
        self.link_type
    }

    /// The interface name.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The pcapng interface description of this capture (name, description,
    /// filter, snap length, link type, OS).
    pub fn description(&self) -> LiveInterfaceInfo {
        LiveInterfaceInfo {
            link_type: self.link_type,
            snaplen: self.snaplen,
            name: self.interface.clone(),
            description: self.description.clone(),
            filter: self.filter.clone(),
            os: os_description(),
        }
    }
}

/// What a pcapng Interface Description Block says about a live capture;
/// an owned [`WriterInterface`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveInterfaceInfo {
    /// Link-layer type.
    pub link_type: u32,
    /// Snapshot length.
    pub snaplen: u32,
    /// `if_name`.
    pub name: String,
    /// `if_description`.
    pub description: Option<String>,
    /// `if_filter`.
    pub filter: Option<String>,
    /// `if_os`.
    pub os: String,
}

impl LiveInterfaceInfo {
    /// As the writer takes it.
    pub fn as_writer(&self) -> WriterInterface<'_> {
        WriterInterface {
            link_type: self.link_type,
            snaplen: self.snaplen,
            name: Some(&self.name),
            description: self.description.as_deref(),
            filter: self.filter.as_deref(),
            os: Some(&self.os),
        }
    }
}

/// When to switch to a new file (tshark's `-b`); any condition met switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RingOptions {
    /// Switch once the file holds this many bytes.
    pub filesize: Option<u64>,
    /// Switch once the file is this old.
    pub duration: Option<Duration>,
    /// Keep only this many files: the oldest is deleted when a new one
    /// starts (0 or `None`: keep all).
    pub files: Option<u32>,
}

impl RingOptions {
    /// Whether any switch condition is set.
    pub fn switches(&self) -> bool {
        self.filesize.is_some() || self.duration.is_some()
    }
}

/// Counts the bytes that go through.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

type Sink = Counting<BufWriter<Box<dyn Write + Send>>>;

/// `base_00001_20240131235959.ext`: tshark's ring buffer file names (the
/// time is UTC, so names sort in order across clock changes).
pub fn ring_file_name(base: &Path, index: u32, unix_secs: i64) -> PathBuf {
    let (y, mo, d, h, mi, s) = civil(unix_secs);
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!(
            "{stem}_{index:05}_{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}.{}",
            ext.to_string_lossy()
        ),
        None => format!("{stem}_{index:05}_{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}"),
    };
    base.with_file_name(name)
}

/// Civil UTC date and time of Unix seconds (Howard Hinnant's algorithm; the
/// same as `sonde_dissect::display::civil_utc`, which sits above this crate).
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, sod / 3600, sod / 60 % 60, sod % 60)
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Writes a live capture to pcapng: one file, standard output, or a ring
/// of files. Each file starts with a Section Header Block and the interface
/// description, and ends with an Interface Statistics Block
/// ([`finish`](Self::finish), or at each switch). Output is buffered: call
/// [`flush`](Self::flush) periodically so that a crash loses at most that
/// much.
pub struct LiveFileWriter {
    base: Option<PathBuf>,
    ring: RingOptions,
    iface: LiveInterfaceInfo,
    start_ns: i128,
    w: PcapNgWriter<Sink>,
    file_started: Instant,
    file_packets: u64,
    index: u32,
    files: VecDeque<PathBuf>,
    all_files: u64,
    bytes_before: u64,
}

impl fmt::Debug for LiveFileWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveFileWriter")
            .field("base", &self.base)
            .field("ring", &self.ring)
            .field("files", &self.files)
            .finish()
    }
}

fn start_file(
    out: Box<dyn Write + Send>,
    iface: &LiveInterfaceInfo,
) -> io::Result<PcapNgWriter<Sink>> {
    let sink = Counting {
        inner: BufWriter::with_capacity(1 << 16, out),
        bytes: 0,
    };
    let mut w = PcapNgWriter::with_section(
        sink,
        &SectionOptions {
            os: Some(&iface.os),
            ..SectionOptions::default()
        },
    )?;
    w.add_interface(&iface.as_writer())?;
    Ok(w)
}

impl LiveFileWriter {
    /// Starts the output: `path` `None` is standard output; with a ring
    /// whose [`switches`](RingOptions::switches) is set, files are named by
    /// [`ring_file_name`] from `path`.
    pub fn create(
        path: Option<&Path>,
        ring: RingOptions,
        iface: LiveInterfaceInfo,
    ) -> io::Result<LiveFileWriter> {
        if ring.switches() && path.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a ring buffer of files needs a file name (-w FILE), not standard output",
            ));
        }
        let mut lw = LiveFileWriter {
            base: path.map(Path::to_path_buf),
            ring,
            w: start_file(Box::new(io::sink()), &iface)?,
            iface,
            start_ns: now_ns(),
            file_started: Instant::now(),
            file_packets: 0,
            index: 0,
            files: VecDeque::new(),
            all_files: 0,
            bytes_before: 0,
        };
        lw.w = lw.open_next()?;
        Ok(lw)
    }

    fn open_next(&mut self) -> io::Result<PcapNgWriter<Sink>> {
        let out: Box<dyn Write + Send> = match &self.base {
            None => Box::new(io::stdout()),
            Some(base) if !self.ring.switches() => Box::new(File::create(base)?),
            Some(base) => {
                self.index += 1;
                let secs = (now_ns() / 1_000_000_000) as i64;
                let name = ring_file_name(base, self.index, secs);
                let f = File::create(&name)?;
                self.files.push_back(name);
                let keep = self.ring.files.unwrap_or(0) as usize;
                while keep > 0 && self.files.len() > keep {
                    if let Some(old) = self.files.pop_front() {
                        std::fs::remove_file(&old)?;
                    }
                }
                Box::new(f)
            }
        };
        self.all_files += 1;
        self.file_started = Instant::now();
        self.file_packets = 0;
        start_file(out, &self.iface)
    }

    fn isb(&self, stats: Option<&LiveStats>) -> InterfaceStats {
        let now = now_ns();
        InterfaceStats {
            ts_ns: now,
            start_ns: Some(self.start_ns),
            end_ns: Some(now),
            ifrecv: stats.map(|s| s.received),
            ifdrop: stats.map(|s| s.dropped + s.if_dropped),
        }
    }

    /// Whether the ring's switch condition is met (and the current file
    /// holds at least one packet).
    pub fn should_switch(&self) -> bool {
        self.file_packets > 0
            && (self.ring.filesize.is_some_and(|s| self.file_bytes() >= s)
                || self
                    .ring
                    .duration
                    .is_some_and(|d| self.file_started.elapsed() >= d))
    }

    /// Closes the current file with an Interface Statistics Block and starts
    /// the next one of the ring.
    pub fn switch(&mut self, stats: Option<&LiveStats>) -> io::Result<()> {
        let isb = self.isb(stats);
        self.w.write_stats(0, &isb)?;
        self.w.flush()?;
        self.bytes_before += self.file_bytes();
        self.w = self.open_next()?;
        Ok(())
    }

    /// Writes one packet (its bytes, timestamp and original length).
    pub fn write(&mut self, f: &Frame<'_>) -> io::Result<()> {
        self.w
            .write_packet(0, f.ts_ns, f.orig_len, f.data, f.comment)?;
        self.file_packets += 1;
        Ok(())
    }

    /// Pushes buffered packets to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// Bytes written to the current file (buffered ones included).
    pub fn file_bytes(&self) -> u64 {
        self.w.get_ref().bytes
    }

    /// Bytes written over all files.
    pub fn total_bytes(&self) -> u64 {
        self.bytes_before + self.file_bytes()
    }

    /// Files started so far (1 for a single file).
    pub fn files_started(&self) -> u64 {
        self.all_files
    }

    /// The ring's files still on disk, oldest first (empty without a ring).
    pub fn ring_files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(PathBuf::as_path)
    }

    /// Ends the output: the Interface Statistics Block, then a flush.
    pub fn finish(mut self, stats: Option<&LiveStats>) -> io::Result<()> {
        let isb = self.isb(stats);
        self.w.write_stats(0, &isb)?;
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaptureReader;

    #[test]
    fn prefix_from_masks() {
        let v4 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(prefix_of(&v4("255.255.255.0")), Some(24));
        assert_eq!(prefix_of(&v4("255.255.0.0")), Some(16));
        assert_eq!(prefix_of(&v4("0.0.0.0")), Some(0));
        assert_eq!(prefix_of(&v4("255.255.255.255")), Some(32));
        assert_eq!(prefix_of(&v4("255.0.255.0")), None);
        assert_eq!(prefix_of(&v4("ffff:ffff:ffff:ffff::")), Some(64));
        assert_eq!(
            prefix_of(&v4("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
            Some(128)
        );
    }

    #[test]
    fn ring_names_follow_tshark() {
        // 2024-01-31 23:59:59 UTC
        let t = 1_706_745_599;
        assert_eq!(
            ring_file_name(Path::new("/tmp/cap.pcapng"), 1, t),
            PathBuf::from("/tmp/cap_00001_20240131235959.pcapng")
        );
        assert_eq!(
            ring_file_name(Path::new("out"), 12, 0),
            PathBuf::from("out_00012_19700101000000")
        );
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
    }

    fn iface() -> LiveInterfaceInfo {
        LiveInterfaceInfo {
            link_type: linktype::ETHERNET,
            snaplen: 65535,
            name: "veth0".into(),
            description: Some("test".into()),
            filter: Some("tcp port 22".into()),
            os: "Linux 6.1".into(),
        }
    }

    fn frame(n: u64, data: &[u8]) -> Frame<'_> {
        Frame {
            number: n,
            ts_ns: 1_700_000_000_000_000_000 + i128::from(n),
            orig_len: data.len() as u32,
            link_type: linktype::ETHERNET,
            interface_id: 0,
            data,
            comment: None,
        }
    }

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sonde-live-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn single_file_has_idb_packets_and_isb() {
        let d = dir("single");
        let p = d.join("a.pcapng");
        let mut w = LiveFileWriter::create(Some(&p), RingOptions::default(), iface()).unwrap();
        for n in 1..=3 {
            w.write(&frame(n, &[n as u8; 60])).unwrap();
        }
        let stats = LiveStats {
            received: 5,
            dropped: 1,
            if_dropped: 1,
        };
        w.finish(Some(&stats)).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        // The ISB is the last block: type 5, ifrecv 5, ifdrop 2.
        let tail_len = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap()) as usize;
        let isb = &bytes[bytes.len() - tail_len..];
        assert_eq!(u32::from_le_bytes(isb[..4].try_into().unwrap()), 5);
        let mut r = CaptureReader::open(&p).unwrap();
        let mut n = 0;
        while let Some(f) = r.next_frame() {
            let f = f.unwrap();
            n += 1;
            assert_eq!(f.data, &[n as u8; 60][..]);
        }
        assert_eq!(n, 3);
        let i = &r.interfaces()[0];
        assert_eq!(i.name.as_deref(), Some("veth0"));
        assert_eq!(i.filter.as_deref(), Some("tcp port 22"));
        assert_eq!(i.os.as_deref(), Some("Linux 6.1"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn ring_keeps_the_last_files() {
        let d = dir("ring");
        let p = d.join("r.pcapng");
        let ring = RingOptions {
            filesize: Some(200),
            duration: None,
            files: Some(3),
        };
        let mut w = LiveFileWriter::create(Some(&p), ring, iface()).unwrap();
        for n in 1..=20 {
            if w.should_switch() {
                w.switch(None).unwrap();
            }
            w.write(&frame(n, &[0u8; 100])).unwrap();
        }
        let kept: Vec<PathBuf> = w.ring_files().map(Path::to_path_buf).collect();
        assert!(w.files_started() > 3);
        w.finish(None).unwrap();
        let mut on_disk: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        on_disk.sort();
        assert_eq!(on_disk, kept);
        assert_eq!(on_disk.len(), 3);
        for f in &on_disk {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                name.starts_with("r_000") && name.ends_with(".pcapng"),
                "{name}"
            );
            let mut r = CaptureReader::open(f).unwrap();
            assert!(r.next_frame().is_some());
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
