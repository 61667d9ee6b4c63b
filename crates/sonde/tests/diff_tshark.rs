//! Differential test against tshark: the same fields, the same values, on
//! every corpus capture. Differences that remain are recorded, with their
//! cause, in tests/diff/known-differences.tsv; the test fails on any other
//! difference and on any known one that grows. Set SONDE_DIFF_BLESS=1 to
//! rewrite the file after reviewing the report (reasons must then be filled in).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have_tshark() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn fields_agree_with_tshark() {
    if !have_tshark() {
        eprintln!("SKIPPED: tshark is not installed (CI installs it)");
        return;
    }
    let root = root();
    let fields: Vec<String> = std::fs::read_to_string(root.join("tests/diff/fields.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    let mut files = Vec::new();
    for dir in [
        "tcpdump",
        "zeek",
        "arkime",
        "pcap-parser",
        "pcapng-test-generator",
        "libpcap",
    ] {
        for e in std::fs::read_dir(root.join("tests/corpus").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            ) {
                files.push(p);
            }
        }
    }
    files.push(root.join("samples/lab-http.pcapng"));
    files.sort();
    let mut args: Vec<String> = vec!["-T".into(), "fields".into()];
    for f in &fields {
        args.push("-e".into());
        args.push(f.clone());
    }
    let mut compared = 0usize;
    let mut frames = 0usize;
    let mut diffs: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    let mut skipped = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .to_string();
        let t = Command::new("tshark")
            .arg("-r")
            .arg(f)
            .args(&args)
            .arg("-E")
            .arg("occurrence=a")
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        let s = Command::new(env!("CARGO_BIN_EXE_sonde"))
            .arg("read")
            .arg(f)
            .args(&args)
            .output()
            .unwrap();
        if !t.status.success() {
            continue; // a file tshark rejects too (the libpcap invalid ones)
        }
        let (t, s) = (
            String::from_utf8_lossy(&t.stdout).to_string(),
            String::from_utf8_lossy(&s.stdout).to_string(),
        );
        if t.lines().count() != s.lines().count() {
            skipped.push(format!(
                "{rel}: tshark shows {} frames, sonde {}",
                t.lines().count(),
                s.lines().count()
            ));
            continue;
        }
        for (i, (a, b)) in t.lines().zip(s.lines()).enumerate() {
            frames += 1;
            let (a, b): (Vec<&str>, Vec<&str>) = (a.split('\t').collect(), b.split('\t').collect());
            for (j, name) in fields.iter().enumerate() {
                let (x, y) = (
                    a.get(j).copied().unwrap_or(""),
                    b.get(j).copied().unwrap_or(""),
                );
                if x.is_empty() && y.is_empty() {
                    continue;
                }
                compared += 1;
                if x != y {
                    let e = diffs
                        .entry((rel.clone(), name.clone()))
                        .or_insert((0, String::new()));
                    if e.0 == 0 {
                        e.1 = format!("frame {}: tshark {x:?} sonde {y:?}", i + 1);
                    }
                    e.0 += 1;
                }
            }
        }
    }
    let total: usize = diffs.values().map(|v| v.0).sum();
    eprintln!("diff_tshark: {} fields x {frames} frames: {compared} values compared, {total} differ ({:.2}% agree)", fields.len(), 100.0 * (compared - total) as f64 / compared.max(1) as f64);
    for s in &skipped {
        eprintln!("  not compared: {s}");
    }
    let known_path = root.join("tests/diff/known-differences.tsv");
    let known: BTreeMap<(String, String), (usize, String)> = std::fs::read_to_string(&known_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let c: Vec<&str> = l.splitn(4, '\t').collect();
            Some((
                (c.first()?.to_string(), c.get(1)?.to_string()),
                (c.get(2)?.parse().ok()?, c.get(3).unwrap_or(&"").to_string()),
            ))
        })
        .collect();
    if std::env::var_os("SONDE_DIFF_BLESS").is_some() {
        let mut out = String::from("# file\tfield\tdifferences\tcause (first example)\n");
        for ((f, n), (c, ex)) in &diffs {
            let reason = known
                .get(&(f.clone(), n.clone()))
                .map(|k| k.1.clone())
                .unwrap_or_else(|| format!("TODO: {ex}"));
            out.push_str(&format!("{f}\t{n}\t{c}\t{reason}\n"));
        }
        std::fs::write(&known_path, out).unwrap();
        return;
    }
    let mut new = Vec::new();
    for ((f, n), (c, ex)) in &diffs {
        match known.get(&(f.clone(), n.clone())) {
            Some((k, _)) if c <= k => {}
            Some((k, _)) => new.push(format!("{f} {n}: {c} differences, {k} known; {ex}")),
            None => new.push(format!("{f} {n}: {c} differences; {ex}")),
        }
    }
    assert!(
        new.is_empty(),
        "new differences from tshark:\n{}",
        new.join("\n")
    );
    assert!(compared > 20000, "too little compared: {compared}");
}

