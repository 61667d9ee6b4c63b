//! The reader over byte literals: each pcap header variant and pcapng block
//! type, truncation, errors, and streaming memory use.

use std::io::Cursor;

use sonde_capture::{CaptureError, CaptureReader, FileFormat};

fn reader(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
    CaptureReader::from_read(Box::new(Cursor::new(bytes)))
}

/// (number, ts_ns, orig_len, link_type, interface_id, data, comment) of every frame.
type Row = (u64, i128, u32, u32, u32, Vec<u8>, Option<String>);

fn drain(r: &mut CaptureReader) -> (Vec<Row>, Option<CaptureError>) {
    let mut rows = Vec::new();
    while let Some(f) = r.next_frame() {
        match f {
            Ok(f) => rows.push((
                f.number,
                f.ts_ns,
                f.orig_len,
                f.link_type,
                f.interface_id,
                f.data.to_vec(),
                f.comment.map(str::to_string),
            )),
            Err(e) => {
                assert!(r.next_frame().is_none(), "None after an error");
                return (rows, Some(e));
            }
        }
    }
    (rows, None)
}

// ---- pcap ----

fn pcap_header(be: bool, magic: u32, linktype: u32) -> Vec<u8> {
    let mut v = Vec::new();
    let u32b = |x: u32| if be { x.to_be_bytes() } else { x.to_le_bytes() };
    let u16b = |x: u16| if be { x.to_be_bytes() } else { x.to_le_bytes() };
    v.extend(u32b(magic));
    v.extend(u16b(2));
    v.extend(u16b(4));
    v.extend([0; 8]);
    v.extend(u32b(65535));
    v.extend(u32b(linktype));
    v
}

fn pcap_record(be: bool, secs: u32, frac: u32, data: &[u8], orig: u32, extra: usize) -> Vec<u8> {
    let u32b = |x: u32| if be { x.to_be_bytes() } else { x.to_le_bytes() };
    let mut v = Vec::new();
    v.extend(u32b(secs));
    v.extend(u32b(frac));
    v.extend(u32b(data.len() as u32));
    v.extend(u32b(orig));
    v.extend(vec![0; extra]);
    v.extend(data);
    v
}

#[test]
fn pcap_variants() {
    // (big-endian, magic, nanos, modified, extra record bytes)
    for (be, magic, nanos, modified, extra) in [
        (false, 0xa1b2c3d4, false, false, 0),
        (true, 0xa1b2c3d4, false, false, 0),
        (false, 0xa1b23c4d, true, false, 0),
        (true, 0xa1b23c4d, true, false, 0),
        (false, 0xa1b2cd34, false, true, 8),
        (true, 0xa1b2cd34, false, true, 8),
    ] {
        let mut f = pcap_header(be, magic, 0x3000_0001); // FCS nibble set, "present" bit clear
        f.extend(pcap_record(be, 10, 5, b"abc", 60, extra));
        f.extend(pcap_record(be, 11, 0, b"", 0, extra));
        let mut r = reader(f).unwrap();
        assert_eq!(
            r.format(),
            FileFormat::Pcap {
                nanos,
                modified,
                big_endian: be,
                version: (2, 4)
            }
        );
        assert_eq!(r.interfaces().len(), 1);
        assert_eq!(r.interfaces()[0].link_type, 1);
        assert_eq!(r.interfaces()[0].tsresol, if nanos { 9 } else { 6 });
        let (rows, err) = drain(&mut r);
        assert!(err.is_none());
        let frac = if nanos { 5 } else { 5000 };
        assert_eq!(
            rows[0],
            (1, 10_000_000_000 + frac, 60, 1, 0, b"abc".to_vec(), None)
        );
        assert_eq!(rows[1].0, 2);
        assert_eq!(rows[1].1, 11_000_000_000);
        assert!(rows[1].5.is_empty());
    }
}

