//! Dissection: the field registry, the dissection tree, the protocol
//! dissectors and the trackers that carry state from frame to frame.
//!
//! ```no_run
//! let mut dissector = sonde_dissect::Dissector::new(Default::default());
//! let mut d = sonde_dissect::Dissection::new();
//! # let frame: sonde_capture::Frame = todo!();
//! dissector.dissect(&frame, &mut d);
//! println!("{}", d.info());
//! ```
#![forbid(unsafe_code)]

pub mod display;
pub mod oui;
pub mod ports;
pub mod proto;
pub mod registry;
pub mod tree;

pub use registry::{FieldDef, Kind};
pub use tree::{Dissection, NodeId, Value};

use proto::Ctx;

/// State that spans frames: the TCP and UDP streams and the interfaces.
#[derive(Default)]
pub struct Trackers {
    /// TCP streams.
    pub tcp: proto::tcp::Tracker,
    /// UDP conversations.
    pub udp: proto::udp::Tracker,
    /// Capture interface names, by interface id (for the Frame layer).
    pub interface_names: Vec<Option<String>>,
    /// pcapng section number (from 1) of each interface; empty for pcap files.
    pub interface_sections: Vec<u32>,
    /// A buffer reused from frame to frame by dissectors that build text.
    pub scratch: String,
    /// What a first pass learnt about later frames (two-pass mode, `-2`).
    pub hindsight: Hindsight,
}

/// Facts only a later frame reveals, collected by a first pass over the file
/// and shown by the second (like tshark's `-2`): which frame answered an HTTP
/// request, which frame completed a reassembled message. Memory grows with
/// the number of requests and messages, which is why it is opt-in.
#[derive(Debug, Default)]
pub struct Hindsight {
    /// Recording (first pass) or consulting (second pass).
    pub recording: bool,
    /// HTTP request frame → response frame.
    pub response_in: rustc_hash::FxHashMap<u64, u64>,
    /// Segment frame → frame where its message was reassembled.
    pub reassembled_in: rustc_hash::FxHashMap<u64, u64>,
    /// TCP stream → its final completeness and initial RTT.
    pub streams: rustc_hash::FxHashMap<u32, (u8, Option<i64>)>,
}

/// Dissection preferences.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Verify IPv4, TCP and UDP checksums (Wireshark's default is not to).
    pub verify_checksums: bool,
    /// Forget TCP/UDP streams idle this long (capture time), bounding memory.
    pub idle_timeout_ns: i64,
    /// Forget closed TCP streams idle this long.
    pub closed_timeout_ns: i64,
    /// Read the capture twice, to show what later frames reveal (tshark's `-2`).
    pub two_pass: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            verify_checksums: false,
            idle_timeout_ns: 3600 * 1_000_000_000,
            closed_timeout_ns: 60 * 1_000_000_000,
            two_pass: false,
        }
    }
}

/// Dissects frames in order, keeping the trackers' state between them.
pub struct Dissector {
    /// State across frames.
    pub trackers: Trackers,
    opts: Options,
    first_ts: Option<i64>,
    prev_ts: i64,
    prev_displayed_ts: Option<i64>,
    frames: u64,
}

impl Dissector {
    /// A dissector with the given preferences.
    pub fn new(opts: Options) -> Dissector {
        Dissector {
            trackers: Trackers::default(),
            opts,
            first_ts: None,
            prev_ts: 0,
            prev_displayed_ts: None,
            frames: 0,
        }
    }

    /// Starts recording hindsight (first of two passes).
    pub fn record_hindsight(&mut self) {
        self.trackers.hindsight.recording = true;
    }

    /// Ends a first pass: returns what it learnt, for a new dissector's second pass.
    pub fn take_hindsight(&mut self) -> Hindsight {
        let mut h = std::mem::take(&mut self.trackers.hindsight);
        h.recording = false;
        h
    }

    /// Gives a first pass's findings to this dissector (second pass).
    pub fn use_hindsight(&mut self, h: Hindsight) {
        self.trackers.hindsight = h;
    }

    /// Sets the names of the capture's interfaces, by interface id, and for
    /// pcapng files the section (from 1) each belongs to.
    pub fn set_interfaces(&mut self, names: Vec<Option<String>>, sections: Vec<u32>) {
        self.trackers.interface_names = names;
        self.trackers.interface_sections = sections;
    }

    /// Tells the dissector the last dissected frame was displayed (for
    /// `frame.time_delta_displayed`).
    pub fn mark_displayed(&mut self, d: &Dissection) {
        self.prev_displayed_ts = Some(d.frame.ts_ns);
    }

    /// Dissects one frame into `d` (cleared first).
    pub fn dissect(&mut self, frame: &sonde_capture::Frame<'_>, d: &mut Dissection) {
        let ts = i64::try_from(frame.ts_ns).unwrap_or(i64::MAX);
        let first = *self.first_ts.get_or_insert(ts);
        let prev = if self.frames == 0 { ts } else { self.prev_ts };
        let info = tree::FrameInfo {
            number: frame.number,
            ts_ns: ts,
            cap_len: frame.data.len() as u32,
            orig_len: frame.orig_len,
            link_type: frame.link_type,
            interface_id: frame.interface_id,
            rel_ns: ts - first,
            delta_ns: ts - prev,
            delta_displayed_ns: ts - self.prev_displayed_ts.unwrap_or(ts),
        };
        self.prev_ts = ts;
        self.frames += 1;
        d.clear(info);
        let mut cx = Ctx {
            data: frame.data,
            d,
            trk: &mut self.trackers,
            net: Default::default(),
            depth: 0,
            in_icmp_error: false,
            verify_checksums: self.opts.verify_checksums,
            ttl: 0,
        };
        let top = proto::frame::dissect(&mut cx);
        let len = frame.data.len();
        // Dissectors get the reported extent and bound their reads by the
        // captured bytes, so a snap-length cut is told apart from a bad length.
        let reported = (frame.orig_len as usize).max(len);
        match proto::lookup(proto::LINK_TYPES, frame.link_type) {
            Some(f) => {
                f(&mut cx, top, 0, reported);
            }
            None => {
                cx.d.cols.protocol = "";
                cx.d.set_info(format_args!("Unsupported link type {}", frame.link_type));
                proto::data::dissect(&mut cx, top, 0, len);
            }
        }
        proto::frame::finish(&mut cx, top);
        if self.frames.is_multiple_of(16384) {
            self.trackers
                .tcp
                .sweep(ts, self.opts.idle_timeout_ns, self.opts.closed_timeout_ns);
            self.trackers.udp.sweep(ts, self.opts.idle_timeout_ns);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Dissects one frame of the given link type with a fresh dissector.
    pub fn dissect_bytes(link_type: u32, data: &[u8]) -> (Dissection, Dissector) {
        let mut dis = Dissector::new(Options::default());
        let mut d = Dissection::new();
        let frame = sonde_capture::Frame {
            number: 1,
            ts_ns: 1_633_443_151_903_890_000,
            orig_len: data.len() as u32,
            link_type,
            interface_id: 0,
            data,
            comment: None,
        };
        dis.dissect(&frame, &mut d);
        (d, dis)
    }
}
