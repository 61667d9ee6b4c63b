//! `sonde read` / `explain` / `fields` end to end: golden outputs on the lab
//! sample, the seed lab's questions, rejection of invalid files, truncated
//! files, and robustness on every corpus capture (malformed ones included).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sonde(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run sonde")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

const LAB: &str = "samples/lab-http.pcapng";

fn golden(name: &str, args: &[&str]) {
    let o = sonde(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let want =
        std::fs::read_to_string(root().join("tests/golden").join(name)).expect("golden file");
    let got = stdout(&o);
    if got != want {
        let first = got.lines().zip(want.lines()).position(|(a, b)| a != b);
        panic!("{name} differs from the golden output (first differing line {first:?}); regenerate with the same arguments if the change is intended:\n{got}");
    }
}

#[test]
fn golden_summary() {
    golden("lab-http.summary.txt", &["read", LAB]);
}

#[test]
fn golden_detail_tree_and_hex() {
    golden("lab-http.V.x.c4.txt", &["read", LAB, "-V", "-x", "-c", "4"]);
}

#[test]
fn golden_explain() {
    golden("lab-http.explain4.txt", &["explain", LAB, "4"]);
}

#[test]
fn golden_fields() {
    golden(
        "lab-http.fields.txt",
        &[
            "read",
            LAB,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "eth.src",
            "-e",
            "ip.src",
            "-e",
            "ip.proto",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "tcp.seq",
            "-e",
            "tcp.window_size",
            "-E",
            "header=y",
        ],
    );
}

#[test]
fn golden_json_and_jsonl_parse() {
    golden("lab-http.c2.json", &["read", LAB, "-T", "json", "-c", "2"]);
    golden("lab-http.jsonl", &["read", LAB, "-T", "jsonl"]);
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&sonde(&["read", LAB, "-T", "json", "-c", "1"]))).unwrap();
    let layers = &v[0]["_source"]["layers"];
    assert_eq!(layers["eth"]["eth.type"], "0x0800");
    assert_eq!(layers["tcp"]["tcp.srcport"], "62908");
    assert_eq!(layers["tcp"]["tcp.flags_tree"]["tcp.flags.syn"], "1");
    for line in stdout(&sonde(&["read", LAB, "-T", "jsonl"])).lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each jsonl line is JSON");
    }
}

/// Every question the seed lab asks about its frame 10 (our frame 4) has its
/// answer in `sonde explain`.
#[test]
fn explain_answers_the_lab_questions() {
    let out = stdout(&sonde(&["explain", LAB, "4"]));
    for needle in [
        "554 bytes on the wire",
        "Type (eth.type) = 2048 = 0x0800 → IPv4", // EtherType and its meaning
        "b8 26 6c af 27 76",                      // destination MAC in hex
        "d8 9e f3 12 d6 a7",                      // source MAC in hex
        "vendor Dell Inc. (shown as Dell_12:d6:a7)", // vendor
        "Protocol (ip.proto) = 6 = 0x06 → TCP",   // IP protocol field
        "ac 11 02 8c",                            // source IP in hex
        "6d ea a2 64",                            // destination IP in hex
        "172.17.2.140",
        "109.234.162.100",
        "Source Port (tcp.srcport) = 62908 = 0xf5bc", // ports in decimal and hex
        "Destination Port (tcp.dstport) = 80 = 0x0050",
        "dynamic port (49152-65535)",
        "service http",
        "its PDU is called a segment",   // the PDU carrying HTTP
        "Sequence Number (tcp.seq) = 1", // relative sequence number
        "Calculated window size (tcp.window_size) = 262656", // window scaling
        "Window size scaling factor (tcp.window_size_scalefactor) = 256",
    ] {
        assert!(out.contains(needle), "explain lacks {needle:?}:\n{out}");
    }
}

