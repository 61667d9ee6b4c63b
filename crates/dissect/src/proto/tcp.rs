//! TCP (RFC 9293): every header field and option, flags, and the per-stream
//! state Wireshark shows: stream index, relative sequence numbers, window
//! scaling, conversation completeness, timestamps.

use super::conv::ConvKey;
use super::{be16, be32, inet_checksum, Ctx};
use crate::display::push_u64;
use crate::field_table;
use crate::registry::{Base, FieldDef, Kind};
use crate::tree::{Group, NodeId, Severity, Value, ROOT};
use rustc_hash::FxHashMap;

/// `tcp`
pub static TCP: FieldDef = FieldDef::new("tcp", "Transmission Control Protocol", Kind::Protocol)
    .blurb("The transport layer with connections: ports, reliable ordered delivery by sequence numbers and acknowledgements, flow control by the window.");
static SRCPORT: FieldDef = FieldDef::new("tcp.srcport", "Source Port", Kind::U16)
    .blurb("Port of the sending application (a client's ephemeral port, or the server's well-known port in a reply).");
static DSTPORT: FieldDef = FieldDef::new("tcp.dstport", "Destination Port", Kind::U16)
    .blurb("Port of the receiving application (80 = HTTP, 22 = SSH, 3389 = RDP).");
static PORT: FieldDef = FieldDef::new("tcp.port", "Source or Destination Port", Kind::U16);
static STREAM: FieldDef = FieldDef::new("tcp.stream", "Stream index", Kind::U32)
    .blurb("Wireshark's number for this TCP connection, from 0 in order of appearance.");
static COMPLETENESS: FieldDef = FieldDef::new("tcp.completeness", "Conversation completeness", Kind::U8)
    .blurb("Which phases of the connection were captured so far: 1 SYN, 2 SYN-ACK, 4 ACK, 8 data, 16 FIN, 32 RST.");
static LEN: FieldDef = FieldDef::new("tcp.len", "TCP Segment Len", Kind::U32)
    .blurb("Bytes of data in this segment (after the TCP header).");
static SEQ: FieldDef = FieldDef::new("tcp.seq", "Sequence Number", Kind::U32)
    .blurb("Position of this segment's first data byte in the sender's byte stream; relative numbers start at 0 with the SYN.");
static SEQ_RAW: FieldDef = FieldDef::new("tcp.seq_raw", "Sequence Number (raw)", Kind::U32)
    .blurb("The sequence number as sent on the wire (random initial value).");
static NXTSEQ: FieldDef = FieldDef::new("tcp.nxtseq", "Next Sequence Number", Kind::U32)
    .blurb("Sequence number the sender's next segment should carry (this one plus its length; SYN and FIN count for one).");
static ACK: FieldDef = FieldDef::new("tcp.ack", "Acknowledgment Number", Kind::U32)
    .blurb("Next byte the sender expects from the other side: everything before it was received.");
static ACK_RAW: FieldDef = FieldDef::new("tcp.ack_raw", "Acknowledgment number (raw)", Kind::U32)
    .blurb("The acknowledgement number as sent on the wire.");
static HDR_LEN: FieldDef = FieldDef::new("tcp.hdr_len", "Header Length", Kind::U8)
    .blurb("Length of the TCP header with options, in bytes (the field counts 32-bit words).");
static FLAGS: FieldDef = FieldDef::new("tcp.flags", "Flags", Kind::U16).base(Base::Hex).mask(0x0fff)
    .blurb("Control bits: SYN opens, FIN closes, RST aborts, ACK acknowledges, PSH pushes data to the application.");
static F_RES: FieldDef = FieldDef::new("tcp.flags.res", "Reserved", Kind::Bool)
    .mask(0xe00)
    .bits(12);
static F_AE: FieldDef = FieldDef::new("tcp.flags.ae", "Accurate ECN", Kind::Bool)
    .mask(0x100)
    .bits(12);
static F_CWR: FieldDef = FieldDef::new("tcp.flags.cwr", "Congestion Window Reduced", Kind::Bool)
    .mask(0x80)
    .bits(12);
static F_ECE: FieldDef = FieldDef::new("tcp.flags.ece", "ECN-Echo", Kind::Bool)
    .mask(0x40)
    .bits(12);
static F_URG: FieldDef = FieldDef::new("tcp.flags.urg", "Urgent", Kind::Bool)
    .mask(0x20)
    .bits(12);
static F_ACK: FieldDef = FieldDef::new("tcp.flags.ack", "Acknowledgment", Kind::Bool)
    .mask(0x10)
    .bits(12)
    .blurb("The acknowledgement number is valid (set on every segment after the first SYN).");
static F_PUSH: FieldDef = FieldDef::new("tcp.flags.push", "Push", Kind::Bool)
    .mask(0x08)
    .bits(12)
    .blurb("Deliver the data to the application now.");
static F_RESET: FieldDef = FieldDef::new("tcp.flags.reset", "Reset", Kind::Bool)
    .mask(0x04)
    .bits(12)
    .blurb("Abort the connection (or refuse it, in answer to a SYN).");
static F_SYN: FieldDef = FieldDef::new("tcp.flags.syn", "Syn", Kind::Bool).mask(0x02).bits(12)
    .blurb("Synchronize sequence numbers: opens a connection (first two segments of the three-way handshake).");
static F_FIN: FieldDef = FieldDef::new("tcp.flags.fin", "Fin", Kind::Bool)
    .mask(0x01)
    .bits(12)
    .blurb("The sender has no more data: closes its direction of the connection.");
static F_STR: FieldDef = FieldDef::new("tcp.flags.str", "TCP Flags", Kind::Str);
static WINDOW_VALUE: FieldDef = FieldDef::new("tcp.window_size_value", "Window", Kind::U16).blurb(
    "The window field as sent: how many bytes the sender can still receive, before scaling.",
);
static WINDOW: FieldDef = FieldDef::new("tcp.window_size", "Calculated window size", Kind::U32)
    .blurb("The receive window in bytes: the window field multiplied by the scale factor announced in the handshake.");
static WINDOW_SCALE: FieldDef = FieldDef::new("tcp.window_size_scalefactor", "Window size scaling factor", Kind::I32)
    .blurb("What the window field is multiplied by (from the SYN's window scale option); -1 unknown (handshake not captured), -2 no scaling.");
static CHECKSUM: FieldDef = FieldDef::new("tcp.checksum", "Checksum", Kind::U16).base(Base::Hex)
    .blurb("Checksum over a pseudo-header, the TCP header and data (often wrong on the sending host: checksum offload).");
static CHECKSUM_CALC: FieldDef =
    FieldDef::new("tcp.checksum_calculated", "Calculated Checksum", Kind::U16).base(Base::Hex);
static CHECKSUM_STATUS: FieldDef =
    FieldDef::new("tcp.checksum.status", "Checksum Status", Kind::U8)
        .base(Base::None)
        .vals(super::ipv4::CHECKSUM_STATUS);
static URGENT: FieldDef = FieldDef::new("tcp.urgent_pointer", "Urgent Pointer", Kind::U16);
static OPTIONS: FieldDef = FieldDef::new("tcp.options", "TCP Options", Kind::Bytes)
    .blurb("Options after the fixed 20-byte header: MSS, window scale, SACK, timestamps...");
static OPT_KIND: FieldDef = FieldDef::new("tcp.option_kind", "Kind", Kind::U8).vals(OPTION_NAMES);
static OPT_LEN: FieldDef = FieldDef::new("tcp.option_len", "Length", Kind::U8);
static O_MSS: FieldDef = FieldDef::new("tcp.options.mss", "TCP MSS Option", Kind::None)
    .blurb("Maximum segment size: the largest TCP payload the sender will accept.");
static O_MSS_VAL: FieldDef = FieldDef::new("tcp.options.mss_val", "MSS Value", Kind::U16)
    .blurb("Largest segment payload, in bytes, the sender of the SYN accepts (1460 on Ethernet).");
static O_NOP: FieldDef = FieldDef::new(
    "tcp.options.nop",
    "TCP Option - No-Operation (NOP)",
    Kind::None,
);
static O_EOL: FieldDef = FieldDef::new(
    "tcp.options.eol",
    "TCP Option - End of Option List (EOL)",
    Kind::None,
);
static O_WSCALE: FieldDef =
    FieldDef::new("tcp.options.wscale", "TCP Window Scale Option", Kind::None)
        .blurb("Window scale: the window fields this side sends are to be multiplied by 2^shift.");
static O_WSCALE_SHIFT: FieldDef =
    FieldDef::new("tcp.options.wscale.shift", "Shift count", Kind::U8)
        .blurb("Window scale shift: multiply the window by 2 to this power.");
static O_WSCALE_MULT: FieldDef =
    FieldDef::new("tcp.options.wscale.multiplier", "Multiplier", Kind::U16);
