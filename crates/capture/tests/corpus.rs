//! The reader over the public corpus (copied into tests/data/corpus), checked
//! against ground truth: tshark's per-frame lengths and timestamps (stored in
//! tests/data/expected-frames.tsv by gen_expected.py), the pcapng test
//! generator's block counts, and libpcap's rejections.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sonde_capture::{linktype, CaptureError, CaptureReader, FileFormat};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn corpus(rel: &str) -> PathBuf {
    data_dir().join("corpus").join(rel)
}

/// (cap_len, orig_len, ts_ns) of every frame, and the error that ended the read.
type Frames = Vec<(usize, u32, i128)>;

fn read_all(reader: &mut CaptureReader) -> (Frames, Option<CaptureError>) {
    let mut frames = Vec::new();
    while let Some(f) = reader.next_frame() {
        match f {
            Ok(f) => {
                assert_eq!(
                    f.number,
                    frames.len() as u64 + 1,
                    "frame numbers are 1-based and dense"
                );
                frames.push((f.data.len(), f.orig_len, f.ts_ns));
            }
            Err(e) => return (frames, Some(e)),
        }
    }
    assert!(reader.next_frame().is_none(), "None stays None");
    (frames, None)
}

fn read_path(p: &Path) -> Frames {
    let mut r = CaptureReader::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (frames, err) = read_all(&mut r);
    if let Some(e) = err {
        panic!("{}: {e}", p.display());
    }
    frames
}

fn expected() -> BTreeMap<String, Frames> {
    let text = std::fs::read_to_string(data_dir().join("expected-frames.tsv")).unwrap();
    let mut map: BTreeMap<String, Frames> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let c: Vec<&str> = line.split('\t').collect();
        let entry = map.entry(c[0].to_string()).or_default();
        if c[1] != "0" {
            entry.push((
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
                c[4].parse().unwrap(),
            ));
        }
    }
    map
}

#[test]
fn every_readable_corpus_file_matches_tshark() {
    let expected = expected();
    assert!(
        expected.len() > 130,
        "expected-frames.tsv lists {} files",
        expected.len()
    );
    for (rel, want) in &expected {
        let got = read_path(&data_dir().join(rel));
        assert_eq!(got.len(), want.len(), "{rel}: frame count");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            if rel == "corpus/tcpdump/timestamp_invalid_micro.pcap" && i == 2 {
                // Its microsecond field is 2147483648; Wireshark computes
                // usec * 1000 in 32 bits, which wraps to 0. We do not wrap.
                assert_eq!(g.2, 1_418_145_370_000_000_000 + 2_147_483_648_000);
                assert_eq!(w.2, 1_418_145_370_000_000_000);
                continue;
            }
            if rel == "corpus/tcpdump/timestamp_invalid_nano.pcap" && i == 2 {
                // Nanosecond field 2147483648: Wireshark stores it in a signed
                // 32-bit int and prints "1418145370.-2147483648". We keep it unsigned.
                assert_eq!(g.2, 1_418_145_370_000_000_000 + 2_147_483_648);
                continue;
            }
            assert_eq!(g, w, "{rel}: frame {} (cap_len, len, ts_ns)", i + 1);
        }
    }
}

#[test]
fn every_corpus_pcap_is_covered_by_the_expected_file() {
    let expected = expected();
    for dir in ["tcpdump", "zeek", "arkime"] {
        for e in std::fs::read_dir(corpus(dir)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                assert!(
                    expected.contains_key(&format!("corpus/{dir}/{name}")),
                    "{dir}/{name}"
                );
            }
        }
    }
}

/// Packets (EPB + SPB + PB) per the generator's "Block counts" in testNNN.txt.
fn generator_packet_count(txt: &Path) -> usize {
    let text = std::fs::read_to_string(txt).unwrap();
    text.lines()
        .filter_map(|l| l.trim().split_once(": "))
        .filter(|(k, _)| matches!(*k, "EPB" | "SPB" | "PB"))
        .map(|(_, v)| v.trim().parse::<usize>().unwrap())
        .sum()
}

#[test]
fn pcapng_test_generator_packet_counts() {
    let mut n = 0;
    for e in std::fs::read_dir(corpus("pcapng-test-generator")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".pcapng") else {
            continue;
        };
        let test = &stem[3..];
        let want = generator_packet_count(&corpus(&format!("pcapng-test-generator/{test}.txt")));
        let got = read_path(&corpus(&format!("pcapng-test-generator/{name}")));
        assert_eq!(got.len(), want, "{name}");
        n += 1;
    }
    assert_eq!(n, 48);
}

