//! Writers round-trip through the reader (and, when installed, through tshark).

use std::io::Cursor;

use sonde_capture::{
    linktype, CaptureReader, FileFormat, InterfaceStats, PcapNgWriter, PcapWriter, SectionOptions,
    WriterInterface,
};

fn reader(bytes: Vec<u8>) -> CaptureReader {
    CaptureReader::from_read(Box::new(Cursor::new(bytes))).unwrap()
}

#[test]
fn pcapng_round_trip() {
    let mut w = PcapNgWriter::with_section(
        Vec::new(),
        &SectionOptions {
            hardware: Some("x86_64"),
            os: Some("Linux"),
            comment: Some("lab 1"),
        },
    )
    .unwrap();
    let eth = w
        .add_interface(&WriterInterface {
            link_type: linktype::ETHERNET,
            snaplen: 262_144,
            name: Some("veth0"),
            description: Some("test pair"),
            filter: Some("tcp port 80"),
            os: None,
        })
        .unwrap();
    let raw = w
        .add_interface(&WriterInterface {
            link_type: linktype::RAW,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((eth, raw), (0, 1));
    let t0: i128 = 1_700_000_000_123_456_789;
    w.write_packet(eth, t0, 60, &[0xaa; 42], Some("first"))
        .unwrap();
    w.write_packet(raw, t0 + 1, 20, &[0x45; 20], None).unwrap();
    w.write_packet(eth, t0 + 2, 1, b"", None).unwrap();
    w.write_stats(
        eth,
        &InterfaceStats {
            ts_ns: t0 + 3,
            start_ns: Some(t0),
            end_ns: Some(t0 + 3),
            ifrecv: Some(3),
            ifdrop: Some(0),
        },
    )
    .unwrap();
    assert!(
        w.write_packet(7, t0, 1, b"x", None).is_err(),
        "undeclared interface"
    );
    assert!(
        w.write_packet(eth, -1, 1, b"x", None).is_err(),
        "negative timestamp"
    );
    w.flush().unwrap();
    let bytes = w.into_inner();
    assert_eq!(bytes.len() % 4, 0);

    let mut r = reader(bytes.clone());
    assert_eq!(
        r.format(),
        FileFormat::PcapNg {
            big_endian: false,
            version: (1, 0)
        }
    );
    let s = r.section().clone();
    assert_eq!(s.user_appl.as_deref(), Some("sonde"));
    assert_eq!(s.hardware.as_deref(), Some("x86_64"));
    assert_eq!(s.os.as_deref(), Some("Linux"));
    assert_eq!(s.comments, vec!["lab 1".to_string()]);
    let mut rows = Vec::new();
    while let Some(f) = r.next_frame() {
        let f = f.unwrap();
        rows.push((
            f.ts_ns,
            f.orig_len,
            f.link_type,
            f.interface_id,
            f.data.to_vec(),
            f.comment.map(String::from),
        ));
    }
    assert_eq!(
        rows,
        vec![
            (t0, 60, 1, 0, vec![0xaa; 42], Some("first".to_string())),
            (t0 + 1, 20, 101, 1, vec![0x45; 20], None),
            (t0 + 2, 1, 1, 0, vec![], None),
        ]
    );
    let i = &r.interfaces()[0];
    assert_eq!(i.name.as_deref(), Some("veth0"));
    assert_eq!(i.description.as_deref(), Some("test pair"));
    assert_eq!(i.filter.as_deref(), Some("tcp port 80"));
    assert_eq!((i.snaplen, i.tsresol), (262_144, 9));

    // Copy frames through write_frame: the same bytes come out.
    let mut r = reader(bytes.clone());
    let mut w2 = PcapNgWriter::with_section(
        Vec::new(),
        &SectionOptions {
            hardware: Some("x86_64"),
            os: Some("Linux"),
            comment: Some("lab 1"),
        },
    )
    .unwrap();
    w2.add_interface(&WriterInterface {
        link_type: 1,
        snaplen: 262_144,
        name: Some("veth0"),
        description: Some("test pair"),
        filter: Some("tcp port 80"),
        os: None,
    })
    .unwrap();
    w2.add_interface(&WriterInterface {
        link_type: 101,
        ..Default::default()
    })
    .unwrap();
    while let Some(f) = r.next_frame() {
        w2.write_frame(&f.unwrap()).unwrap();
    }
    let copy = w2.into_inner();
    // Everything but the trailing ISB.
    assert_eq!(copy[..], bytes[..copy.len()]);

    if let Some(out) = tshark(&bytes, "pcapng") {
        assert_eq!(out, "42\t60\t1700000000.123456789\tfirst\n20\t20\t1700000000.123456790\t\n0\t1\t1700000000.123456791\t\n");
    }
}

#[test]
fn pcap_round_trip_micro_and_nano() {
    for nanos in [false, true] {
        let mut w = PcapWriter::new(Vec::new(), linktype::LINUX_SLL, 64, nanos).unwrap();
        let t0: i128 = 1_600_000_000_987_654_321;
        w.write_packet(t0, 100, &[1; 100]).unwrap();
        w.write_packet(t0 + 1_000, 10, &[2; 10]).unwrap();
        assert!(w.write_packet(1 << 70, 1, b"x").is_err());
        w.flush().unwrap();
        let bytes = w.into_inner();
        let mut r = reader(bytes.clone());
        assert_eq!(
            r.format(),
            FileFormat::Pcap {
                nanos,
                modified: false,
                big_endian: false,
                version: (2, 4)
            }
        );
        assert_eq!(r.interfaces()[0].link_type, linktype::LINUX_SLL);
        assert_eq!(r.interfaces()[0].snaplen, 64);
        let f = r.next_frame().unwrap().unwrap();
        let want = if nanos { t0 } else { t0 - 321 };
        assert_eq!(
            (f.ts_ns, f.orig_len, f.data.len()),
            (want, 100, 64),
            "cut to snaplen"
        );
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(f.data, &[2; 10]);
        assert!(r.next_frame().is_none());
        if let Some(out) = tshark(&bytes, if nanos { "nano" } else { "micro" }) {
            let frac = if nanos { "987654321" } else { "987654000" };
            assert!(
                out.starts_with(&format!("64\t100\t1600000000.{frac}\t")),
                "{out}"
            );
        }
    }
}

/// Runs tshark on the bytes when it is installed.
fn tshark(bytes: &[u8], tag: &str) -> Option<String> {
    use std::process::Command;
    Command::new("tshark")
        .arg("--version")
        .output()
        .ok()?
        .status
        .success()
        .then_some(())?;
    let path = std::env::temp_dir().join(format!("sonde-writer-{}-{tag}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.len",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.comment",
        ])
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}