static O_SACK_PERM: FieldDef = FieldDef::new(
    "tcp.options.sack_perm",
    "TCP SACK Permitted Option",
    Kind::None,
)
.blurb("The sender can receive selective acknowledgements.");
static O_SACK: FieldDef = FieldDef::new("tcp.options.sack", "TCP SACK Option", Kind::None)
    .blurb("Selective acknowledgement: blocks of data received beyond the acknowledgement number.");
static O_SACK_LE: FieldDef = FieldDef::new("tcp.options.sack_le", "left edge", Kind::U32);
static O_SACK_RE: FieldDef = FieldDef::new("tcp.options.sack_re", "right edge", Kind::U32);
static O_SACK_COUNT: FieldDef = FieldDef::new("tcp.options.sack.count", "TCP SACK Count", Kind::U8);
static O_TS: FieldDef = FieldDef::new("tcp.options.timestamp", "TCP Timestamps Option", Kind::None)
    .blurb("Timestamps (RFC 7323): for RTT measurement and protection against wrapped sequence numbers.");
static O_TSVAL: FieldDef =
    FieldDef::new("tcp.options.timestamp.tsval", "Timestamp value", Kind::U32);
static O_TSECR: FieldDef = FieldDef::new(
    "tcp.options.timestamp.tsecr",
    "Timestamp echo reply",
    Kind::U32,
);
static O_TFO: FieldDef = FieldDef::new("tcp.options.tfo", "TCP Fast Open", Kind::None)
    .blurb("TCP Fast Open (RFC 7413): a cookie lets data ride on the SYN.");
static O_TFO_REQUEST: FieldDef = FieldDef::new(
    "tcp.options.tfo.request",
    "Fast Open Cookie Request",
    Kind::None,
);
static O_TFO_COOKIE: FieldDef =
    FieldDef::new("tcp.options.tfo.cookie", "Fast Open Cookie", Kind::Bytes);
static O_UNKNOWN: FieldDef = FieldDef::new("tcp.options.unknown", "Unknown option", Kind::None);
static O_UNKNOWN_PAYLOAD: FieldDef =
    FieldDef::new("tcp.options.unknown.payload", "Payload", Kind::Bytes);
static O_EXP: FieldDef = FieldDef::new(
    "tcp.options.experimental",
    "TCP Option - Experimental",
    Kind::None,
);
static O_EXP_DATA: FieldDef = FieldDef::new("tcp.options.experimental.data", "Data", Kind::Bytes);
static TIME_RELATIVE: FieldDef = FieldDef::new(
    "tcp.time_relative",
    "Time since first frame in this TCP stream",
    Kind::RelTime,
)
.blurb("Seconds since the stream's first segment.");
static TIME_DELTA: FieldDef = FieldDef::new(
    "tcp.time_delta",
    "Time since previous frame in this TCP stream",
    Kind::RelTime,
);
pub(crate) static PAYLOAD: FieldDef = FieldDef::new("tcp.payload", "TCP payload", Kind::Bytes)
    .blurb("The data the segment carries for the application protocol above TCP.");
static CONNECTION_SYN: FieldDef = FieldDef::new(
    "tcp.connection.syn",
    "Connection establish request (SYN)",
    Kind::None,
);
static CONNECTION_SACK: FieldDef = FieldDef::new(
    "tcp.connection.synack",
    "Connection establish acknowledge (SYN+ACK)",
    Kind::None,
);
static CONNECTION_FIN: FieldDef =
    FieldDef::new("tcp.connection.fin", "Connection finish (FIN)", Kind::None);
static CONNECTION_RST: FieldDef =
    FieldDef::new("tcp.connection.rst", "Connection reset (RST)", Kind::None);
static ANALYSIS_NODE: FieldDef = FieldDef::new("tcp.analysis", "SEQ/ACK analysis", Kind::None)
    .blurb("Wireshark-style analysis of this segment against the rest of the stream.");
static A_ACKS_FRAME: FieldDef = FieldDef::new(
    "tcp.analysis.acks_frame",
    "This is an ACK to the segment in frame",
    Kind::FrameNum,
)
.blurb("The frame whose data this ACK acknowledges.");
static A_ACK_RTT: FieldDef = FieldDef::new(
    "tcp.analysis.ack_rtt",
    "The RTT to ACK the segment was",
    Kind::RelTime,
)
.blurb("Time between the data segment and its acknowledgement.");
static A_INITIAL_RTT: FieldDef = FieldDef::new("tcp.analysis.initial_rtt", "iRTT", Kind::RelTime)
    .blurb(
        "Initial round-trip time: from the SYN to the ACK that completes the three-way handshake.",
    );
static A_BYTES_IN_FLIGHT: FieldDef =
    FieldDef::new("tcp.analysis.bytes_in_flight", "Bytes in flight", Kind::U32)
        .blurb("Data sent by this side and not yet acknowledged by the other.");
static A_PUSH_BYTES: FieldDef = FieldDef::new(
    "tcp.analysis.push_bytes_sent",
    "Bytes sent since last PSH flag",
    Kind::U32,
);
static A_FLAGS: FieldDef = FieldDef::new("tcp.analysis.flags", "TCP Analysis Flags", Kind::None);
static A_RETRANSMISSION: FieldDef =
    FieldDef::new("tcp.analysis.retransmission", "Retransmission", Kind::None).blurb(
        "The segment carries data already sent: the first copy was lost or its ACK was late.",
    );
static A_FAST_RETRANSMISSION: FieldDef = FieldDef::new(
    "tcp.analysis.fast_retransmission",
    "Fast Retransmission",
    Kind::None,
)
.blurb("A retransmission right after duplicate ACKs asked for it.");
static A_SPURIOUS_RETRANSMISSION: FieldDef = FieldDef::new(
    "tcp.analysis.spurious_retransmission",
    "Spurious Retransmission",
    Kind::None,
)
.blurb("A retransmission of data the other side had already acknowledged.");
static A_OUT_OF_ORDER: FieldDef =
    FieldDef::new("tcp.analysis.out_of_order", "Out-Of-Order", Kind::None)
        .blurb("The segment arrived after one with a higher sequence number.");
static A_LOST_SEGMENT: FieldDef = FieldDef::new(
    "tcp.analysis.lost_segment",
    "Previous segment not captured",
    Kind::None,
)
.blurb("A gap in the sequence numbers: data before this segment was not captured.");
static A_ACK_LOST_SEGMENT: FieldDef = FieldDef::new(
    "tcp.analysis.ack_lost_segment",
    "ACKed segment that wasn't captured",
    Kind::None,
);
static A_KEEP_ALIVE: FieldDef = FieldDef::new("tcp.analysis.keep_alive", "Keep-Alive", Kind::None);
static A_KEEP_ALIVE_ACK: FieldDef =
    FieldDef::new("tcp.analysis.keep_alive_ack", "Keep-Alive ACK", Kind::None);
static A_DUPLICATE_ACK: FieldDef =
    FieldDef::new("tcp.analysis.duplicate_ack", "Duplicate ACK", Kind::None)
        .blurb("The same acknowledgement again with no data: the receiver is missing a segment.");
static A_DUPLICATE_ACK_NUM: FieldDef = FieldDef::new(
    "tcp.analysis.duplicate_ack_num",
    "Duplicate ACK #",
    Kind::U32,
);
static A_DUPLICATE_ACK_FRAME: FieldDef = FieldDef::new(
    "tcp.analysis.duplicate_ack_frame",
    "Duplicate to the ACK in frame",
    Kind::FrameNum,
);
static A_ZERO_WINDOW: FieldDef =
    FieldDef::new("tcp.analysis.zero_window", "Zero Window", Kind::None)
        .blurb("The receiver's buffer is full: the sender must stop.");
static A_ZERO_WINDOW_PROBE: FieldDef = FieldDef::new(
    "tcp.analysis.zero_window_probe",
    "Zero Window Probe",
    Kind::None,
);
static A_ZERO_WINDOW_PROBE_ACK: FieldDef = FieldDef::new(
    "tcp.analysis.zero_window_probe_ack",
    "Zero Window Probe Ack",
    Kind::None,
);
static A_WINDOW_UPDATE: FieldDef =
    FieldDef::new("tcp.analysis.window_update", "Window update", Kind::None);
static A_WINDOW_FULL: FieldDef =
    FieldDef::new("tcp.analysis.window_full", "Window full", Kind::None);
static A_REUSED_PORTS: FieldDef = FieldDef::new(
    "tcp.analysis.reused_ports",
    "TCP port numbers reused",
    Kind::None,
);
static FIN_ACTIVE: FieldDef = FieldDef::new(
    "tcp.connection.fin_active",
    "This frame initiates the connection closing",
    Kind::None,
);
static FIN_PASSIVE: FieldDef = FieldDef::new(
    "tcp.connection.fin_passive",
    "This frame undergoes the connection closing",
    Kind::None,
);
static SEGMENT_DATA: FieldDef = FieldDef::new("tcp.segment_data", "TCP segment data", Kind::Bytes)
    .blurb(
        "Payload bytes kept for reassembly: the application message continues in later segments.",
    );