#[test]
fn pcapng_two_interfaces_with_different_link_types() {
    for order in ["le", "be"] {
        let mut r = CaptureReader::open(&corpus(&format!(
            "pcapng-test-generator/{order}_test006.pcapng"
        )))
        .unwrap();
        assert_eq!(
            r.format(),
            FileFormat::PcapNg {
                big_endian: order == "be",
                version: (1, 0)
            }
        );
        let mut ifs = Vec::new();
        while let Some(f) = r.next_frame() {
            let f = f.unwrap();
            ifs.push((f.interface_id, f.link_type));
        }
        let types: Vec<u32> = r.interfaces().iter().map(|i| i.link_type).collect();
        assert_eq!(types, vec![linktype::ETHERNET, linktype::NULL]);
        for (id, lt) in ifs {
            assert_eq!(types[id as usize], lt);
        }
    }
}

#[test]
fn pcapng_interface_options() {
    for order in ["le", "be"] {
        let mut r = CaptureReader::open(&corpus(&format!(
            "pcapng-test-generator/{order}_test008.pcapng"
        )))
        .unwrap();
        // Read ahead at open: the first IDB comes before the first packet, the second after.
        assert_eq!(r.interfaces().len(), 1);
        while let Some(f) = r.next_frame() {
            f.unwrap();
        }
        let i = r.interfaces();
        assert_eq!(i.len(), 2);
        assert_eq!(i[0].name.as_deref(), Some("eth-_0 foo"));
        assert_eq!(
            i[0].description.as_deref(),
            Some("silly ethernet interface")
        );
        assert_eq!(
            i[0].filter.as_deref(),
            Some("tcp port 23 and host 192.0.2.5")
        );
        assert_eq!(
            i[0].os.as_deref(),
            Some("Microsoft Windows for Workgroups 3.11b\npatch 42")
        );
        assert_eq!(
            i[0].comments,
            vec!["test008, and more\nfoo\r\nbar".to_string()]
        );
        assert_eq!((i[0].snaplen, i[0].tsresol), (96, 9));
        assert_eq!(i[1].name.as_deref(), Some("en1"));
        assert_eq!((i[1].snaplen, i[1].tsresol), (128, 9));
    }
}

#[test]
fn pcapng_section_options() {
    for order in ["le", "be"] {
        let r = CaptureReader::open(&corpus(&format!(
            "pcapng-test-generator/{order}_test007.pcapng"
        )))
        .unwrap();
        let s = r.section();
        assert_eq!(s.hardware.as_deref(), Some("Apple MBP"));
        assert_eq!(s.os.as_deref(), Some("OS-X 10.10.5"));
        assert_eq!(s.user_appl.as_deref(), Some("pcap_writer.lua"));
        assert_eq!(r.section_comments(), ["test007".to_string()]);
    }
}

#[test]
fn pcapng_packet_comments_and_timestamps() {
    for order in ["le", "be"] {
        let mut r = CaptureReader::open(&corpus(&format!(
            "pcapng-test-generator/{order}_test009.pcapng"
        )))
        .unwrap();
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(f.comment, Some("test009-1"));
        assert_eq!(f.ts_ns, 1_340_954_905_298_858_000);
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(f.comment, Some("test009-2"));
        assert_eq!(f.ts_ns, 1_340_954_905_299_858_000);
        assert!(r.next_frame().is_none());
    }
}

#[test]
fn pcapng_sections_of_different_byte_orders() {
    for order in ["le", "be"] {
        let mut r = CaptureReader::open(&corpus(&format!(
            "pcapng-test-generator/{order}_test202.pcapng"
        )))
        .unwrap();
        let mut seen = Vec::new();
        while let Some(f) = r.next_frame() {
            let f = f.unwrap();
            seen.push(f.interface_id);
        }
        assert_eq!(seen.len(), 8);
        // Interfaces are numbered over the whole file: 2 + 1 + 2 IDBs.
        assert_eq!(r.interfaces().len(), 5);
        let secs: Vec<u32> = r.interfaces().iter().map(|i| i.section).collect();
        assert_eq!(secs, vec![0, 0, 1, 2, 2]);
        assert_eq!(r.section().index, 2);
        assert_eq!(seen, vec![0, 0, 1, 2, 2, 2, 2, 4]);
    }
}

