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
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().to_string();
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
