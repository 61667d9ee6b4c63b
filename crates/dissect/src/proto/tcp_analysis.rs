//! TCP sequence analysis, after Wireshark's `tcp_analyze_sequence_number`:
//! retransmissions (plain, fast, spurious), out-of-order segments, lost and
//! unseen segments, duplicate ACKs, zero windows and probes, window updates,
//! window full, keep-alives; ACK RTT, bytes in flight, bytes since PSH.
//! Sequence numbers are compared modulo 2^32.

use std::collections::VecDeque;

/// Analysis flags (Wireshark's `TCP_A_*`).
pub mod flag {
    /// A retransmission.
    pub const RETRANSMISSION: u32 = 0x0001;
    /// A segment after a gap: the previous one was not captured.
    pub const LOST_PACKET: u32 = 0x0002;
    /// An ACK for data that was not captured.
    pub const ACK_LOST_PACKET: u32 = 0x0004;
    /// A keep-alive.
    pub const KEEP_ALIVE: u32 = 0x0008;
    /// A duplicate ACK.
    pub const DUPLICATE_ACK: u32 = 0x0010;
    /// A zero window.
    pub const ZERO_WINDOW: u32 = 0x0020;
    /// A zero-window probe.
    pub const ZERO_WINDOW_PROBE: u32 = 0x0040;
    /// The ACK of a zero-window probe.
    pub const ZERO_WINDOW_PROBE_ACK: u32 = 0x0080;
    /// The ACK of a keep-alive.
    pub const KEEP_ALIVE_ACK: u32 = 0x0100;
    /// An out-of-order segment.
    pub const OUT_OF_ORDER: u32 = 0x0200;
    /// A fast retransmission (after duplicate ACKs).
    pub const FAST_RETRANSMISSION: u32 = 0x0400;
    /// A window update.
    pub const WINDOW_UPDATE: u32 = 0x0800;
    /// The receiver's window is full.
    pub const WINDOW_FULL: u32 = 0x1000;
    /// A SYN reusing the ports of an earlier stream.
    pub const REUSED_PORTS: u32 = 0x2000;
    /// A retransmission of data already acknowledged.
    pub const SPURIOUS_RETRANSMISSION: u32 = 0x4000;
}

const SYN: u16 = 0x02;
const FIN: u16 = 0x01;
const RST: u16 = 0x04;
const PSH: u16 = 0x08;
const ACK: u16 = 0x10;

/// Most unacknowledged segments remembered per direction (memory bound).
const MAX_UNACKED: usize = 256;

fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}
fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn ge(a: u32, b: u32) -> bool {
    !lt(a, b)
}

/// What one direction of a stream remembers.
#[derive(Debug, Clone, Default)]
pub struct SeqState {
    nextseq: u32,
    nextseq_time: i64,
    maxseqtobeacked: u32,
    lastack: u32,
    lastack_time: i64,
    window: u32,
    seen: bool,
    lastsegmentflags: u32,
    dupacknum: u32,
    lastnondupack: u64,
    push_bytes: u32,
    /// Bytes in flight cannot be computed (after a gap, until the next ACK).
    bif_invalid: bool,
    /// First sequence number seen in this direction.
    first_seq: Option<u32>,
    unacked: VecDeque<(u32, u64, i64)>,
}

impl SeqState {
    /// The sequence number the next new segment should carry, once known.
    pub fn nextseq(&self) -> Option<u32> {
        (self.seen && self.nextseq != 0).then_some(self.nextseq)
    }
}

/// One segment, as the analysis needs it (raw sequence numbers).
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    /// Frame number.
    pub frame: u64,
    /// Capture time, ns.
    pub ts: i64,
    /// Raw sequence number.
    pub seq: u32,
    /// Raw acknowledgement number.
    pub ack: u32,
    /// Payload length.
    pub seglen: u32,
    /// TCP flags.
    pub flags: u16,
    /// The window field as sent.
    pub window: u32,
}

/// The analysis of one segment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verdict {
    /// `flag::*` bits.
    pub flags: u32,
    /// Duplicate ACK number (1, 2, ...).
    pub dupack_num: u32,
    /// The frame this is a duplicate ACK of.
    pub dupack_frame: u64,
    /// The segment this ACKs, and the RTT.
    pub acks: Option<(u64, i64)>,
    /// Bytes in flight after this segment.
    pub bytes_in_flight: Option<u32>,
    /// Bytes sent since the last PSH.
    pub push_bytes: Option<u32>,
}