#[test]
fn pcap_truncated_last_record_comes_after_the_complete_frames() {
    let mut f = pcap_header(false, 0xa1b2c3d4, 1);
    for i in 0..3 {
        f.extend(pcap_record(false, i, 0, &[i as u8; 100], 100, 0));
    }
    let full = f.len();
    f.extend(pcap_record(false, 9, 0, &[7; 1514], 1514, 0));
    f.truncate(full + 16 + 600);
    let (rows, err) = drain(&mut reader(f.clone()).unwrap());
    assert_eq!(rows.len(), 3);
    let err = err.unwrap();
    assert!(err.is_truncation());
    assert_eq!(err.frame(), Some(4));
    assert_eq!(err.offset(), Some(full as u64));
    assert_eq!(
        err.to_string(),
        format!(
            "truncated record: frame 4 at offset {full} needs 1530 bytes, the file ends after 616 \
             (the capture appears to have been cut short)"
        )
    );
    // Cut in the record header.
    f.truncate(full + 5);
    let (rows, err) = drain(&mut reader(f).unwrap());
    assert_eq!(rows.len(), 3);
    let err = err.unwrap();
    assert!(err.is_truncation());
    assert!(
        err.to_string()
            .starts_with("truncated record header: frame 4"),
        "{err}"
    );
}

#[test]
fn pcap_absurd_caplen_is_an_error_not_an_allocation() {
    let mut f = pcap_header(false, 0xa1b2c3d4, 1);
    f.extend(pcap_record(false, 0, 0, b"", 0, 0));
    f[24 + 8..24 + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let (rows, err) = drain(&mut reader(f).unwrap());
    assert!(rows.is_empty());
    let e = err.unwrap().to_string();
    assert!(
        e.contains("captured length 4294967280 is larger than the 16 MiB limit"),
        "{e}"
    );
    assert!(e.contains("frame 1"), "{e}");
}

#[test]
fn short_and_unknown_inputs() {
    assert_eq!(
        reader(vec![]).unwrap_err().to_string(),
        "not a capture file: the file is empty"
    );
    assert!(reader(vec![0xd4, 0xc3])
        .unwrap_err()
        .to_string()
        .contains("only 2 bytes long"));
    let e = reader(b"GET / HTTP/1.1\r\n".to_vec())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("not a capture file: unknown magic number 0x47455420 at offset 0"),
        "{e}"
    );
    let e = reader(pcap_header(false, 0xa1b2c3d4, 1)[..10].to_vec()).unwrap_err();
    assert!(e.is_truncation());
    assert!(e.to_string().contains("pcap file header"), "{e}");
    // A gzip stream that is corrupt: an I/O error, not a panic.
    let e = reader(vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3]).unwrap_err();
    assert!(
        matches!(
            e,
            CaptureError::Io { .. } | CaptureError::UnknownFormat { .. }
        ),
        "{e}"
    );
}

// ---- pcapng ----

struct Ng {
    be: bool,
    out: Vec<u8>,
}