static REASSEMBLED_DATA: FieldDef =
    FieldDef::new("tcp.reassembled.data", "Reassembled TCP Data", Kind::Bytes);
static REASSEMBLED_IN: FieldDef = FieldDef::new(
    "tcp.reassembled_in",
    "Reassembled PDU in frame",
    Kind::FrameNum,
)
.blurb(
    "The frame where the message this segment belongs to is complete (known with two passes, -2).",
);
static SEGMENTS: FieldDef = FieldDef::new("tcp.segments", "Reassembled TCP Segments", Kind::None)
    .blurb("The segments whose payloads make up the application message shown in this frame.");
static SEGMENT: FieldDef = FieldDef::new("tcp.segment", "TCP Segment", Kind::FrameNum);
static SEGMENT_COUNT: FieldDef = FieldDef::new("tcp.segment.count", "Segment count", Kind::U32);
static REASSEMBLED_LENGTH: FieldDef = FieldDef::new(
    "tcp.reassembled.length",
    "Reassembled TCP length",
    Kind::U32,
);
static BOGUS_HDR: FieldDef = FieldDef::new(
    "tcp.bogus_header_length",
    "Bogus TCP Header Length",
    Kind::None,
);

static OPTION_NAMES: &[(u64, &str)] = &[
    (0, "End of Option List"),
    (1, "No-Operation"),
    (2, "Maximum Segment Size"),
    (3, "Window Scale"),
    (4, "SACK Permitted"),
    (5, "SACK"),
    (8, "Time Stamp Option"),
    (19, "MD5 signature"),
    (28, "User Timeout"),
    (29, "TCP Authentication Option"),
    (30, "Multipath TCP"),
    (34, "TCP Fast Open Cookie"),
    (253, "RFC3692-style Experiment 1"),
    (254, "RFC3692-style Experiment 2"),
];

field_table!(
    FIELDS = [
        TCP,
        SRCPORT,
        DSTPORT,
        PORT,
        STREAM,
        COMPLETENESS,
        LEN,
        SEQ,
        SEQ_RAW,
        NXTSEQ,
        ACK,
        ACK_RAW,
        HDR_LEN,
        FLAGS,
        F_RES,
        F_AE,
        F_CWR,
        F_ECE,
        F_URG,
        F_ACK,
        F_PUSH,
        F_RESET,
        F_SYN,
        F_FIN,
        F_STR,
        WINDOW_VALUE,
        WINDOW,
        WINDOW_SCALE,
        CHECKSUM,
        CHECKSUM_CALC,
        CHECKSUM_STATUS,
        URGENT,
        OPTIONS,
        OPT_KIND,
        OPT_LEN,
        O_MSS,
        O_MSS_VAL,
        O_NOP,
        O_EOL,
        O_WSCALE,
        O_WSCALE_SHIFT,
        O_WSCALE_MULT,
        O_SACK_PERM,
        O_SACK,
        O_SACK_LE,
        O_SACK_RE,
        O_SACK_COUNT,
        O_TS,
        O_TSVAL,
        O_TSECR,
        O_TFO,
        O_TFO_REQUEST,
        O_TFO_COOKIE,
        O_UNKNOWN,
        O_UNKNOWN_PAYLOAD,
        O_EXP,
        O_EXP_DATA,
        TIME_RELATIVE,
        TIME_DELTA,
        PAYLOAD,
        CONNECTION_SYN,
        CONNECTION_SACK,
        CONNECTION_FIN,
        CONNECTION_RST,
        ANALYSIS_NODE,
        A_ACKS_FRAME,
        A_ACK_RTT,
        A_INITIAL_RTT,
        A_BYTES_IN_FLIGHT,
        A_PUSH_BYTES,
        A_FLAGS,
        A_RETRANSMISSION,
        A_FAST_RETRANSMISSION,
        A_SPURIOUS_RETRANSMISSION,
        A_OUT_OF_ORDER,
        A_LOST_SEGMENT,
        A_ACK_LOST_SEGMENT,
        A_KEEP_ALIVE,
        A_KEEP_ALIVE_ACK,
        A_DUPLICATE_ACK,
        A_DUPLICATE_ACK_NUM,
        A_DUPLICATE_ACK_FRAME,
        A_ZERO_WINDOW,
        A_ZERO_WINDOW_PROBE,
        A_ZERO_WINDOW_PROBE_ACK,
        A_WINDOW_UPDATE,
        A_WINDOW_FULL,
        A_REUSED_PORTS,
        FIN_ACTIVE,
        FIN_PASSIVE,
        SEGMENT_DATA,
        REASSEMBLED_IN,
        REASSEMBLED_DATA,
        SEGMENTS,
        SEGMENT,
        SEGMENT_COUNT,
        REASSEMBLED_LENGTH,
        BOGUS_HDR
    ]
);

const FIN: u16 = 0x01;
const SYN: u16 = 0x02;
const RST: u16 = 0x04;
const PSH: u16 = 0x08;
const ACKF: u16 = 0x10;

/// One direction of a stream.
#[derive(Debug, Clone, Default)]
struct Flow {
    /// Sequence analysis state.
    seq: super::tcp_analysis::SeqState,
    /// Bytes of an application PDU that spans segments, waiting for the rest.
    reasm: Vec<u8>,
    /// Raw sequence number the next reassembled byte must carry.
    reasm_next: u32,
    /// Frames (and their byte counts) that went into `reasm`.
    reasm_frames: Vec<(u64, u32)>,
    /// Length `reasm` must reach before its message can be complete (0:
    /// unknown), so that a long body is not parsed again with each segment.
    reasm_need: usize,
    /// Segments that arrived ahead of a gap in `reasm`: (seq, frame, bytes).
    reasm_ahead: Vec<(u32, u64, Vec<u8>)>,
    /// `reasm_next` has been set by an earlier segment.
    reasm_next_set: bool,
    base_seq: Option<u32>,
    /// Window scale shift announced in this side's SYN: None not seen, Some(-1) SYN without the option.
    ws_shift: Option<i8>,
    /// Scale in force: -1 unknown, -2 no scaling, else the shift.
    scale: i8,
}

/// The state of one TCP stream.
#[derive(Debug, Clone)]
struct Stream {
    index: u32,
    /// When the first SYN was seen, and from which flow.
    syn: Option<(i64, usize)>,
    /// Initial RTT: SYN to the ACK that completes the handshake.
    irtt: Option<i64>,
    /// The stream replaced an earlier one with the same ports.
    reused: bool,
    /// The stream carries HTTP (by port or by its first bytes).
    http: Option<bool>,
    /// HTTP request/response pairing.
    pairing: super::http::Pairing,
    /// The flow of the key's `a → b` direction is `flows[0]`.
    flows: [Flow; 2],
    first_ts: i64,
    last_ts: i64,
    completeness: u8,
}

/// TCP streams seen so far.
#[derive(Default)]
pub struct Tracker {
    streams: FxHashMap<ConvKey, Stream>,
    next: u32,
}

impl Tracker {
    /// Forgets streams idle for more than `idle_ns` before `now`. Streams that are
    /// closed (FIN or RST seen) go after `closed_idle_ns`.
    pub fn sweep(&mut self, now: i64, idle_ns: i64, closed_idle_ns: i64) {
        self.streams.retain(|_, s| {
            let idle = now - s.last_ts;
            idle <= if s.completeness & 48 != 0 {
                closed_idle_ns
            } else {
                idle_ns
            }
        });
    }

    /// Streams held in memory.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// True when none are held.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}

/// Wireshark's words for a completeness value.
pub fn completeness_name(v: u8) -> &'static str {
    let handshake = v & 7 == 7;
    let closed = v & 48 != 0;
    match v {
        _ if handshake && closed && v & 8 != 0 => "Complete, WITH_DATA",
        _ if handshake && closed => "Complete, NO_DATA",
        1 => "Incomplete, SYN_SENT",
        3 => "Incomplete, CLIENT_ESTABLISHED",
        7 => "Incomplete, ESTABLISHED",
        15 => "Incomplete, DATA",
        _ => "Incomplete",
    }
}

fn flag_names(flags: u16, out: &mut String) {
    const NAMES: [&str; 9] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"];
    let mut first = true;
    for (i, n) in NAMES.iter().enumerate() {
        if flags & (1 << i) != 0 {
            if !first {
                out.push_str(", ");
            }
            out.push_str(n);
            first = false;
        }
    }
    if flags & 0xe00 != 0 {
        if !first {
            out.push_str(", ");
        }
        out.push_str("Reserved");
        first = false;
    }
    if first {
        out.push_str("<None>");
    }
}