/// Analyses a segment of `fwd`'s direction; `rev` is the other direction.
/// `rev_scale` is the other side's window scale shift (-1 unknown, -2 none).
pub fn analyze(
    fwd: &mut SeqState,
    rev: &mut SeqState,
    s: &Segment,
    irtt: Option<i64>,
    rev_scale: i8,
) -> Verdict {
    let mut v = Verdict::default();
    let f = s.flags;
    let ctl = f & (SYN | FIN | RST) != 0;
    let seq = s.seq;
    let fwd_has = fwd.seen && fwd.nextseq != 0;
    'checks: {
        if s.seglen == 1 && fwd_has && seq == fwd.nextseq && rev.seen && rev.window == 0 {
            v.flags |= flag::ZERO_WINDOW_PROBE;
            break 'checks;
        }
        if s.window == 0 && !ctl {
            v.flags |= flag::ZERO_WINDOW;
        }
        if fwd_has && gt(seq, fwd.nextseq) && f & RST == 0 {
            v.flags |= flag::LOST_PACKET;
            fwd.bif_invalid = true;
        }
        if s.seglen <= 1
            && f & (FIN | SYN | RST) == 0
            && fwd_has
            && fwd.nextseq.wrapping_sub(1) == seq
        {
            v.flags |= flag::KEEP_ALIVE;
        }
        let same = fwd.seen && seq == fwd.nextseq && s.ack == fwd.lastack && !ctl;
        if s.seglen == 0 && s.window != 0 && s.window != fwd.window && same {
            v.flags |= flag::WINDOW_UPDATE;
        }
        if s.seglen > 0 && rev_scale != -1 && rev.seen && !ctl {
            let shift = if rev_scale < 0 { 0 } else { rev_scale as u32 };
            if seq.wrapping_add(s.seglen) == rev.lastack.wrapping_add(rev.window << shift) {
                v.flags |= flag::WINDOW_FULL;
            }
        }
        if s.seglen == 0
            && s.window != 0
            && s.window == fwd.window
            && same
            && rev.lastsegmentflags & flag::KEEP_ALIVE != 0
        {
            v.flags |= flag::KEEP_ALIVE_ACK;
            break 'checks;
        }
        if s.seglen == 0
            && s.window == 0
            && s.window == fwd.window
            && same
            && rev.lastsegmentflags & flag::ZERO_WINDOW_PROBE != 0
        {
            v.flags |= flag::ZERO_WINDOW_PROBE_ACK;
            break 'checks;
        }
        if s.seglen == 0 && s.window != 0 && s.window == fwd.window && same {
            fwd.dupacknum += 1;
            v.flags |= flag::DUPLICATE_ACK;
            v.dupack_num = fwd.dupacknum;
            v.dupack_frame = fwd.lastnondupack;
        }
    }
    if v.flags & flag::DUPLICATE_ACK == 0 {
        // A duplicate ACK refers to the first frame that carried its ACK number.
        if !fwd.seen || s.ack != fwd.lastack {
            fwd.lastnondupack = s.frame;
        }
        fwd.dupacknum = 0;
    }
    if f & ACK != 0 && rev.seen && rev.maxseqtobeacked != 0 && gt(s.ack, rev.maxseqtobeacked) {
        v.flags |= flag::ACK_LOST_PACKET;
        rev.maxseqtobeacked = rev.nextseq;
    }
    if (s.seglen > 0 || f & (SYN | FIN) != 0) && fwd_has && lt(seq, fwd.nextseq) {
        let t = s.ts - rev.lastack_time;
        let ooo = irtt.unwrap_or(3_000_000);
        if rev.dupacknum >= 2 && rev.lastack == seq && t < 20_000_000 {
            v.flags |= flag::FAST_RETRANSMISSION;
        } else if s.ts - fwd.nextseq_time < ooo
            && fwd.nextseq
                != seq
                    .wrapping_add(s.seglen)
                    .wrapping_add(u32::from(f & (SYN | FIN) != 0))
        {
            v.flags |= flag::OUT_OF_ORDER;
        } else if s.seglen > 0
            && rev.seen
            && rev.lastack != 0
            && ge(rev.lastack, seq.wrapping_add(s.seglen))
        {
            v.flags |= flag::SPURIOUS_RETRANSMISSION;
        } else {
            v.flags |= flag::RETRANSMISSION;
        }
    }
    let prev_nextseq = fwd.nextseq;
    let mut nextseq = seq.wrapping_add(s.seglen);
    if f & (SYN | FIN) != 0 && f & RST == 0 {
        nextseq = nextseq.wrapping_add(1);
    }
    let zwp = v.flags & flag::ZERO_WINDOW_PROBE != 0;
    if (gt(nextseq, fwd.nextseq) || !fwd_has) && !zwp {
        fwd.nextseq = nextseq;
        fwd.nextseq_time = s.ts;
    }
    if (seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !zwp {
        fwd.maxseqtobeacked = fwd.nextseq;
    }
    // Bytes in flight: what this side has sent beyond the other side's ACK.
    let first = *fwd.first_seq.get_or_insert(seq);
    if s.seglen > 0 && !fwd.bif_invalid {
        let end = if fwd_has && gt(prev_nextseq, seq.wrapping_add(s.seglen)) {
            prev_nextseq
        } else {
            seq.wrapping_add(s.seglen)
        };
        let base = if rev.seen && rev.lastack != 0 {
            rev.lastack
        } else {
            first
        };
        v.bytes_in_flight = Some(end.wrapping_sub(base));
    }
    if s.seglen > 0 {
        fwd.push_bytes = fwd.push_bytes.wrapping_add(s.seglen);
        v.push_bytes = Some(fwd.push_bytes);
    }
    if f & PSH != 0 {
        fwd.push_bytes = 0;
    }
    if f & ACK != 0 {
        rev.bif_invalid = false;
    }
    fwd.window = s.window;
    if f & ACK != 0 {
        fwd.lastack = s.ack;
        fwd.lastack_time = s.ts;
    }
    fwd.seen = true;
    fwd.lastsegmentflags = v.flags;
    // Segments of the other side this ACKs.
    if f & ACK != 0 {
        let mut acked = None;
        while let Some(&(end, frame, ts)) = rev.unacked.front() {
            if gt(end, s.ack) {
                break;
            }
            acked = Some((frame, s.ts - ts));
            rev.unacked.pop_front();
        }
        v.acks = acked;
    }
    if s.seglen > 0 || f & (SYN | FIN) != 0 {
        if fwd.unacked.len() >= MAX_UNACKED {
            fwd.unacked.pop_front();
        }
        fwd.unacked.push_back((nextseq, s.frame, s.ts));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(frame: u64, ms: i64, seq: u32, ack: u32, seglen: u32, flags: u16) -> Segment {
        Segment {
            frame,
            ts: ms * 1_000_000,
            seq,
            ack,
            seglen,
            flags,
            window: 1000,
        }
    }

    #[test]
    fn handshake_data_retransmission_and_dup_acks() {
        let (mut c, mut s) = (SeqState::default(), SeqState::default());
        analyze(&mut c, &mut s, &seg(1, 0, 100, 0, 0, SYN), None, -1);
        let v = analyze(
            &mut s,
            &mut c,
            &seg(2, 10, 500, 101, 0, SYN | ACK),
            None,
            -1,
        );
        assert_eq!(v.acks, Some((1, 10_000_000)));
        analyze(
            &mut c,
            &mut s,
            &seg(3, 20, 101, 501, 0, ACK),
            Some(20_000_000),
            -2,
        );
        let v = analyze(
            &mut c,
            &mut s,
            &seg(4, 21, 101, 501, 100, ACK | PSH),
            Some(20_000_000),
            -2,
        );
        assert_eq!(v.flags, 0);
        assert_eq!(v.bytes_in_flight, Some(100));
        // The same data again, much later: a retransmission.
        let v = analyze(
            &mut c,
            &mut s,
            &seg(5, 500, 101, 501, 100, ACK | PSH),
            Some(20_000_000),
            -2,
        );
        assert_eq!(v.flags, flag::RETRANSMISSION);
        // A gap: previous segment not captured.
        let v = analyze(
            &mut c,
            &mut s,
            &seg(6, 600, 401, 501, 100, ACK),
            Some(20_000_000),
            -2,
        );
        assert_eq!(v.flags & flag::LOST_PACKET, flag::LOST_PACKET);
        // Server ACKs 201 twice more: duplicate ACKs #1 and #2 of frame 7.
        analyze(&mut s, &mut c, &seg(7, 601, 501, 201, 0, ACK), None, -2);
        let v = analyze(&mut s, &mut c, &seg(8, 602, 501, 201, 0, ACK), None, -2);
        assert_eq!(
            (v.flags, v.dupack_num, v.dupack_frame),
            (flag::DUPLICATE_ACK, 1, 7)
        );
        let v = analyze(&mut s, &mut c, &seg(9, 603, 501, 201, 0, ACK), None, -2);
        assert_eq!(v.dupack_num, 2);
        // The client resends 201 right away: a fast retransmission.
        let v = analyze(
            &mut c,
            &mut s,
            &seg(10, 604, 201, 501, 100, ACK),
            Some(20_000_000),
            -2,
        );
        assert_eq!(v.flags, flag::FAST_RETRANSMISSION);
    }

    #[test]
    fn zero_window_and_keep_alive() {
        let (mut c, mut s) = (SeqState::default(), SeqState::default());
        analyze(&mut c, &mut s, &seg(1, 0, 100, 0, 0, SYN), None, -1);
        analyze(&mut s, &mut c, &seg(2, 1, 500, 101, 0, SYN | ACK), None, -1);
        analyze(&mut c, &mut s, &seg(3, 2, 101, 501, 0, ACK), None, -2);
        let mut z = seg(4, 3, 501, 101, 0, ACK);
        z.window = 0;
        let v = analyze(&mut s, &mut c, &z, None, -2);
        assert_ne!(v.flags & flag::ZERO_WINDOW, 0);
        let v = analyze(&mut c, &mut s, &seg(5, 5000, 100, 501, 0, ACK), None, -2);
        assert_ne!(v.flags & flag::KEEP_ALIVE, 0);
    }
}