impl Ng {
    fn new(be: bool) -> Self {
        Ng {
            be,
            out: Vec::new(),
        }
    }
    fn u16(&self, x: u16) -> [u8; 2] {
        if self.be {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn u32(&self, x: u32) -> [u8; 4] {
        if self.be {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn opt(&self, code: u16, v: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend(self.u16(code));
        o.extend(self.u16(v.len() as u16));
        o.extend(v);
        while o.len() & 3 != 0 {
            o.push(0);
        }
        o
    }
    fn block(&mut self, btype: u32, body: &[u8]) -> &mut Self {
        let mut body = body.to_vec();
        while body.len() & 3 != 0 {
            body.push(0);
        }
        let total = (body.len() + 12) as u32;
        let t = self.u32(btype);
        let l = self.u32(total);
        self.out.extend(t);
        self.out.extend(l);
        self.out.extend(body);
        self.out.extend(l);
        self
    }
    fn shb(&mut self, opts: &[u8]) -> &mut Self {
        let mut b = Vec::new();
        b.extend(self.u32(0x1A2B3C4D));
        b.extend(self.u16(1));
        b.extend(self.u16(0));
        b.extend([0xff; 8]);
        b.extend(opts);
        self.block(0x0A0D0D0A, &b)
    }
    fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[u8]) -> &mut Self {
        let mut b = Vec::new();
        b.extend(self.u16(linktype));
        b.extend(self.u16(0));
        b.extend(self.u32(snaplen));
        b.extend(opts);
        self.block(1, &b)
    }
    fn epb(&mut self, ifid: u32, ticks: u64, data: &[u8], orig: u32, opts: &[u8]) -> &mut Self {
        let mut b = Vec::new();
        b.extend(self.u32(ifid));
        b.extend(self.u32((ticks >> 32) as u32));
        b.extend(self.u32(ticks as u32));
        b.extend(self.u32(data.len() as u32));
        b.extend(self.u32(orig));
        b.extend(data);
        while b.len() & 3 != 0 {
            b.push(0);
        }
        b.extend(opts);
        self.block(6, &b)
    }
    fn pb(&mut self, ifid: u16, ticks: u64, data: &[u8], orig: u32) -> &mut Self {
        let mut b = Vec::new();
        b.extend(self.u16(ifid));
        b.extend(self.u16(0)); // drops
        b.extend(self.u32((ticks >> 32) as u32));
        b.extend(self.u32(ticks as u32));
        b.extend(self.u32(data.len() as u32));
        b.extend(self.u32(orig));
        b.extend(data);
        self.block(2, &b)
    }
    fn spb(&mut self, orig: u32, data: &[u8]) -> &mut Self {
        let mut b = Vec::new();
        b.extend(self.u32(orig));
        b.extend(data);
        self.block(3, &b)
    }
    fn bytes(&self) -> Vec<u8> {
        self.out.clone()
    }
}

#[test]
fn pcapng_epb_pb_spb_in_both_byte_orders() {
    for be in [false, true] {
        let mut ng = Ng::new(be);
        let name = ng.opt(2, b"eth0");
        let comment = ng.opt(1, b"hello\0");
        let mut shb_opts = ng.opt(4, b"writer");
        shb_opts.extend(ng.opt(1, b"section note"));
        ng.shb(&shb_opts)
            .idb(1, 4, &name)
            .epb(0, 1_500_000, b"abcdef", 6, &comment)
            .pb(0, 2_000_000, b"xyz", 3)
            .spb(10, b"0123456789"); // snaplen 4 cuts it
        ng.block(4, &[0; 8])
            .block(5, &[0; 12])
            .block(0x0A, &[0; 8])
            .block(0xBAD, &[0; 8]);
        ng.block(0x4000_0BAD, &[0; 8]).block(0x1234_5678, &[0; 4]);
        let mut r = reader(ng.bytes()).unwrap();
        assert_eq!(
            r.format(),
            FileFormat::PcapNg {
                big_endian: be,
                version: (1, 0)
            }
        );
        assert_eq!(r.section().user_appl.as_deref(), Some("writer"));
        assert_eq!(r.section_comments(), ["section note".to_string()]);
        let (rows, err) = drain(&mut r);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            (
                1,
                1_500_000_000,
                6,
                1,
                0,
                b"abcdef".to_vec(),
                Some("hello".into())
            )
        );
        assert_eq!(rows[1], (2, 2_000_000_000, 3, 1, 0, b"xyz".to_vec(), None));
        assert_eq!(rows[2], (3, 0, 10, 1, 0, b"0123".to_vec(), None));
        assert_eq!(r.interfaces()[0].name.as_deref(), Some("eth0"));
    }
}

#[test]
fn pcapng_spb_caplen_is_min_of_snaplen_origlen_and_block() {
    let mut ng = Ng::new(false);
    ng.shb(&[])
        .idb(1, 0, &[])
        .spb(3, b"abcdefgh")
        .spb(100, b"abcdefgh");
    let (rows, err) = drain(&mut reader(ng.bytes()).unwrap());
    assert!(err.is_none());
    assert_eq!(rows[0].5, b"abc");
    assert_eq!(rows[1].5, b"abcdefgh");
}

#[test]
fn pcapng_timestamp_resolutions_and_offset() {
    let mut ng = Ng::new(false);
    let ns = ng.opt(9, &[9]);
    let bin = ng.opt(9, &[0x80 | 10]); // 2^-10 s
    let mut ms_off = ng.opt(9, &[3]);
    ms_off.extend(ng.opt(14, &100i64.to_le_bytes()));
    let ps = ng.opt(9, &[12]);
    ng.shb(&[])
        .idb(1, 0, &ns)
        .idb(1, 0, &bin)
        .idb(1, 0, &ms_off)
        .idb(1, 0, &ps)
        .idb(1, 0, &[]);
    ng.epb(0, 1_234_567_890_123, b"", 0, &[]);
    ng.epb(1, 1024 * 5 + 512, b"", 0, &[]);
    ng.epb(2, 2_500, b"", 0, &[]);
    ng.epb(3, 1_000_000_000_123_456, b"", 0, &[]);
    ng.epb(4, 7, b"", 0, &[]);
    let (rows, err) = drain(&mut reader(ng.bytes()).unwrap());
    assert!(err.is_none());
    let ts: Vec<i128> = rows.iter().map(|r| r.1).collect();
    assert_eq!(
        ts,
        vec![
            1_234_567_890_123,
            5_500_000_000,
            102_500_000_000,
            1_000_000_000_123,
            7_000
        ]
    );
    let ids: Vec<u32> = rows.iter().map(|r| r.4).collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
}

#[test]
fn pcapng_new_section_resets_interfaces_and_may_change_byte_order() {
    let mut a = Ng::new(false);
    a.shb(&[]).idb(1, 0, &[]).epb(0, 1, b"a", 1, &[]);
    let mut b = Ng::new(true);
    b.shb(&[]).idb(101, 0, &[]).epb(0, 2, b"b", 1, &[]);
    let mut c = Ng::new(false);
    c.shb(&[]).epb(0, 3, b"c", 1, &[]); // no IDB in this section
    let mut bytes = a.bytes();
    bytes.extend(b.bytes());
    let mut r = reader(bytes.clone()).unwrap();
    let (rows, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!(
        rows.iter().map(|r| (r.3, r.4)).collect::<Vec<_>>(),
        vec![(1, 0), (101, 1)]
    );
    assert_eq!(
        r.format(),
        FileFormat::PcapNg {
            big_endian: true,
            version: (1, 0)
        }
    );
    assert_eq!(r.section().index, 1);
    bytes.extend(c.bytes());
    let (rows, err) = drain(&mut reader(bytes).unwrap());
    assert_eq!(rows.len(), 2);
    let e = err.unwrap().to_string();
    assert!(
        e.contains("refers to interface 0, which its section has not described"),
        "{e}"
    );
    assert!(e.contains("frame 3"), "{e}");
}

#[test]
fn pcapng_structural_errors() {
    let base = || {
        let mut ng = Ng::new(false);
        ng.shb(&[]).idb(1, 0, &[]);
        ng
    };
    // Trailer mismatch.
    let mut ng = base();
    ng.epb(0, 1, b"abcd", 4, &[]);
    let mut bytes = ng.bytes();
    let n = bytes.len();
    bytes[n - 1] = 9;
    let (_, err) = drain(&mut reader(bytes).unwrap());
    let e = err.unwrap().to_string();
    assert!(
        e.contains("enhanced packet block total length in header 36 and trailer"),
        "{e}"
    );
    // Length not a multiple of 4, and too small.
    for (len, msg) in [
        (13u32, "is not a multiple of 4"),
        (8, "is shorter than the minimum of 12"),
    ] {
        let mut bytes = base().bytes();
        bytes.extend(6u32.to_le_bytes());
        bytes.extend(len.to_le_bytes());
        bytes.extend([0; 8]);
        let (_, err) = drain(&mut reader(bytes).unwrap());
        let e = err.unwrap().to_string();
        assert!(e.contains(msg), "{e}");
    }
    // Absurd length: error before any allocation.
    let mut bytes = base().bytes();
    bytes.extend(6u32.to_le_bytes());
    bytes.extend(0xFFFF_FFF0u32.to_le_bytes());
    let (_, err) = drain(&mut reader(bytes).unwrap());
    assert!(err
        .unwrap()
        .to_string()
        .contains("larger than the 64 MiB limit"));
    // Captured length past the block.
    let mut ng = base();
    ng.epb(0, 1, b"abcd", 4, &[]);
    let mut bytes = ng.bytes();
    let at = bytes.len() - 36 + 20;
    bytes[at..at + 4].copy_from_slice(&400u32.to_le_bytes());
    let (_, err) = drain(&mut reader(bytes).unwrap());
    let e = err.unwrap().to_string();
    assert!(
        e.contains("captured length 400 runs past the end of the block"),
        "{e}"
    );
    // Option running past the block.
    let mut ng = base();
    let mut bad = ng.opt(1, b"abcd");
    bad[2] = 200;
    ng.epb(0, 1, b"", 0, &bad);
    let (_, err) = drain(&mut reader(ng.bytes()).unwrap());
    let e = err.unwrap().to_string();
    assert!(
        e.contains("option 1 of length 200 runs past the end of its enhanced packet block"),
        "{e}"
    );
    // Unknown SHB byte-order magic.
    let mut bytes = base().bytes();
    bytes[8] = 0x55;
    let e = reader(bytes).unwrap_err().to_string();
    assert!(e.contains("unknown byte-order magic"), "{e}");
    // Version 2.0.
    let mut bytes = base().bytes();
    bytes[12] = 2;
    let e = reader(bytes).unwrap_err().to_string();
    assert_eq!(
        e,
        "pcapng: unsupported section version 2.0 (only 1.0 and 1.2 are supported) at offset 0"
    );
}

#[test]
fn pcapng_truncated_last_block() {
    let mut ng = Ng::new(false);
    ng.shb(&[]).idb(1, 0, &[]);
    for i in 0..5 {
        ng.epb(0, i, &[1; 60], 60, &[]);
    }
    let full = ng.bytes().len();
    ng.epb(0, 9, &[2; 1500], 1500, &[]);
    let mut bytes = ng.bytes();
    bytes.truncate(full + 100);
    let (rows, err) = drain(&mut reader(bytes.clone()).unwrap());
    assert_eq!(rows.len(), 5);
    let err = err.unwrap();
    assert!(err.is_truncation());
    assert_eq!(
        err.to_string(),
        format!(
            "truncated record: frame 6 at offset {full} needs 1532 bytes, the file ends after 100 \
             (the capture appears to have been cut short)"
        )
    );
    bytes.truncate(full + 3);
    let (rows, err) = drain(&mut reader(bytes).unwrap());
    assert_eq!(rows.len(), 5);
    assert!(err
        .unwrap()
        .to_string()
        .starts_with("truncated block header"));
}

#[test]
fn pcapng_first_packet_truncated_is_reported_by_next_frame_not_open() {
    let mut ng = Ng::new(false);
    ng.shb(&[]).idb(1, 0, &[]).epb(0, 1, &[0; 64], 64, &[]);
    let mut bytes = ng.bytes();
    bytes.truncate(bytes.len() - 10);
    let mut r = reader(bytes).unwrap();
    assert_eq!(r.interfaces().len(), 1);
    let (rows, err) = drain(&mut r);
    assert!(rows.is_empty());
    assert!(err.unwrap().is_truncation());
}

/// A 100k-frame file read through: the record buffer stays at its first size,
/// and frames borrow it or the read-ahead chunks, a bounded set of buffers
/// that are recycled (no allocation per packet).
#[test]
fn streaming_keeps_memory_bounded() {
    let mut f = pcap_header(false, 0xa1b2c3d4, 1);
    for i in 0..100_000u32 {
        let len = 60 + (i % 1400) as usize;
        f.extend(pcap_record(false, i, 0, &vec![i as u8; len], len as u32, 0));
    }
    let mut r = reader(f).unwrap();
    let cap0 = r.buffer_capacity();
    let mut n = 0u64;
    let mut bytes = 0usize;
    // Where frames live: a buffer is known by the first frame seen in it.
    let mut buffers: Vec<usize> = Vec::new();
    while let Some(frame) = r.next_frame() {
        let frame = frame.unwrap();
        n += 1;
        bytes += frame.data.len();
        let p = frame.data.as_ptr() as usize;
        if !buffers.iter().any(|&b| p.abs_diff(b) < (1 << 20)) {
            buffers.push(p);
        }
    }
    assert!(buffers.len() <= 8, "frames in {} buffers", buffers.len());
    assert_eq!(n, 100_000);
    assert!(bytes > 70_000_000);
    assert_eq!(r.buffer_capacity(), cap0, "the record buffer did not grow");
    assert!(cap0 <= 128 * 1024);
}

#[test]
fn large_pcapng_block_grows_the_buffer_once() {
    let mut ng = Ng::new(false);
    ng.shb(&[])
        .idb(1, 0, &[])
        .epb(0, 1, &vec![5; 200_000], 200_000, &[])
        .epb(0, 2, b"x", 1, &[]);
    let mut r = reader(ng.bytes()).unwrap();
    let (rows, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!(rows[0].5.len(), 200_000);
    assert!(r.buffer_capacity() >= 200_032 && r.buffer_capacity() < 1 << 20);
}
