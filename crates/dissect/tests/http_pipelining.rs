//! Many pipelined HTTP requests in one TCP segment: each message after the
//! first is a data source, and a node names its source in a byte, so the
//! count per segment is bounded (found by the `dissect` fuzz target: 255
//! messages overflowed the source number).

use sonde_dissect::registry::lookup;
use sonde_dissect::{Dissection, Dissector, Options};

/// A raw IPv4 packet (link type 101): TCP from port 40000 to 80 carrying
/// `payload`.
fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
    let total = 20 + 20 + payload.len();
    let mut p = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0x40,
        0,
        64,
        6,
        0,
        0,
        10,
        0,
        0,
        1,
        10,
        0,
        0,
        2,
    ];
    p.extend_from_slice(&[
        0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    p.extend_from_slice(payload);
    p
}

#[test]
fn hundreds_of_pipelined_requests_in_one_segment() {
    let payload = b"GET / HTTP/1.1\r\n\r\n".repeat(300);
    let data = ipv4_tcp(&payload);
    let mut dis = Dissector::new(Options::default());
    let mut d = Dissection::new();
    let frame = sonde_capture::Frame {
        number: 1,
        ts_ns: 1_700_000_000_000_000_000,
        orig_len: data.len() as u32,
        link_type: 101,
        interface_id: 0,
        data: &data,
        comment: None,
    };
    dis.dissect(&frame, &mut d);
    let method = lookup("http.request.method").unwrap();
    let methods = d
        .nodes
        .iter()
        .filter(|n| std::ptr::eq(n.def, method))
        .count();
    // The first in place, the next 199 as reassembled messages; the rest
    // wait for the next segment.
    assert_eq!(methods, 200);
    assert_eq!(d.sources.len(), 199);
}