/// Dissects a TCP segment.
pub fn dissect(cx: &mut Ctx<'_>, _parent: NodeId, off: usize, end: usize) -> usize {
    let avail = end.min(cx.data.len()).saturating_sub(off);
    let top = cx.d.add(ROOT, &TCP, off, avail.min(20), Value::None);
    cx.d.push_protocol("tcp");
    if !cx.in_icmp_error {
        cx.d.cols.protocol = "TCP";
    }
    if avail < 4 {
        cx.truncated(top, "TCP");
        return avail;
    }
    let sp = be16(cx.data, off);
    let dp = be16(cx.data, off + 2);
    cx.field(top, &SRCPORT, off, 2);
    cx.field(top, &DSTPORT, off + 2, 2);
    cx.d.add_hidden(top, &PORT, off, 2, Value::U(u64::from(sp)));
    cx.d.add_hidden(top, &PORT, off + 2, 2, Value::U(u64::from(dp)));
    if avail < 20 {
        // An ICMP error quotes only the first 8 bytes: show what is there.
        if avail >= 8 {
            cx.field(top, &SEQ_RAW, off + 4, 4);
        }
        cx.d.set_label(
            top,
            format_args!("Transmission Control Protocol, Src Port: {sp}, Dst Port: {dp}"),
        );
        if !cx.in_icmp_error {
            cx.d.set_info(format_args!("{sp} → {dp}"));
            cx.truncated(top, "TCP");
        }
        return avail;
    }
    let seq = be32(cx.data, off + 4);
    let ack = be32(cx.data, off + 8);
    let hl = usize::from(cx.data[off + 12] >> 4) * 4;
    let flags = be16(cx.data, off + 12) & 0x0fff;
    let win = be16(cx.data, off + 14);
    let seg_end = end.min(cx.data.len());
    let tcp_total = end - off; // reported by the IP layer
    let seglen = tcp_total.saturating_sub(hl) as u32;

    // Per-stream state.
    let now = cx.d.frame.ts_ns;
    let tracked = !cx.in_icmp_error;
    let mut st = None;
    if tracked {
        let (key, fwd) = ConvKey::new(&cx.net, sp, dp);
        let trk = &mut cx.trk.tcp;
        let (i_fwd, i_rev) = if fwd { (0, 1) } else { (1, 0) };
        let reuse = matches!(trk.streams.get(&key), Some(s) if flags & (SYN | ACKF) == SYN
            && matches!(s.flows[i_fwd].base_seq, Some(b) if b != seq));
        if reuse {
            trk.streams.remove(&key);
        }
        let next = &mut trk.next;
        let s = trk.streams.entry(key).or_insert_with(|| {
            let s = Stream {
                index: *next,
                syn: None,
                irtt: None,
                reused: false,
                http: None,
                pairing: Default::default(),
                flows: [
                    Flow {
                        scale: -1,
                        ..Flow::default()
                    },
                    Flow {
                        scale: -1,
                        ..Flow::default()
                    },
                ],
                first_ts: now,
                last_ts: now,
                completeness: 0,
            };
            *next += 1;
            s
        });
        if reuse {
            s.reused = true;
        }
        if s.flows[i_fwd].base_seq.is_none() {
            s.flows[i_fwd].base_seq = Some(if flags & SYN != 0 {
                seq
            } else {
                seq.wrapping_sub(1)
            });
        }
        if s.flows[i_rev].base_seq.is_none() && flags & ACKF != 0 {
            s.flows[i_rev].base_seq = Some(ack.wrapping_sub(1));
        }
        let completeness = s.completeness;
        let rel = now - s.first_ts;
        let delta = now - s.last_ts;
        s.last_ts = now;
        st = Some((
            s.index,
            i_fwd,
            i_rev,
            completeness,
            rel,
            delta,
            s.flows[i_fwd].base_seq.unwrap_or(0),
            s.flows[i_rev].base_seq.unwrap_or(0),
            key,
        ));
    }

    if hl < 20 {
        let n = cx.d.add(top, &HDR_LEN, off + 12, 1, Value::U(hl as u64));
        cx.d.set_label(
            n,
            format_args!(
                "{:04b} .... = Header Length: {} bytes ({})",
                hl / 4,
                hl,
                hl / 4
            ),
        );
        cx.d.expert(
            n,
            &BOGUS_HDR,
            Severity::Error,
            Group::Malformed,
            format_args!("Bogus TCP header length ({hl}, must be at least 20)"),
        );
        cx.d.set_label(
            top,
            format_args!("Transmission Control Protocol, Src Port: {sp}, Dst Port: {dp}"),
        );
        if tracked {
            cx.d.set_info(format_args!("{sp} → {dp} [BOGUS TCP HEADER LENGTH {hl}]"));
        }
        return avail;
    }

    let (rseq, rack) = match st {
        Some((.., bf, br, _)) => (seq.wrapping_sub(bf), ack.wrapping_sub(br)),
        None => (seq, ack),
    };
    let nxtseq = rseq
        .wrapping_add(seglen)
        .wrapping_add(u32::from(flags & (SYN | FIN) != 0));

    if cx.d.want_labels {
        let mut l =
            format!("Transmission Control Protocol, Src Port: {sp}, Dst Port: {dp}, Seq: {rseq}");
        if flags & ACKF != 0 {
            l.push_str(&format!(", Ack: {rack}"));
        }
        l.push_str(&format!(", Len: {seglen}"));
        cx.d.set_label(top, format_args!("{l}"));
    }
    if let Some((index, .., completeness, _, _, _, _, _)) = st {
        // With two passes, the stream's final completeness, as tshark -2 shows it.
        let completeness = cx
            .trk
            .hindsight
            .streams
            .get(&index)
            .map_or(completeness, |h| h.0);
        cx.d.add_generated(top, &STREAM, Value::U(u64::from(index)));
        let n =
            cx.d.add_generated(top, &COMPLETENESS, Value::U(u64::from(completeness)));
        cx.d.set_label(
            n,
            format_args!(
                "Conversation completeness: {} ({completeness})",
                completeness_name(completeness)
            ),
        );
    }
    cx.d.add_generated(top, &LEN, Value::U(u64::from(seglen)));
    let n = cx.d.add(top, &SEQ, off + 4, 4, Value::U(u64::from(rseq)));
    if tracked {
        cx.d.set_label(
            n,
            format_args!("Sequence Number: {rseq}    (relative sequence number)"),
        );
    }
    cx.field(top, &SEQ_RAW, off + 4, 4);
    if tracked {
        let n =
            cx.d.add_generated(top, &NXTSEQ, Value::U(u64::from(nxtseq)));
        cx.d.set_label(
            n,
            format_args!("Next Sequence Number: {nxtseq}    (relative sequence number)"),
        );
    }
    let n = cx.d.add(
        top,
        &ACK,
        off + 8,
        4,
        Value::U(u64::from(if flags & ACKF != 0 { rack } else { ack })),
    );
    if flags & ACKF != 0 && tracked {
        cx.d.set_label(
            n,
            format_args!("Acknowledgment Number: {rack}    (relative ack number)"),
        );
    }
    cx.field(top, &ACK_RAW, off + 8, 4);
    let n = cx.d.add(top, &HDR_LEN, off + 12, 1, Value::U(hl as u64));
    cx.d.set_label(
        n,
        format_args!(
            "{:04b} .... = Header Length: {} bytes ({})",
            hl / 4,
            hl,
            hl / 4
        ),
    );
    let fnode = cx.field(top, &FLAGS, off + 12, 2);
    if cx.d.want_labels {
        let mut s = String::new();
        flag_names(flags, &mut s);
        cx.d.set_label(fnode, format_args!("Flags: 0x{flags:03x} ({s})"));
    }
    for def in [
        &F_RES, &F_AE, &F_CWR, &F_ECE, &F_URG, &F_ACK, &F_PUSH, &F_RESET, &F_SYN, &F_FIN,
    ] {
        let n = cx.field(fnode, def, off + 12, 2);
        let bit = def.mask as u16;
        if flags & bit == 0 || !tracked {
            continue;
        }
        match bit {
            SYN if flags & ACKF != 0 => {
                cx.d.expert(
                    n,
                    &CONNECTION_SACK,
                    Severity::Chat,
                    Group::Sequence,
                    format_args!("Connection establish acknowledge (SYN+ACK): server port {sp}"),
                );
            }
            SYN => {
                cx.d.expert(
                    n,
                    &CONNECTION_SYN,
                    Severity::Chat,
                    Group::Sequence,
                    format_args!("Connection establish request (SYN): server port {dp}"),
                );
            }
            FIN => {
                cx.d.expert(
                    n,
                    &CONNECTION_FIN,
                    Severity::Chat,
                    Group::Sequence,
                    format_args!("Connection finish (FIN)"),
                );
            }
            RST => {
                cx.d.expert(
                    n,
                    &CONNECTION_RST,
                    Severity::Warning,
                    Group::Sequence,
                    format_args!("Connection reset (RST)"),
                );
            }
            _ => {}
        }
    }
    if cx.d.builds(crate::tree::build::TCP) {
        const CHARS: [char; 12] = ['R', 'R', 'R', 'A', 'C', 'E', 'U', 'A', 'P', 'R', 'S', 'F'];
        let start = cx.d.text.len() as u32;
        for (i, c) in CHARS.iter().enumerate() {
            cx.d.text.push(if flags & (1 << (11 - i)) != 0 {
                *c
            } else {
                '·'
            });
        }
        let span = crate::tree::Span {
            start,
            end: cx.d.text.len() as u32,
        };
        let fs = cx.d.add_generated(fnode, &F_STR, Value::Text(span));
        if flags & FIN != 0 {
            if let Some((_, _, _, completeness, ..)) = st {
                if completeness & 16 == 0 {
                    cx.d.expert(
                        fs,
                        &FIN_ACTIVE,
                        Severity::Note,
                        Group::Sequence,
                        format_args!("This frame initiates the connection closing"),
                    );
                } else {
                    cx.d.expert(
                        fs,
                        &FIN_PASSIVE,
                        Severity::Note,
                        Group::Sequence,
                        format_args!("This frame undergoes the connection closing"),
                    );
                }
            }
        }
    }
    cx.field(top, &WINDOW_VALUE, off + 14, 2);

    // The SYN's own window scale option decides the scaling, before the options
    // are shown (they come after the urgent pointer, as in Wireshark).
    let opt_end = (off + hl).min(seg_end);
    let syn_ws = if flags & SYN != 0 {
        scan_wscale(cx.data, off + 20, opt_end)
    } else {
        None
    };

    // Window scaling, learnt from the SYN and SYN-ACK; sequence analysis.
    let mut scale: i8 = -1;
    let mut irtt: Option<i64> = None;
    let mut expected_seq: Option<u32> = None;
    let mut verdict = super::tcp_analysis::Verdict::default();
    if let Some((.., i_fwd, i_rev, _, _, _, _, _, key)) = st {
        let s = cx
            .trk
            .tcp
            .streams
            .get_mut(&key)
            .expect("stream was just inserted");
        if flags & SYN != 0 {
            s.flows[i_fwd].ws_shift = Some(syn_ws.unwrap_or(-1));
            if flags & ACKF != 0 {
                match (s.flows[i_fwd].ws_shift, s.flows[i_rev].ws_shift) {
                    (Some(a), Some(b)) if a >= 0 && b >= 0 => {
                        s.flows[i_fwd].scale = a.min(14);
                        s.flows[i_rev].scale = b.min(14);
                    }
                    _ => {
                        s.flows[i_fwd].scale = -2;
                        s.flows[i_rev].scale = -2;
                    }
                }
            }
        }
        scale = s.flows[i_fwd].scale;
        // Handshake timing.
        if flags & (SYN | ACKF) == SYN && s.syn.is_none() {
            s.syn = Some((now, i_fwd));
        } else if flags & (SYN | ACKF) == ACKF && s.irtt.is_none() {
            if let Some((t0, dir)) = s.syn {
                if dir == i_fwd && s.completeness & 2 != 0 {
                    s.irtt = Some(now - t0);
                }
            }
        }
        irtt = s.irtt;
        let rev_scale = s.flows[i_rev].scale;
        let seg = super::tcp_analysis::Segment {
            frame: cx.d.frame.number,
            ts: now,
            seq,
            ack,
            seglen,
            flags,
            window: u32::from(win),
        };
        expected_seq = s.flows[i_fwd].seq.nextseq();
        let [a, b] = &mut s.flows;
        let (fa, ra) = if i_fwd == 0 { (a, b) } else { (b, a) };
        verdict = super::tcp_analysis::analyze(&mut fa.seq, &mut ra.seq, &seg, s.irtt, rev_scale);
        if s.reused && flags & (SYN | ACKF) == SYN {
            verdict.flags |= super::tcp_analysis::flag::REUSED_PORTS;
            s.reused = false;
        }
        // Completeness is shown as it stood before this segment.
        let c = &mut s.completeness;
        if flags & SYN != 0 {
            *c |= if flags & ACKF != 0 { 2 } else { 1 };
        } else if flags & ACKF != 0 && *c & 3 == 3 {
            *c |= 4;
        }
        if seglen > 0 {
            *c |= 8;
        }
        if flags & FIN != 0 {
            *c |= 16;
        }
        if flags & RST != 0 {
            *c |= 32;
        }
        let h = &mut cx.trk.hindsight;
        if h.recording {
            h.streams.insert(s.index, (s.completeness, s.irtt));
        } else if let Some(&(_, Some(t))) = h.streams.get(&s.index) {
            irtt = Some(t);
        }
    }
    let calc_win = if flags & SYN == 0 && scale >= 0 {
        u32::from(win) << scale
    } else {
        u32::from(win)
    };
    if tracked {
        cx.d.add_generated(top, &WINDOW, Value::U(u64::from(calc_win)));
        if flags & SYN == 0 {
            let factor: i64 = if scale >= 0 {
                1 << scale
            } else {
                i64::from(scale)
            };
            let n = cx.d.add_generated(top, &WINDOW_SCALE, Value::I(factor));
            match scale {
                -1 => {
                    cx.d.set_label(n, format_args!("Window size scaling factor: -1 (unknown)"))
                }
                -2 => cx.d.set_label(
                    n,
                    format_args!("Window size scaling factor: -2 (no window scaling used)"),
                ),
                _ => {}
            }
        }
    }
    let ck = be16(cx.data, off + 16);
    let ckn = cx.field(top, &CHECKSUM, off + 16, 2);
    let full = end <= cx.data.len();
    let calc = (cx.verify_checksums && full && cx.net.len != 0 && tracked).then(|| {
        let mut pseudo = [0u8; 40];
        let plen = super::pseudo_header(&cx.net, 6, tcp_total, &mut pseudo);
        inet_checksum(&[
            &pseudo[..plen],
            &cx.data[off..off + 16],
            &cx.data[off + 18..end],
        ])
    });
    super::show_checksum(
        cx,
        top,
        ckn,
        ck,
        calc,
        Some(&CHECKSUM_CALC),
        &CHECKSUM_STATUS,
        Severity::Error,
    );
    cx.field(top, &URGENT, off + 18, 2);
    let mut opts_info = std::mem::take(&mut cx.trk.scratch);
    opts_info.clear();
    if hl > 20 && off + 20 < opt_end {
        options(
            cx,
            top,
            off + 20,
            opt_end,
            st.map(|s| (s.6, s.7)),
            &mut opts_info,
        );
    }
    if let Some((_, _, _, _, rel, delta, ..)) = st {
        let ts = cx.d.add(top, &super::WS_TEXT, 0, 0, Value::None);
        cx.d.set_generated(ts);
        cx.d.set_label(ts, format_args!("Timestamps"));
        cx.d.add_generated(ts, &TIME_RELATIVE, Value::Time(rel));
        cx.d.add_generated(ts, &TIME_DELTA, Value::Time(delta));
        analysis_nodes(cx, top, &verdict, irtt);
    }
    cx.d.set_len(top, hl.min(avail));

    // Info column, written straight into the text arena (no allocation).
    if tracked && cx.d.want_info {
        use std::fmt::Write as _;
        let start = cx.d.text.len() as u32;
        let t = &mut cx.d.text;
        info_prefix(t, &verdict);
        push_u64(t, u64::from(sp));
        t.push_str(" → ");
        push_u64(t, u64::from(dp));
        t.push_str(" [");
        flag_names(flags, t);
        t.push_str("] Seq=");
        push_u64(t, u64::from(rseq));
        if flags & ACKF != 0 {
            t.push_str(" Ack=");
            push_u64(t, u64::from(rack));
        }
        t.push_str(" Win=");
        push_u64(t, u64::from(calc_win));
        if flags & 0x20 != 0 {
            let _ = write!(t, " Urg={}", be16(cx.data, off + 18));
        }
        t.push_str(" Len=");
        push_u64(t, seglen as u64);
        t.push_str(&opts_info);
        cx.d.cols.info = crate::tree::Span {
            start,
            end: t.len() as u32,
        };
    }
    cx.trk.scratch = opts_info;
    if off + hl > seg_end {
        cx.truncated(top, "TCP header");
    }

    // Payload.
    let retrans = verdict.flags
        & (super::tcp_analysis::flag::RETRANSMISSION
            | super::tcp_analysis::flag::FAST_RETRANSMISSION
            | super::tcp_analysis::flag::SPURIOUS_RETRANSMISSION)
        != 0;
    let pstart = off + hl;
    if pstart < seg_end {
        let plen = seg_end - pstart;
        let n = cx.d.add(top, &PAYLOAD, pstart, plen, Value::Bytes);
        cx.d.set_label(n, format_args!("TCP payload ({plen} bytes)"));
        // Without the Info column nor a field above TCP, the application
        // layer has nothing to give: skip it (and its reassembly).
        let app =
            cx.d.want_info || cx.d.builds(crate::tree::build::APP) || cx.trk.hindsight.recording;
        if !cx.in_icmp_error && app {
            let handled = match st {
                Some((.., i_fwd, _, _, _, _, _, _, key)) => app_payload(
                    cx,
                    n,
                    key,
                    i_fwd,
                    seq,
                    expected_seq,
                    pstart,
                    seg_end,
                    (sp, dp),
                    retrans,
                ),
                None => false,
            };
            if !handled {
                super::data::dissect(cx, top, pstart, seg_end);
            }
        }
    }
    let _ = PSH;
    avail
}

