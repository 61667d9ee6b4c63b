//! Follow stream, like `tshark -q -z follow,tcp|udp,ascii|hex|raw,N`: the
//! payload of one TCP or UDP stream, each direction in order, in tshark's
//! layout.
//!
//! TCP payload is put back in sequence order from `tcp.seq`, `tcp.len` and
//! `tcp.payload`: retransmitted bytes are dropped, out-of-order segments wait
//! (in a bounded buffer) for the bytes before them, and a gap the other side
//! acknowledged is marked `[N bytes missing in capture file]`, as Wireshark
//! does. Chunks are written as they become ready, so memory does not grow with
//! the stream's length. Like every consumer, this one only reads the tree.

use crate::conv::{scan_layers, Address, Defs, LayerKind};
use sonde_dissect::Dissection;
use std::fmt::Write as _;

/// The protocol whose stream is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowProto {
    /// A TCP stream (`tcp.stream`).
    Tcp,
    /// A UDP stream (`udp.stream`).
    Udp,
}

impl FollowProto {
    fn name(self) -> &'static str {
        match self {
            FollowProto::Tcp => "tcp",
            FollowProto::Udp => "udp",
        }
    }
}

/// How chunks are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowFormat {
    /// Printable characters, others as `.`, each chunk preceded by its length.
    Ascii,
    /// Offset, hex bytes and ASCII, 16 bytes a line.
    Hex,
    /// Each chunk as one line of hex digits.
    Raw,
}

impl FollowFormat {
    fn name(self) -> &'static str {
        match self {
            FollowFormat::Ascii => "ascii",
            FollowFormat::Hex => "hex",
            FollowFormat::Raw => "raw",
        }
    }
}

/// Default limit on out-of-order TCP bytes held while waiting for a gap to fill.
pub const DEFAULT_BUFFER_LIMIT: usize = 32 << 20;

const SEPARATOR: &str = "===================================================================\n";

/// A segment that arrived ahead of the bytes before it.
struct Fragment {
    seq: u32,
    data: Vec<u8>,
}

fn lt_seq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

