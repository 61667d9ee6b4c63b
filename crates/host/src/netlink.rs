//! A small, dependency-light netlink client: one dump request, every reply
//! message collected, and helpers to walk route attributes.
//!
//! Only what the host views need: `RTM_GETLINK`, `RTM_GETADDR`, `RTM_GETROUTE`
//! (rtnetlink) and `SOCK_DIAG_BY_FAMILY` (sock_diag). The socket itself comes
//! from `socket2`, so this module needs no `unsafe`.

use crate::HostError;
use socket2::{Domain, Protocol, Socket, Type};
use std::io::Read;

/// `NLMSG_ERROR`: the kernel's answer to a failed request.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a multi-part dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// Length of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;

/// One netlink message: its type and its payload (after the 16-byte header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `nlmsg_type`.
    pub kind: u16,
    /// Bytes after the `nlmsghdr`.
    pub payload: Vec<u8>,
}

/// Rounds `len` up to netlink's 4-byte alignment.
pub fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// Reads a native-endian u16 at `at`, or 0 when out of range.
pub fn ne_u16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|s| u16::from_ne_bytes([s[0], s[1]]))
        .unwrap_or(0)
}

/// Reads a native-endian u32 at `at`, or 0 when out of range.
pub fn ne_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

/// Splits a buffer holding one or more netlink messages. Stops at the first
/// truncated header instead of failing: the kernel never sends one, and a
/// damaged buffer must not panic.
pub fn split_messages(buf: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= buf.len() {
        let len = ne_u32(buf, at) as usize;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            break;
        }
        out.push(Message {
            kind: ne_u16(buf, at + 4),
            payload: buf[at + NLMSG_HDRLEN..at + len].to_vec(),
        });
        at += align4(len);
    }
    out
}

/// Iterates over route attributes (`struct rtattr`: u16 length, u16 type,
/// value) in `buf`, yielding `(type, value)`; the nested flag bit is cleared.
pub fn attributes(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at + 4 > buf.len() {
            return None;
        }
        let len = ne_u16(buf, at) as usize;
        let kind = ne_u16(buf, at + 2) & 0x3fff;
        if len < 4 || at + len > buf.len() {
            return None;
        }
        let value = &buf[at + 4..at + len];
        at += align4(len);
        Some((kind, value))
    })
}

/// Builds a dump request: header plus the family-specific `body`.
pub fn dump_request(kind: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + body.len();
    let mut req = Vec::with_capacity(len);
    req.extend_from_slice(&(len as u32).to_ne_bytes());
    req.extend_from_slice(&kind.to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&seq.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    req.extend_from_slice(body);
    req
}

/// Sends one dump request on a new socket of netlink `protocol` and returns
/// every message up to `NLMSG_DONE`. A negative `NLMSG_ERROR` becomes an error
/// carrying the errno.
pub fn dump(protocol: i32, kind: u16, body: &[u8], what: &str) -> Result<Vec<Message>, HostError> {
    let os = |e: std::io::Error| HostError::Os {
        what: format!("netlink {what}"),
        source: e,
    };
    let sock = Socket::new(
        Domain::from(libc::AF_NETLINK),
        Type::RAW,
        Some(Protocol::from(protocol)),
    )
    .map_err(os)?;
    let req = dump_request(kind, 1, body);
    sock.send(&req).map_err(os)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    loop {
        let n = (&sock).read(&mut buf).map_err(os)?;
        if n == 0 {
            return Ok(out);
        }
        for msg in split_messages(&buf[..n]) {
            match msg.kind {
                NLMSG_DONE => return Ok(out),
                NLMSG_ERROR => {
                    let errno = ne_u32(&msg.payload, 0) as i32;
                    if errno == 0 {
                        continue;
                    }
                    return Err(os(std::io::Error::from_raw_os_error(-errno)));
                }
                _ => out.push(msg),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_two_messages_and_walks_attributes() {
        let mut buf = Vec::new();
        // Message 1: type 16, payload = one attribute (type 3, "lo\0").
        let attr = [7u8, 0, 3, 0, b'l', b'o', 0, 0];
        let len1 = (NLMSG_HDRLEN + attr.len()) as u32;
        buf.extend_from_slice(&len1.to_ne_bytes());
        buf.extend_from_slice(&16u16.to_ne_bytes());
        buf.extend_from_slice(&[0; 10]);
        buf.extend_from_slice(&attr);
        // Message 2: NLMSG_DONE.
        buf.extend_from_slice(&20u32.to_ne_bytes());
        buf.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        buf.extend_from_slice(&[0; 14]);
        let msgs = split_messages(&buf);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].kind, 16);
        assert_eq!(msgs[1].kind, NLMSG_DONE);
        let attrs: Vec<_> = attributes(&msgs[0].payload).collect();
        assert_eq!(attrs, vec![(3, &b"lo\0"[..])]);
    }

    #[test]
    fn truncated_input_does_not_panic() {
        assert!(split_messages(&[1, 2, 3]).is_empty());
        assert!(split_messages(&[200, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_empty());
        assert_eq!(attributes(&[9, 0, 1, 0, 1]).count(), 0);
    }
}