/// Shows a payload held for reassembly as Wireshark does: `TCP segment data`.
fn segment_data(cx: &mut Ctx<'_>, payload: NodeId) {
    if payload != ROOT {
        let p = cx.d.nodes[payload as usize];
        if let Some(&f) = cx.trk.hindsight.reassembled_in.get(&cx.d.frame.number) {
            cx.d.add_generated(p.parent, &REASSEMBLED_IN, Value::U(f));
        }
        let n = cx.d.add(
            p.parent,
            &SEGMENT_DATA,
            p.start as usize,
            p.len as usize,
            Value::Bytes,
        );
        cx.d.set_label(n, format_args!("TCP segment data ({} bytes)", p.len));
    }
}

/// Most application messages dissected in one segment (pipelined requests).
const MAX_PDUS: usize = 200;

/// Largest application PDU reassembled per stream direction; beyond it the
/// bytes are shown as they come, with an expert item.
pub const REASSEMBLY_LIMIT: usize = 4 << 20;

/// Hands TCP payload to the application dissector (HTTP for now), reassembling
/// messages that span segments. Returns false when no dissector wants it.
///
/// Per direction, bytes of an unfinished message wait in `reasm`; a segment
/// that arrives ahead of a gap waits in `reasm_ahead` until the gap is filled;
/// retransmitted bytes are skipped. A message is dissected in the frame that
/// completes it, from a "Reassembled TCP" data source when it took several.
#[allow(clippy::too_many_arguments)]
fn app_payload(
    cx: &mut Ctx<'_>,
    payload_node: NodeId,
    key: ConvKey,
    i_fwd: usize,
    seq: u32,
    analysis_next: Option<u32>,
    pstart: usize,
    pend: usize,
    ports: (u16, u16),
    retrans: bool,
) -> bool {
    use super::http;
    let data = cx.data;
    let payload = &data[pstart..pend];
    let frame = cx.d.frame.number;
    let plen = payload.len() as u32;
    let Some(s) = cx.trk.tcp.streams.get_mut(&key) else {
        return false;
    };
    let is_http = *s.http.get_or_insert_with(|| {
        http::PORTS.contains(&ports.0)
            || http::PORTS.contains(&ports.1)
            || http::looks_like_http(payload)
    });
    if !is_http {
        return false;
    }
    let mut pairing = std::mem::take(&mut s.pairing);
    let flow = &mut s.flows[i_fwd];
    let mut buf = std::mem::take(&mut flow.reasm);
    let mut frames = std::mem::take(&mut flow.reasm_frames);
    let mut ahead = std::mem::take(&mut flow.reasm_ahead);
    let mut need = flow.reasm_need;
    let mut in_place = 0;
    // What we expect next: from the reassembly, or else from the sequence
    // analysis (which has seen the handshake and empty segments too).
    let (expected, known) = match (flow.reasm_next_set, analysis_next) {
        (true, _) => (flow.reasm_next, true),
        (false, Some(n)) => (n, true),
        (false, None) => (seq, false),
    };

    // Where does this segment fall relative to what we expect next?
    let d = seq.wrapping_sub(expected) as i32;
    let end_d = seq.wrapping_add(plen).wrapping_sub(expected) as i32;
    let mut next_seq = seq.wrapping_add(plen);
    let mut status = Status::Consumed;
    if known && end_d <= 0 {
        // Only bytes we already have: a retransmission.
        next_seq = expected;
        status = Status::NotMine;
    } else if known && d > 0 && (!buf.is_empty() || !http::looks_like_http(payload)) {
        // Ahead of a gap: keep it until the gap is filled.
        next_seq = expected;
        if ahead.len() < MAX_AHEAD {
            ahead.push((seq, frame, payload.to_vec()));
            status = Status::Held;
        } else {
            buf.clear();
            frames.clear();
            ahead.clear();
            status = Status::NotMine;
        }
    } else {
        let skip = if known && d < 0 { (-d) as usize } else { 0 };
        let bytes = &payload[skip..];
        // A message starting in this segment: measured here once.
        let starts = buf.is_empty() && ahead.is_empty() && http::looks_like_http(bytes);
        let fresh = starts.then(|| http::measure(bytes, http::expects_head_response(&pairing)));
        if buf.is_empty() && !http::looks_like_http(bytes) {
            status = Status::Continuation;
        } else if fresh == Some(Ok(bytes.len())) {
            // The most common case: one whole message in this segment.
            // Dissect it in place, with no copy into the buffer.
            http::dissect(cx, bytes, 0, pstart + skip, &mut pairing);
            in_place = 1;
        } else {
            if let Some(Err(k)) = fresh {
                // Incomplete: not worth measuring again before `k` bytes.
                need = k;
            }
            buf.extend_from_slice(bytes);
            frames.push((frame, bytes.len() as u32));
            // Segments that were waiting for this one now follow it.
            while let Some(i) = ahead.iter().position(|(s, _, b)| {
                s.wrapping_sub(next_seq) as i32 <= 0
                    && s.wrapping_add(b.len() as u32).wrapping_sub(next_seq) as i32 > 0
            }) {
                let (s, fr, b) = ahead.swap_remove(i);
                let skip = next_seq.wrapping_sub(s) as usize;
                buf.extend_from_slice(&b[skip..]);
                frames.push((fr, (b.len() - skip) as u32));
                next_seq = s.wrapping_add(b.len() as u32);
            }
            ahead.retain(|(s, _, _)| (s.wrapping_sub(next_seq) as i32) > 0);
        }
    }

    // Dissect every complete message at the start of the buffer.
    let mut dissected = in_place;
    if matches!(status, Status::Consumed) {
        let head_resp = http::expects_head_response(&pairing);
        // At most MAX_PDUS messages per segment: each reassembled one is a
        // data source, and a node names its source in a byte. The rest wait
        // in the buffer for the next segment.
        while buf.len() >= need && dissected < MAX_PDUS {
            let n = match http::measure(&buf, head_resp) {
                Ok(n) if n > 0 => n,
                Ok(_) => break,
                Err(k) => {
                    need = k;
                    break;
                }
            };
            need = 0;
            let whole = frames.len() == 1
                && frames[0].0 == frame
                && dissected == 0
                && buf.len() as u32 <= plen;
            if whole && n <= payload.len() {
                // The message lies in this segment: dissect it in place.
                let off = payload.len() - buf.len();
                http::dissect(cx, &payload[off..off + n], 0, pstart + off, &mut pairing);
                buf.drain(..n);
                frames[0].1 = buf.len() as u32;
            } else {
                if n == buf.len() {
                    reassembled(cx, payload_node, &frames, frame, &buf, &mut pairing);
                    buf.clear();
                } else {
                    let pdu: Vec<u8> = buf.drain(..n).collect();
                    reassembled(cx, payload_node, &frames, frame, &pdu, &mut pairing);
                }
                frames.clear();
                if !buf.is_empty() {
                    frames.push((frame, buf.len() as u32));
                }
            }
            dissected += 1;
            if buf.is_empty() {
                frames.clear();
                break;
            }
        }
    }
    match status {
        Status::Continuation => {
            cx.d.cols.protocol = "HTTP";
            cx.d.set_info(format_args!("Continuation"));
            cx.d.add(ROOT, &http::HTTP, pstart, payload.len(), Value::None);
            cx.d.push_protocol("http");
        }
        Status::Held => {
            segment_data(cx, payload_node);
            if !retrans {
                cx.d.append_info(format_args!(" [TCP segment of a reassembled PDU]"));
            }
        }
        Status::Consumed if !buf.is_empty() => {
            segment_data(cx, payload_node);
            let starts_here = dissected == 0 && frames.first().is_some_and(|f| f.0 == frame);
            // One pass: HTTP has named the message before TCP asks for more;
            // with two passes tshark keeps TCP's own Info.
            let two_pass = cx.trk.hindsight.reassembled_in.contains_key(&frame);
            if starts_here && !two_pass {
                let line = http::first_line(&buf);
                cx.d.set_info(format_args!("{line}  [TCP segment of a reassembled PDU]"));
            } else if dissected == 0 && !retrans {
                // (tshark leaves retransmissions' Info alone.)
                cx.d.append_info(format_args!(" [TCP segment of a reassembled PDU]"));
            }
            if buf.len() > REASSEMBLY_LIMIT {
                cx.d.expert(payload_node, &super::WS_EXPERT, Severity::Warning, Group::Reassemble,
                    format_args!("Reassembly limit of {REASSEMBLY_LIMIT} bytes reached: the message is shown unassembled"));
                buf.clear();
                frames.clear();
            }
        }
        _ => {}
    }
    let s = cx.trk.tcp.streams.get_mut(&key).expect("stream exists");
    s.pairing = pairing;
    let f = &mut s.flows[i_fwd];
    f.reasm = buf;
    f.reasm_frames = frames;
    f.reasm_ahead = ahead;
    f.reasm_need = if f.reasm.is_empty() { 0 } else { need };
    f.reasm_next = next_seq;
    f.reasm_next_set = true;
    !matches!(status, Status::NotMine)
}