/// The Info column of TCP frames (flags, relative numbers, options, analysis
/// prefixes such as `[TCP Retransmission]` and `[TCP Dup ACK 39#1]`) equals
/// tshark's on every corpus frame both show as TCP.
#[test]
fn tcp_info_column_agrees_with_tshark() {
    if !have_tshark() {
        eprintln!("SKIPPED: tshark is not installed (CI installs it)");
        return;
    }
    let root = root();
    let mut files = Vec::new();
    for dir in [
        "tcpdump",
        "zeek",
        "arkime",
        "pcap-parser",
        "pcapng-test-generator",
    ] {
        for e in std::fs::read_dir(root.join("tests/corpus").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            ) {
                files.push(p);
            }
        }
    }
    files.push(root.join("samples/lab-http.pcapng"));
    files.sort();
    // Plus a synthetic capture with many connections, retransmissions and
    // out-of-order segments, made by the shared generator when it is there.
    let gen = root.join("../shared/bench/gen_pcap.py");
    let tmp = std::env::temp_dir().join(format!("sonde-diff-{}.pcap", std::process::id()));
    if gen.exists() {
        let ok = Command::new("python3")
            .arg(&gen)
            .arg(&tmp)
            .args(["--packets", "20000", "--seed", "7"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            files.push(tmp.clone());
        }
    }
    // Known: AccECN (RFC 9768) option and ACE field naming, not implemented yet.
    let known = ["tests/corpus/tcpdump/accecn_handshake.pcap"];
    let args = [
        "-T",
        "fields",
        "-e",
        "_ws.col.Protocol",
        "-e",
        "_ws.col.Info",
    ];
    let (mut compared, mut bad) = (0, Vec::new());
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .to_string();
        let t = Command::new("tshark")
            .arg("-r")
            .arg(f)
            .args(args)
            .output()
            .unwrap();
        let s = Command::new(env!("CARGO_BIN_EXE_sonde"))
            .arg("read")
            .arg(f)
            .args(args)
            .output()
            .unwrap();
        let (t, s) = (
            String::from_utf8_lossy(&t.stdout).to_string(),
            String::from_utf8_lossy(&s.stdout).to_string(),
        );
        if t.lines().count() != s.lines().count() {
            continue;
        }
        for (i, (a, b)) in t.lines().zip(s.lines()).enumerate() {
            if a.starts_with("TCP\t") && b.starts_with("TCP\t") && !a.contains("reassembled PDU") {
                compared += 1;
                if a != b && !known.contains(&rel.as_str()) {
                    bad.push(format!(
                        "{rel} frame {}:\n  tshark {a}\n  sonde  {b}",
                        i + 1
                    ));
                }
            }
        }
    }
    std::fs::remove_file(&tmp).ok();
    eprintln!("tcp info: {compared} frames compared, {} differ", bad.len());
    assert!(compared > 250, "too few TCP frames compared: {compared}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Summary lines with HTTP and TCP reassembly, in one pass and in two (-2),
/// equal tshark's on the captures that hold HTTP.
#[test]
fn http_summaries_agree_with_tshark_in_one_and_two_passes() {
    if !have_tshark() {
        eprintln!("SKIPPED: tshark is not installed (CI installs it)");
        return;
    }
    let root = root();
    for f in [
        "samples/lab-http.pcapng",
        "tests/corpus/arkime/http-simple-get.pcap",
    ] {
        for two in [false, true] {
            let mut t = Command::new("tshark");
            t.arg("-r").arg(root.join(f));
            let mut s = Command::new(env!("CARGO_BIN_EXE_sonde"));
            s.arg("read").arg(root.join(f));
            if two {
                t.arg("-2");
                s.arg("-2");
            }
            let (t, s) = (t.output().unwrap(), s.output().unwrap());
            assert_eq!(
                String::from_utf8_lossy(&s.stdout),
                String::from_utf8_lossy(&t.stdout),
                "{f} two passes: {two}"
            );
        }
    }
}