#[test]
fn libpcap_invalid_files_are_rejected_with_clear_errors() {
    let cases = [
        (
            "linktype-reserved-field-not-zero.pcap",
            "link-type reserved field not zero (0x00300000)",
        ),
        (
            "pcap-invalid-version-1.pcap",
            "unsupported file version 1.4",
        ),
        (
            "pcap-invalid-version-2.pcap",
            "unsupported file version 2.5",
        ),
        (
            "pcapng-invalid-vers-1.pcapng",
            "unsupported section version 0.1",
        ),
        (
            "pcapng-invalid-vers-2.pcapng",
            "unsupported section version 1.1",
        ),
        // libpcap reports the same kind of mismatch (on the next block).
        (
            "shb-option-too-long.pcapng",
            "section header block total length in header 52 and trailer 808464432 don't match",
        ),
    ];
    for (file, msg) in cases {
        let e = CaptureReader::open(&corpus(&format!("libpcap/{file}"))).unwrap_err();
        let s = e.to_string();
        assert!(s.contains(msg), "{file}: {s}");
        assert!(s.contains("offset"), "{file}: {s}");
        assert!(!e.is_truncation());
    }
}

#[test]
fn libpcap_valid_odd_files_read() {
    let f = read_path(&corpus("libpcap/ipv6_ext_headers.pcap"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, 872);
    let f = read_path(&corpus("libpcap/rarp_req_reply.pcapng"));
    assert_eq!(f.len(), 2);
}

#[test]
fn pcap_parser_assets() {
    let mut r = CaptureReader::open(&corpus("pcap-parser/modified-format.pcap")).unwrap();
    assert!(matches!(
        r.format(),
        FileFormat::Pcap {
            modified: true,
            nanos: false,
            big_endian: false,
            ..
        }
    ));
    let (f, err) = read_all(&mut r);
    assert!(err.is_none());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, 98);

    // A block far larger than a small buffer: the record buffer grows.
    let f = read_path(&corpus("pcap-parser/err-buffertoosmall.pcapng"));
    assert_eq!(f.len(), 27);

    // Starts with an EPB, no section header: not a capture file.
    let e = CaptureReader::open(&corpus("pcap-parser/err-eof.bin")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a capture file: unknown magic number 0x06000000 at offset 0 (expected pcap, pcapng, or a gzip-compressed one)"
    );
}

#[test]
fn gzip_compressed_capture_reads_the_same() {
    for rel in [
        "tcpdump/print-flags.pcap",
        "zeek/pcapng-multi-interface.pcapng",
    ] {
        let raw = std::fs::read(corpus(rel)).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let gz = gz.finish().unwrap();
        let dir = std::env::temp_dir().join(format!("sonde-capture-gz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("copy.gz");
        std::fs::write(&path, &gz).unwrap();
        let mut r = CaptureReader::open(&path).unwrap();
        assert!(r.is_compressed());
        let (got, err) = read_all(&mut r);
        assert!(err.is_none());
        assert_eq!(got, read_path(&corpus(rel)), "{rel}");
        // And from a stream, as for `-r -`.
        let mut r = CaptureReader::from_read(Box::new(std::io::Cursor::new(gz))).unwrap();
        assert_eq!(read_all(&mut r).0, got);
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// Live differential check against tshark, when it is installed.
#[test]
fn live_tshark_comparison() {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success());
    if !matches!(ok, Ok(true)) {
        eprintln!("tshark not found; skipping the live comparison");
        return;
    }
    for rel in [
        "tcpdump/tcp-handshake-nano.pcap",
        "tcpdump/icmp-length-zero.pcapng",
        "zeek/pcapng-multi-interface.pcapng",
        "arkime/http-simple-get.pcap",
        "pcap-parser/modified-format.pcap",
        "pcapng-test-generator/be_test009.pcapng",
    ] {
        let out = Command::new("tshark")
            .arg("-r")
            .arg(corpus(rel))
            .args([
                "-T",
                "fields",
                "-e",
                "frame.cap_len",
                "-e",
                "frame.len",
                "-e",
                "frame.time_epoch",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let want: Frames = text
            .lines()
            .map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                let (s, frac) = c[2].split_once('.').unwrap();
                let ns = s.parse::<i128>().unwrap() * 1_000_000_000
                    + format!("{frac:0<9}").parse::<i128>().unwrap();
                (c[0].parse().unwrap(), c[1].parse().unwrap(), ns)
            })
            .collect();
        assert_eq!(read_path(&corpus(rel)), want, "{rel}");
    }
}
