//! Conversation keys shared by the TCP and UDP trackers.

use super::NetAddrs;

/// Both endpoints of a transport conversation, in a canonical order so that the
/// two directions of a conversation share one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConvKey {
    a: [u8; 16],
    b: [u8; 16],
    pa: u16,
    pb: u16,
    len: u8,
}

impl ConvKey {
    /// The key of a packet, and whether the packet goes from `a` to `b`.
    pub fn new(net: &NetAddrs, sport: u16, dport: u16) -> (ConvKey, bool) {
        let s = (net.src, sport);
        let d = (net.dst, dport);
        let forward = s <= d;
        let ((a, pa), (b, pb)) = if forward { (s, d) } else { (d, s) };
        (
            ConvKey {
                a,
                b,
                pa,
                pb,
                len: net.len,
            },
            forward,
        )
    }
}