/// What became of a segment's payload in [`app_payload`].
enum Status {
    /// Added to the message being reassembled (or dissected).
    Consumed,
    /// Kept ahead of a gap.
    Held,
    /// Body bytes of a message whose start was not seen.
    Continuation,
    /// Not for the application layer (a retransmission): shown as data.
    NotMine,
}

/// Shows a message reassembled from several segments and dissects it.
fn reassembled(
    cx: &mut Ctx<'_>,
    payload_node: NodeId,
    frames: &[(u64, u32)],
    frame: u64,
    pdu: &[u8],
    pairing: &mut super::http::Pairing,
) {
    // The message is a data source that nodes point into (summary lines
    // have no nodes, so no copy).
    let src = if cx.d.builds_nodes() {
        cx.d.push_source("Reassembled TCP", pdu)
    } else {
        0
    };
    segment_data(cx, payload_node);
    if cx.trk.hindsight.recording {
        for (f, _) in frames {
            if *f != frame {
                cx.trk.hindsight.reassembled_in.insert(*f, frame);
            }
        }
    }
    if cx.d.builds(crate::tree::build::TCP) {
        let total: u32 = frames.iter().map(|f| f.1).sum();
        let segs = cx.d.add(ROOT, &SEGMENTS, 0, 0, Value::None);
        cx.d.set_generated(segs);
        if cx.d.want_labels {
            let list: Vec<String> = frames.iter().map(|(f, l)| format!("#{f}({l})")).collect();
            cx.d.set_label(
                segs,
                format_args!(
                    "{} Reassembled TCP Segments ({total} bytes): {}",
                    frames.len(),
                    list.join(", ")
                ),
            );
        }
        let mut at = 0u32;
        for (f, l) in frames {
            let sn = cx.d.add_generated(segs, &SEGMENT, Value::U(*f));
            cx.d.set_label(
                sn,
                format_args!(
                    "Frame: {f}, payload: {at}-{} ({l} bytes)",
                    (at + l).saturating_sub(1)
                ),
            );
            at += l;
        }
        cx.d.add_generated(segs, &SEGMENT_COUNT, Value::U(frames.len() as u64));
        cx.d.add_generated(segs, &REASSEMBLED_LENGTH, Value::U(pdu.len() as u64));
        let rd =
            cx.d.add(segs, &REASSEMBLED_DATA, 0, pdu.len(), Value::Bytes);
        if rd != ROOT {
            cx.d.nodes[rd as usize].src = src;
            cx.d.nodes[rd as usize].flags |= crate::tree::GENERATED;
        }
    }
    super::http::dissect(cx, pdu, src, 0, pairing);
}