#[test]
fn summary_matches_the_lab_handshake() {
    let out = stdout(&sonde(&["read", LAB, "-c", "3"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "    1   0.000000 172.17.2.140 → 109.234.162.100 TCP 66 62908 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 WS=256 SACK_PERM");
    assert!(lines[2].ends_with("62908 → 80 [ACK] Seq=1 Ack=1 Win=262656 Len=0"));
}

#[test]
fn time_formats() {
    let first = |t: &str| {
        stdout(&sonde(&["read", LAB, "-t", t, "-c", "2"]))
            .lines()
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert!(
        first("ad").contains("2021-10-05 14:12:31.955208"),
        "{}",
        first("ad")
    );
    assert!(first("e").contains("1633443151.955208"), "{}", first("e"));
    assert!(first("d").contains("0.051318"), "{}", first("d"));
    assert!(first("u").contains("14:12:31.955208"), "{}", first("u"));
    assert!(!sonde(&["read", LAB, "-t", "bogus"]).status.success());
}

#[test]
fn fields_options() {
    let out = stdout(&sonde(&[
        "read",
        LAB,
        "-T",
        "fields",
        "-e",
        "tcp.port",
        "-e",
        "ip.addr",
        "-E",
        "separator=;",
        "-E",
        "quote=d",
        "-E",
        "aggregator=/s",
        "-c",
        "1",
    ]));
    assert_eq!(out, "\"62908 80\";\"172.17.2.140 109.234.162.100\"\n");
    let out = stdout(&sonde(&[
        "read",
        LAB,
        "-T",
        "fields",
        "-e",
        "tcp.port",
        "-E",
        "occurrence=l",
        "-c",
        "1",
    ]));
    assert_eq!(out, "80\n");
    let o = sonde(&["read", LAB, "-T", "fields", "-e", "tcp.nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown field: tcp.nope"));
}

#[test]
fn fields_registry_lists_wireshark_names() {
    let out = stdout(&sonde(&["fields", "tcp.window"]));
    assert!(out.contains("F\tCalculated window size\ttcp.window_size\tFT_UINT32"));
    assert!(out.contains("tcp.window_size_scalefactor\tFT_INT32"));
}

#[test]
fn invalid_files_are_rejected_with_one_clear_line() {
    for (f, needle) in [
        (
            "tests/corpus/libpcap/pcap-invalid-version-1.pcap",
            "version",
        ),
        (
            "tests/corpus/libpcap/pcap-invalid-version-2.pcap",
            "version",
        ),
        (
            "tests/corpus/libpcap/pcapng-invalid-vers-1.pcapng",
            "version",
        ),
        (
            "tests/corpus/libpcap/pcapng-invalid-vers-2.pcapng",
            "version",
        ),
        (
            "tests/corpus/libpcap/linktype-reserved-field-not-zero.pcap",
            "reserved",
        ),
        ("tests/corpus/libpcap/shb-option-too-long.pcapng", "option"),
        ("Cargo.toml", "not a capture file"),
    ] {
        let o = sonde(&["read", f]);
        assert!(!o.status.success(), "{f} accepted");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{f}: {err}");
        assert!(err.to_lowercase().contains(needle), "{f}: {err}");
        assert!(o.stdout.is_empty());
    }
    let o = sonde(&["read", "no/such/file.pcap"]);
    assert!(!o.status.success());
}

#[test]
fn truncated_file_shows_every_complete_frame_then_says_so() {
    let data = std::fs::read(root().join(LAB)).unwrap();
    let dir = std::env::temp_dir().join(format!("sonde-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcapng");
    std::fs::write(&cut, &data[..data.len() - 30]).unwrap();
    let o = sonde(&["read", cut.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        stdout(&o).lines().count(),
        9,
        "the 9 complete frames are shown"
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cut short"));
}

#[test]
fn gzip_and_stdin() {
    let data = std::fs::read(root().join(LAB)).unwrap();
    let dir = std::env::temp_dir().join(format!("sonde-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("lab.pcapng.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &data).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let plain = stdout(&sonde(&["read", LAB]));
    assert_eq!(stdout(&sonde(&["read", gz.to_str().unwrap()])), plain);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["read", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &data).unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(stdout(&o), plain);
}

fn corpus_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in [
        "tcpdump",
        "zeek",
        "arkime",
        "libpcap",
        "pcap-parser",
        "pcapng-test-generator",
    ] {
        for e in std::fs::read_dir(root().join("tests/corpus").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "bin")
            ) {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() > 90, "corpus incomplete: {}", v.len());
    v
}

/// Every corpus file, malformed ones included, goes through every printer with
/// no panic: exit 0 (read), 1 (file problem after the frames) or 2 (rejected).
#[test]
fn every_corpus_file_survives_every_printer() {
    for f in corpus_files() {
        let f = f.to_str().unwrap();
        for args in [
            vec!["read", f, "-V", "-x"],
            vec!["read", f, "-T", "json"],
            vec!["read", f, "-T", "fields", "-e", "ip.src", "-e", "tcp.seq"],
            vec!["explain", f, "1"],
        ] {
            let o = sonde(&args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
            assert!(
                matches!(o.status.code(), Some(0..=2)),
                "{args:?}: status {:?} {err}",
                o.status
            );
        }
    }
}

/// Files the corpus marks MALFORMED are shown as far as they decode and flagged.
#[test]
fn malformed_files_are_flagged_not_dropped() {
    for (f, needle) in [
        (
            "tests/corpus/zeek/ip4-trunc.pcap",
            "Packet size limited during capture",
        ),
        (
            "tests/corpus/zeek/ipv4-truncated-broken-header.pcap",
            "Internet Protocol Version 4",
        ),
        (
            "tests/corpus/zeek/ip-bogus-header-len.pcap",
            "Internet Protocol Version 4, Src: 118.181.144.194",
        ),
        (
            "tests/corpus/tcpdump/ipv6-bad-version.pcap",
            "Bogus IP version",
        ),
        (
            "tests/corpus/tcpdump/tcp_header_heapoverflow.pcap",
            "Transmission Control Protocol",
        ),
    ] {
        let o = sonde(&["read", f, "-V"]);
        let out = stdout(&o);
        assert!(out.contains(needle), "{f}: no {needle:?} in\n{out}");
        assert!(
            out.contains("Ethernet II")
                || out.contains("Raw packet data")
                || out.contains("Linux cooked"),
            "{f}: link layer lost"
        );
    }
}

/// Two passes (-2) show what later frames reveal, as tshark -2 does.
#[test]
fn two_passes_show_response_and_reassembly_frames() {
    let one = stdout(&sonde(&["read", LAB, "-V"]));
    let two = stdout(&sonde(&["read", LAB, "-2", "-V"]));
    assert!(!one.contains("[Response in frame: 7]"));
    assert!(two.contains("[Response in frame: 7]"), "{two}");
    assert!(two.contains("[Reassembled PDU in frame: 7]"));
    assert!(two.contains("[Conversation completeness: Complete, WITH_DATA (31)]"));
    let o = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["read", "-2", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!o.status.success(), "-2 on standard input must be refused");
}

/// HTTP request and response lines, pairing and reassembly, on the lab sample.
#[test]
fn http_over_reassembled_segments() {
    let out = stdout(&sonde(&[
        "read",
        LAB,
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "http.request.method",
        "-e",
        "http.host",
        "-e",
        "http.response.code",
        "-e",
        "http.request_in",
        "-e",
        "http.content_length",
        "-e",
        "tcp.segment",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[3], "4\tGET\tbersia-baptiste.fr\t\t\t\t");
    assert_eq!(lines[6], "7\t\t\t200\t4\t175\t6,7");
    let s = stdout(&sonde(&["read", LAB]));
    assert!(s.contains("HTTP 554 GET / HTTP/1.1 \n"));
    assert!(s.contains("TCP 236 HTTP/1.1 200 OK  [TCP segment of a reassembled PDU]\n"));
    assert!(s.contains("HTTP 236 HTTP/1.1 200 OK  (text/html)\n"));
}

/// A response whose two segments arrive in the wrong order is still
/// reassembled, once the gap is filled.
#[test]
fn reassembly_survives_out_of_order_segments() {
    let mut r = sonde_capture::CaptureReader::open(&root().join(LAB)).unwrap();
    let mut frames = Vec::new();
    while let Some(Ok(f)) = r.next_frame() {
        frames.push((f.ts_ns, f.orig_len, f.data.to_vec()));
    }
    frames.swap(5, 6); // the response's second segment (frame 7) first
    let dir = std::env::temp_dir().join(format!("sonde-ooo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ooo.pcap");
    let mut w =
        sonde_capture::PcapWriter::new(std::fs::File::create(&path).unwrap(), 1, 65535, false)
            .unwrap();
    for (ts, len, data) in &frames {
        w.write_packet(*ts, *len, data).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let out = stdout(&sonde(&[
        "read",
        path.to_str().unwrap(),
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "http.response.code",
        "-e",
        "tcp.segment",
        "-e",
        "_ws.col.Info",
    ]));
    std::fs::remove_dir_all(&dir).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[5].ends_with("[TCP segment of a reassembled PDU]"),
        "{out}"
    );
    assert!(lines[6].starts_with("7\t200\t7,6\t"), "{out}");
}

/// --verify-checksums: Zeek's good and bad checksum captures are told apart
/// (TCP, UDP over IPv6, and ICMP, which is always verified).
#[test]
fn checksums_are_verified_on_request() {
    let v = |f: &str| stdout(&sonde(&["read", f, "-V", "--verify-checksums"]));
    assert!(v("tests/corpus/zeek/ip4-tcp-good-chksum.pcap").contains("Checksum: 0x1c60 [correct]"));
    assert!(
        v("tests/corpus/zeek/ip4-tcp-bad-chksum.pcap").contains("Bad checksum [should be 0x1c60]")
    );
    assert!(
        v("tests/corpus/zeek/ip6-udp-bad-chksum.pcap").contains("Bad checksum [should be 0xbc54]")
    );
    assert!(stdout(&sonde(&[
        "read",
        "tests/corpus/zeek/ip4-icmp-bad-chksum.pcap",
        "-V"
    ]))
    .contains("Bad checksum [should be 0xf7ff]"));
    assert!(stdout(&sonde(&[
        "read",
        "tests/corpus/zeek/ip4-tcp-bad-chksum.pcap",
        "-V"
    ]))
    .contains("[unverified]"));
}

/// A pcap file of `n` copies of one TCP SYN, a millisecond apart.
fn many_frames(n: u32) -> Vec<u8> {
    let frame: [u8; 54] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08,
        0x00, // eth
        0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2, // ipv4
        0xc0, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0,
        0, // tcp
    ];
    // Header: magic, version 2.4 (two u16), zone, sigfigs, snaplen, Ethernet.
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 4, 0]);
    for v in [0u32, 0, 65535, 1] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for i in 0..n {
        for v in [1_700_000_000 + i / 1000, (i % 1000) * 1000, 54, 54] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(&frame);
    }
    f
}

#[test]
fn summary_lines_keep_their_order_stop_at_count_and_at_a_closed_pipe() {
    let dir = std::env::temp_dir().join(format!("sonde-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("many.pcap");
    std::fs::write(&file, many_frames(50_000)).unwrap();
    let path = file.to_str().unwrap();

    // Every line, in order (they are printed by a second thread).
    let all = stdout(&sonde(&["read", path]));
    let numbers: Vec<u64> = all
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(numbers, (1..=50_000).collect::<Vec<u64>>());

    // -c stops after N frames, filtered or not.
    assert_eq!(
        stdout(&sonde(&["read", "-c", "7", path])).lines().count(),
        7
    );
    let o = sonde(&["read", "-c", "3", "-Y", "tcp.flags.syn == 1", path]);
    assert_eq!(stdout(&o).lines().count(), 3);

    // A reader that goes away after one line ends sonde quietly, at once.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["read", path])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    assert!(first.trim_start().starts_with("1 "), "{first}");
    drop(out);
    let o = child.wait_with_output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(o.status.success(), "{:?}", o.status);
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

#[test]
fn standard_input_lines_come_out_as_frames_come_in() {
    // `tcpdump -w - | sonde read -`: the first frame's line must appear while
    // the writer is still there, not when it closes.
    let data = many_frames(2);
    let one = &data[..24 + 16 + 54];
    let mut child = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["read", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, one).unwrap();
    std::io::Write::flush(&mut stdin).unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line);
        let _ = tx.send(line);
    });
    let got = rx.recv_timeout(std::time::Duration::from_secs(20));
    drop(stdin);
    let _ = child.wait();
    let line = got.expect("no line while standard input stayed open");
    assert!(line.trim_start().starts_with("1 "), "{line}");
}