fn gt_seq(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

/// Follows one stream frame by frame, writing its chunks as they are ready.
pub struct Follower {
    proto: FollowProto,
    stream: u32,
    format: FollowFormat,
    defs: Defs,
    /// Node 0 (the source of the stream's first frame) and node 1.
    nodes: Option<[(Address, u16); 2]>,
    header_done: bool,
    /// Next expected sequence number, per node.
    seq: [u32; 2],
    bytes_written: [u64; 2],
    /// Offset of the next chunk in each direction (hex layout).
    offset: [u64; 2],
    fragments: [Vec<Fragment>; 2],
    buffered: usize,
    limit: usize,
    dropped: u64,
}

impl Follower {
    /// Follows stream `stream` of `proto`, printing in `format`.
    pub fn new(proto: FollowProto, stream: u32, format: FollowFormat) -> Follower {
        Follower {
            proto,
            stream,
            format,
            defs: Defs::new(),
            nodes: None,
            header_done: false,
            seq: [0; 2],
            bytes_written: [0; 2],
            offset: [0; 2],
            fragments: [Vec::new(), Vec::new()],
            buffered: 0,
            limit: DEFAULT_BUFFER_LIMIT,
            dropped: 0,
        }
    }

    /// Sets how many out-of-order bytes may wait for a gap to fill; segments
    /// beyond it are dropped and counted in [`Follower::dropped`].
    pub fn set_buffer_limit(&mut self, bytes: usize) {
        self.limit = bytes;
    }

    /// Out-of-order bytes dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// True once a frame of the stream was seen.
    pub fn found(&self) -> bool {
        self.nodes.is_some()
    }

    fn header(&mut self, out: &mut String) {
        if self.header_done {
            return;
        }
        self.header_done = true;
        out.push('\n');
        out.push_str(SEPARATOR);
        let _ = writeln!(out, "Follow: {},{}", self.proto.name(), self.format.name());
        let _ = writeln!(
            out,
            "Filter: {}.stream eq {}",
            self.proto.name(),
            self.stream
        );
        for i in 0..2 {
            match self.nodes {
                Some(n) => {
                    let (a, p) = n[i];
                    match a {
                        Address::V6(_) => {
                            let _ = writeln!(out, "Node {i}: [{}]:{p}", a.plain());
                        }
                        _ => {
                            let _ = writeln!(out, "Node {i}: {}:{p}", a.plain());
                        }
                    }
                }
                None => {
                    let _ = writeln!(out, "Node {i}: :0");
                }
            }
        }
    }

    /// Reads one dissected frame; writes the header at the stream's first
    /// frame and any chunk that became ready.
    pub fn add(&mut self, d: &Dissection, data: &[u8], out: &mut String) {
        let want = match self.proto {
            FollowProto::Tcp => LayerKind::Tcp,
            FollowProto::Udp => LayerKind::Udp,
        };
        let mut layers = Vec::new();
        // tshark's follow taps read the addresses and ports from the packet
        // info when the frame is done: those of the innermost IP and
        // transport layers (a tunnel's inner packet), not of the followed
        // layer.
        let mut net = None;
        let mut ports = None;
        scan_layers(&self.defs, d, data, |l| {
            if l.in_error {
                return;
            }
            match l.kind {
                LayerKind::Eth | LayerKind::Ip | LayerKind::Ipv6 => {
                    if let (Some(s), Some(t)) = (l.src, l.dst) {
                        net = Some((s, t));
                    }
                }
                LayerKind::Tcp | LayerKind::Udp => {
                    if let (Some(s), Some(t)) = (l.sport, l.dport) {
                        ports = Some((s, t));
                    }
                }
            }
            // A header cut short stops tshark's dissector before its follow
            // tap is queued.
            if l.kind == want && l.stream == Some(self.stream) && !l.truncated {
                layers.push(*l);
            }
        });
        let (Some((src, dst)), Some((sp, dp))) = (net, ports) else {
            return;
        };
        for l in layers {
            // A datagram without payload does not reach tshark's UDP follow tap.
            if self.proto == FollowProto::Udp && l.payload.is_none() {
                continue;
            }
            let nodes = *self.nodes.get_or_insert([(src, sp), (dst, dp)]);
            self.header(out);
            let node = usize::from(nodes[0] != (src, sp));
            let payload = l.payload.map(|id| d.bytes(data, id)).unwrap_or(&[]);
            match self.proto {
                FollowProto::Udp => self.chunk(node, payload, out),
                FollowProto::Tcp => {
                    let mut seq = l.seq.unwrap_or(0);
                    if l.flags & 0x02 != 0 {
                        seq = seq.wrapping_add(1);
                    }
                    let len = l.len.unwrap_or(payload.len() as u32);
                    let ack = if l.flags & 0x10 != 0 {
                        l.ack.unwrap_or(0)
                    } else {
                        0
                    };
                    self.tcp_segment(node, seq, len, ack, payload, out);
                }
            }
        }
    }

    /// Wireshark's follow_tcp_tap_listener, writing chunks as they are ready.
    fn tcp_segment(
        &mut self,
        node: usize,
        mut seq: u32,
        mut len: u32,
        ack: u32,
        payload: &[u8],
        out: &mut String,
    ) {
        // This segment may acknowledge data the other side sent that the
        // capture missed: release what waits behind the gap.
        if !self.fragments[1 - node].is_empty() {
            while self.check_fragments(1 - node, Some(ack), out) {}
        }
        if self.bytes_written[node] == 0 && self.seq[node] == 0 {
            self.seq[node] = seq;
        }
        let mut data = payload;
        if lt_seq(seq, self.seq[node]) {
            let next = seq.wrapping_add(len);
            if gt_seq(next, self.seq[node]) {
                let skip = self.seq[node].wrapping_sub(seq) as usize;
                data = data.get(skip..).unwrap_or(&[]);
                seq = self.seq[node];
                len = next.wrapping_sub(self.seq[node]);
            }
        }
        if data.is_empty() || lt_seq(seq, self.seq[node]) {
            return;
        }
        if seq == self.seq[node] {
            self.seq[node] = self.seq[node].wrapping_add(len);
            self.bytes_written[node] += data.len() as u64;
            self.chunk(node, data, out);
            while self.check_fragments(node, None, out) {}
        } else if self.buffered + data.len() <= self.limit {
            self.buffered += data.len();
            self.fragments[node].push(Fragment {
                seq,
                data: data.to_vec(),
            });
        } else {
            self.dropped += data.len() as u64;
        }
    }

    /// Wireshark's check_follow_fragments: applies one waiting fragment that
    /// now fits, or marks a gap the other side acknowledged. True if it did.
    fn check_fragments(&mut self, node: usize, ack: Option<u32>, out: &mut String) -> bool {
        let frags = &self.fragments[node];
        let Some(first) = frags.first() else {
            return false;
        };
        let expected = self.seq[node];
        let mut lowest = first.seq;
        // The first fragment that is dated (starts before the expected
        // sequence number) or fits exactly, as Wireshark scans them.
        let mut hit = None;
        for (i, f) in frags.iter().enumerate() {
            if gt_seq(lowest, f.seq) {
                lowest = f.seq;
            }
            if lt_seq(f.seq, expected) || f.seq == expected {
                hit = Some(i);
                break;
            }
        }
        if let Some(i) = hit {
            let f = self.fragments[node].remove(i);
            self.buffered -= f.data.len();
            let end = f.seq.wrapping_add(f.data.len() as u32);
            if f.seq == expected || gt_seq(end, expected) {
                let skip = expected.wrapping_sub(f.seq) as usize;
                if f.data.len() > skip {
                    self.chunk(node, &f.data[skip..], out);
                }
                self.seq[node] =
                    self.seq[node].wrapping_add(f.data.len().saturating_sub(skip) as u32);
            }
            return true;
        }
        if let Some(ack) = ack {
            if gt_seq(ack, lowest) {
                let mut note = format!(
                    "[{} bytes missing in capture file]",
                    lowest.wrapping_sub(expected) as i32
                )
                .into_bytes();
                note.push(0);
                self.chunk(node, &note, out);
                self.seq[node] = lowest;
                return true;
            }
        }
        false
    }

    /// Writes one chunk of `node`'s data in the chosen layout.
    fn chunk(&mut self, node: usize, data: &[u8], out: &mut String) {
        let tab = if node == 1 { "\t" } else { "" };
        match self.format {
            FollowFormat::Ascii => {
                let _ = writeln!(out, "{tab}{}", data.len());
                out.extend(data.iter().map(|&b| match b {
                    b'\r' | b'\n' | 0x20..=0x7e => b as char,
                    _ => '.',
                }));
                out.push('\n');
            }
            FollowFormat::Raw => {
                out.push_str(tab);
                for b in data {
                    let _ = write!(out, "{b:02x}");
                }
                out.push('\n');
            }
            FollowFormat::Hex => write_hex(out, tab, self.offset[node], data),
        }
        self.offset[node] += data.len() as u64;
    }

    /// Writes the header if no frame of the stream was seen, and the closing
    /// separator.
    pub fn finish(&mut self, out: &mut String) {
        self.header(out);
        out.push_str(SEPARATOR);
    }
}

/// tshark's follow hex layout: 8-digit offset, 16 bytes in two groups of
/// eight, then their ASCII; one trailing space trimmed from each line.
fn write_hex(out: &mut String, prefix: &str, mut offset: u64, data: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for line in data.chunks(16) {
        let mut l = format!("{:08X}", offset as u32);
        l.push_str("  ");
        let mut ascii = String::with_capacity(17);
        for (i, &b) in line.iter().enumerate() {
            l.push(HEX[usize::from(b >> 4)] as char);
            l.push(HEX[usize::from(b & 15)] as char);
            l.push(' ');
            ascii.push(if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            });
            if i == 7 {
                l.push(' ');
                ascii.push(' ');
            }
        }
        while l.len() < 60 {
            l.push(' ');
        }
        if ascii.ends_with(' ') {
            ascii.pop();
        }
        out.push_str(prefix);
        out.push_str(&l);
        out.push_str(&ascii);
        out.push('\n');
        offset += 16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lines_like_tshark() {
        let mut s = String::new();
        write_hex(&mut s, "", 0x1f0, b"\r\n\r\n");
        assert_eq!(
            s,
            "000001F0  0d 0a 0d 0a                                       ....\n"
        );
        s.clear();
        write_hex(&mut s, "\t", 0, b".0; Win64; x64) ");
        assert_eq!(
            s,
            "\t00000000  2e 30 3b 20 57 69 6e 36  34 3b 20 78 36 34 29 20  .0; Win6 4; x64)\n"
        );
    }

    fn follower() -> Follower {
        let mut f = Follower::new(FollowProto::Tcp, 0, FollowFormat::Raw);
        f.nodes = Some([
            (Address::V4([10, 0, 0, 1]), 1000),
            (Address::V4([10, 0, 0, 2]), 80),
        ]);
        f.header_done = true;
        f
    }

    #[test]
    fn retransmissions_dropped_and_out_of_order_placed() {
        let mut f = follower();
        let mut out = String::new();
        f.tcp_segment(0, 1, 2, 0, b"ab", &mut out);
        f.tcp_segment(0, 5, 2, 0, b"ef", &mut out); // ahead of a gap
        f.tcp_segment(0, 1, 2, 0, b"ab", &mut out); // retransmission
        f.tcp_segment(0, 2, 3, 0, b"bcd", &mut out); // overlaps, fills the gap
        assert_eq!(out, "6162\n6364\n6566\n");
        assert_eq!(f.buffered, 0);
    }

    #[test]
    fn acknowledged_gap_is_marked() {
        let mut f = follower();
        let mut out = String::new();
        f.format = FollowFormat::Ascii;
        f.tcp_segment(0, 1, 1, 0, b"a", &mut out);
        f.tcp_segment(0, 4, 1, 0, b"d", &mut out);
        f.tcp_segment(1, 1, 0, 5, b"", &mut out);
        assert_eq!(out, "1\na\n34\n[2 bytes missing in capture file].\n1\nd\n");
    }

    #[test]
    fn buffer_limit_drops_and_counts() {
        let mut f = follower();
        f.set_buffer_limit(3);
        let mut out = String::new();
        f.tcp_segment(0, 1, 1, 0, b"a", &mut out);
        f.tcp_segment(0, 10, 4, 0, b"wxyz", &mut out);
        assert_eq!(f.dropped(), 4);
    }
}