/// Most segments kept ahead of a gap, per direction.
const MAX_AHEAD: usize = 32;

/// Dissects the options; returns their Info text (` MSS=1460 WS=256 SACK_PERM`).
fn options(
    cx: &mut Ctx<'_>,
    top: NodeId,
    start: usize,
    end: usize,
    bases: Option<(u32, u32)>,
    info: &mut String,
) {
    let opts = cx.d.add(top, &OPTIONS, start, end - start, Value::Bytes);
    use std::fmt::Write as _;
    let mut names: Vec<&'static str> = Vec::new();
    let mut o = start;
    while o < end {
        let kind = cx.data[o];
        if kind == 0 || kind == 1 {
            let def = if kind == 0 { &O_EOL } else { &O_NOP };
            let n = cx.d.add(opts, def, o, 1, Value::None);
            cx.field(n, &OPT_KIND, o, 1);
            names.push(if kind == 0 {
                "End of Option List (EOL)"
            } else {
                "No-Operation (NOP)"
            });
            o += 1;
            continue;
        }
        let len = cx.data.get(o + 1).map_or(0, |&l| usize::from(l));
        if o + 1 >= end || len < 2 || o + len > end {
            let n = cx.d.add(opts, &O_UNKNOWN, o, end - o, Value::None);
            cx.d.set_label(
                n,
                format_args!(
                    "TCP Option - {}: bad length {len}",
                    OPT_KIND.value_name(u64::from(kind)).unwrap_or("Unknown")
                ),
            );
            cx.field(n, &OPT_KIND, o, 1);
            cx.d.expert(
                n,
                &super::WS_EXPERT,
                Severity::Error,
                Group::Malformed,
                format_args!(
                    "Option length {len} is invalid or runs past the end of the TCP header"
                ),
            );
            break;
        }
        let body = o + 2;
        let add_kl = |cx: &mut Ctx<'_>, n: NodeId| {
            cx.field(n, &OPT_KIND, o, 1);
            cx.field(n, &OPT_LEN, o + 1, 1);
        };
        match (kind, len) {
            (2, 4) => {
                let v = be16(cx.data, body);
                let n = cx.d.add(opts, &O_MSS, o, len, Value::None);
                cx.d.set_label(
                    n,
                    format_args!("TCP Option - Maximum segment size: {v} bytes"),
                );
                add_kl(cx, n);
                cx.field(n, &O_MSS_VAL, body, 2);
                names.push("Maximum segment size");
                let _ = write!(info, " MSS={v}");
            }
            (3, 3) => {
                let shift = cx.data[body];
                let mult = 1u32 << shift.min(14);
                let n = cx.d.add(opts, &O_WSCALE, o, len, Value::None);
                cx.d.set_label(
                    n,
                    format_args!("TCP Option - Window scale: {shift} (multiply by {mult})"),
                );
                add_kl(cx, n);
                cx.field(n, &O_WSCALE_SHIFT, body, 1);
                let m =
                    cx.d.add(n, &O_WSCALE_MULT, body, 1, Value::U(u64::from(mult)));
                cx.d.set_generated(m);
                names.push("Window scale");
                let _ = write!(info, " WS={mult}");
            }
            (4, 2) => {
                let n = cx.d.add(opts, &O_SACK_PERM, o, len, Value::None);
                cx.d.set_label(n, format_args!("TCP Option - SACK permitted"));
                add_kl(cx, n);
                names.push("SACK permitted");
                info.push_str(" SACK_PERM");
            }
            (5, _) => {
                let n = cx.d.add(opts, &O_SACK, o, len, Value::None);
                add_kl(cx, n);
                let mut e = body;
                let mut count = 0;
                let base = bases.map_or(0, |b| b.1);
                let mut label = String::from("TCP Option - SACK");
                while e + 8 <= o + len {
                    let le = be32(cx.data, e).wrapping_sub(base);
                    let re = be32(cx.data, e + 4).wrapping_sub(base);
                    let a = cx.d.add(n, &O_SACK_LE, e, 4, Value::U(u64::from(le)));
                    let _ = a;
                    cx.d.add(n, &O_SACK_RE, e + 4, 4, Value::U(u64::from(re)));
                    label.push_str(&format!(" {le}-{re}"));
                    let _ = write!(info, " SLE={le} SRE={re}");
                    count += 1;
                    e += 8;
                }
                cx.d.set_label(n, format_args!("{label}"));
                let c = cx.d.add(n, &O_SACK_COUNT, o, 0, Value::U(count));
                cx.d.set_generated(c);
                names.push("SACK");
            }
            (8, 10) => {
                let tsval = be32(cx.data, body);
                let tsecr = be32(cx.data, body + 4);
                let n = cx.d.add(opts, &O_TS, o, len, Value::None);
                cx.d.set_label(
                    n,
                    format_args!("TCP Option - Timestamps: TSval {tsval}, TSecr {tsecr}"),
                );
                add_kl(cx, n);
                cx.field(n, &O_TSVAL, body, 4);
                cx.field(n, &O_TSECR, body + 4, 4);
                names.push("Timestamps");
                let _ = write!(info, " TSval={tsval} TSecr={tsecr}");
            }
            (34, _) => {
                let n = cx.d.add(opts, &O_TFO, o, len, Value::None);
                add_kl(cx, n);
                if len == 2 {
                    cx.d.set_label(
                        n,
                        format_args!("TCP Option - TFO - Fast Open Cookie Request"),
                    );
                    cx.d.add(n, &O_TFO_REQUEST, o, 2, Value::None);
                    info.push_str(" TFO=R");
                } else {
                    cx.d.set_label(n, format_args!("TCP Option - TFO - Fast Open Cookie"));
                    cx.d.add(n, &O_TFO_COOKIE, body, len - 2, Value::Bytes);
                    info.push_str(" TFO=C");
                }
                names.push("TCP Fast Open");
            }
            (253 | 254, _) if len >= 4 && be16(cx.data, body) == 0xf989 => {
                // TCP Fast Open in its experimental encoding (RFC 7413 section 4.1.3).
                let n = cx.d.add(opts, &O_TFO, o, len, Value::None);
                add_kl(cx, n);
                cx.d.set_label(
                    n,
                    format_args!(
                        "TCP Option - TFO - Fast Open Cookie{}",
                        if len == 4 { " Request" } else { "" }
                    ),
                );
                info.push_str(if len == 4 { " TFO=R" } else { " TFO=C" });
                names.push("TCP Fast Open");
            }
            (253 | 254, _) => {
                let n = cx.d.add(opts, &O_EXP, o, len, Value::None);
                add_kl(cx, n);
                if len > 2 {
                    cx.d.add(n, &O_EXP_DATA, body, len - 2, Value::Bytes);
                }
                names.push("Experimental");
            }
            _ => {
                let name = OPT_KIND.value_name(u64::from(kind)).unwrap_or("Unknown");
                let n = cx.d.add(opts, &O_UNKNOWN, o, len, Value::None);
                if OPT_KIND.value_name(u64::from(kind)).is_some() {
                    cx.d.set_label(n, format_args!("TCP Option - {name}"));
                } else {
                    cx.d.set_label(n, format_args!("TCP Option - Unknown ({kind})"));
                }
                add_kl(cx, n);
                if len > 2 {
                    cx.d.add(n, &O_UNKNOWN_PAYLOAD, body, len - 2, Value::Bytes);
                }
                names.push(if OPT_KIND.value_name(u64::from(kind)).is_some() {
                    name
                } else {
                    "Unknown"
                });
            }
        }
        o += len;
    }
    if cx.d.want_labels {
        let list = names.join(", ");
        cx.d.set_label(
            opts,
            format_args!("Options: ({} bytes), {list}", end - start),
        );
    }
}

/// The analysis flags, their Info prefix, expert message and severity.
static ANALYSIS: &[(u32, &str, &FieldDef, &str, Severity)] = {
    use super::tcp_analysis::flag as f;
    &[
        (
            f::RETRANSMISSION,
            "[TCP Retransmission] ",
            &A_RETRANSMISSION,
            "This frame is a (suspected) retransmission",
            Severity::Note,
        ),
        (
            f::FAST_RETRANSMISSION,
            "[TCP Fast Retransmission] ",
            &A_FAST_RETRANSMISSION,
            "This frame is a (suspected) fast retransmission",
            Severity::Note,
        ),
        (
            f::SPURIOUS_RETRANSMISSION,
            "[TCP Spurious Retransmission] ",
            &A_SPURIOUS_RETRANSMISSION,
            "This frame is a (suspected) spurious retransmission",
            Severity::Note,
        ),
        (
            f::OUT_OF_ORDER,
            "[TCP Out-Of-Order] ",
            &A_OUT_OF_ORDER,
            "This frame is a (suspected) out-of-order segment",
            Severity::Warning,
        ),
        (
            f::LOST_PACKET,
            "[TCP Previous segment not captured] ",
            &A_LOST_SEGMENT,
            "Previous segment(s) not captured (common at capture start)",
            Severity::Warning,
        ),
        (
            f::ACK_LOST_PACKET,
            "[TCP ACKed unseen segment] ",
            &A_ACK_LOST_SEGMENT,
            "ACKed segment that wasn't captured (common at capture start)",
            Severity::Warning,
        ),
        (
            f::WINDOW_UPDATE,
            "[TCP Window Update] ",
            &A_WINDOW_UPDATE,
            "TCP window update",
            Severity::Chat,
        ),
        (
            f::WINDOW_FULL,
            "[TCP Window Full] ",
            &A_WINDOW_FULL,
            "TCP window specified by the receiver is now completely full",
            Severity::Warning,
        ),
        (
            f::KEEP_ALIVE,
            "[TCP Keep-Alive] ",
            &A_KEEP_ALIVE,
            "This is a TCP keep-alive segment",
            Severity::Note,
        ),
        (
            f::KEEP_ALIVE_ACK,
            "[TCP Keep-Alive ACK] ",
            &A_KEEP_ALIVE_ACK,
            "ACK to a TCP keep-alive segment",
            Severity::Note,
        ),
        (f::DUPLICATE_ACK, "", &A_DUPLICATE_ACK, "", Severity::Note),
        (
            f::ZERO_WINDOW_PROBE,
            "[TCP ZeroWindowProbe] ",
            &A_ZERO_WINDOW_PROBE,
            "TCP Zero Window Probe",
            Severity::Note,
        ),
        (
            f::ZERO_WINDOW,
            "[TCP ZeroWindow] ",
            &A_ZERO_WINDOW,
            "TCP Zero Window segment",
            Severity::Warning,
        ),
        (
            f::ZERO_WINDOW_PROBE_ACK,
            "[TCP ZeroWindowProbeAck] ",
            &A_ZERO_WINDOW_PROBE_ACK,
            "ACK to a TCP Zero Window Probe",
            Severity::Note,
        ),
        (
            f::REUSED_PORTS,
            "[TCP Port numbers reused] ",
            &A_REUSED_PORTS,
            "A new tcp session is started with the same ports as an earlier session in this trace",
            Severity::Note,
        ),
    ]
};

fn info_prefix(t: &mut String, v: &super::tcp_analysis::Verdict) {
    use std::fmt::Write as _;
    if v.flags == 0 {
        return;
    }
    for (bit, prefix, ..) in ANALYSIS {
        if v.flags & bit != 0 {
            if *bit == super::tcp_analysis::flag::DUPLICATE_ACK {
                let _ = write!(t, "[TCP Dup ACK {}#{}] ", v.dupack_frame, v.dupack_num);
            } else {
                t.push_str(prefix);
            }
        }
    }
}

/// The `[SEQ/ACK analysis]` subtree.
fn analysis_nodes(
    cx: &mut Ctx<'_>,
    top: NodeId,
    v: &super::tcp_analysis::Verdict,
    irtt: Option<i64>,
) {
    if !cx.d.builds(crate::tree::build::TCP) {
        return;
    }
    // As in Wireshark, the iRTT alone does not make the subtree appear.
    if v.flags == 0 && v.acks.is_none() && v.bytes_in_flight.is_none() && v.push_bytes.is_none() {
        return;
    }
    let a = cx.d.add_generated(top, &ANALYSIS_NODE, Value::None);
    if let Some((frame, rtt)) = v.acks {
        cx.d.add_generated(a, &A_ACKS_FRAME, Value::U(frame));
        cx.d.add_generated(a, &A_ACK_RTT, Value::Time(rtt));
    }
    if let Some(t) = irtt {
        cx.d.add_generated(a, &A_INITIAL_RTT, Value::Time(t));
    }
    if let Some(b) = v.bytes_in_flight {
        cx.d.add_generated(a, &A_BYTES_IN_FLIGHT, Value::U(u64::from(b)));
    }
    if let Some(b) = v.push_bytes {
        cx.d.add_generated(a, &A_PUSH_BYTES, Value::U(u64::from(b)));
    }
    if v.flags == 0 {
        return;
    }
    let fl = cx.d.add_generated(a, &A_FLAGS, Value::None);
    for (bit, _, def, msg, sev) in ANALYSIS {
        if v.flags & bit == 0 {
            continue;
        }
        if *bit == super::tcp_analysis::flag::DUPLICATE_ACK {
            let n = cx.d.add_generated(fl, &A_DUPLICATE_ACK, Value::None);
            cx.d.expert(
                n,
                &A_DUPLICATE_ACK,
                *sev,
                Group::Sequence,
                format_args!("Duplicate ACK (#{})", v.dupack_num),
            );
            cx.d.add_generated(fl, &A_DUPLICATE_ACK_NUM, Value::U(u64::from(v.dupack_num)));
            cx.d.add_generated(fl, &A_DUPLICATE_ACK_FRAME, Value::U(v.dupack_frame));
        } else {
            cx.d.expert(fl, def, *sev, Group::Sequence, format_args!("{msg}"));
        }
    }
}

/// Finds the window scale option's shift without dissecting the options.
fn scan_wscale(data: &[u8], mut o: usize, end: usize) -> Option<i8> {
    while o < end {
        match data[o] {
            0 => return None,
            1 => o += 1,
            kind => {
                let len = usize::from(*data.get(o + 1)?);
                if len < 2 || o + len > end {
                    return None;
                }
                if kind == 3 && len == 3 {
                    return Some(data[o + 2].min(14) as i8);
                }
                o += len;
            }
        }
    }
    None
}
