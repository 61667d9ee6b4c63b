//! `sonde stats conv` and `sonde follow`: the connection counts a student
//! quotes, and differential tests against tshark over the corpus: the full text
//! of `-z conv,tcp|udp|ip|ipv6|eth` and of `-z follow,tcp|udp,ascii|hex|raw,N`
//! for every stream. Remaining differences are recorded with their cause in
//! tests/diff/conv-follow-known-differences.tsv; the tests fail on any other.
//! Set SONDE_DIFF_BLESS=1 to rewrite that file (then fill in the causes).

mod common;

use common::{corpus_files, have_tshark, root};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn sonde(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "sonde {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tshark(args: &[&str], file: &Path) -> Option<String> {
    let o = Command::new("tshark")
        .args(args)
        .arg("-r")
        .arg(file)
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn seed_lab_second_capture_has_two_established_connections() {
    let out = sonde(&[
        "stats",
        "conv",
        "tcp",
        "tests/data/lab-two-connections.pcapng",
    ]);
    assert!(
        out.ends_with("2 TCP connections established in this capture (2 streams in all)\n"),
        "{out}"
    );
    for port in ["64302", "59346"] {
        let row = out
            .lines()
            .find(|l| l.contains(&format!("172.17.2.20:{port}  IANA")))
            .unwrap_or_else(|| panic!("no connection row for port {port}:\n{out}"));
        assert!(row.contains("109.234.162.100:80"), "{row}");
        assert!(row.contains("http"), "{row}");
        assert!(row.contains("yes"), "{row}");
        assert!(row.contains("established, close not seen"), "{row}");
    }
    let json: serde_json::Value = serde_json::from_str(&sonde(&[
        "stats",
        "conv",
        "tcp",
        "tests/data/lab-two-connections.pcapng",
        "-T",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["established"], 2);
    assert_eq!(json["streams"], 2);
    assert_eq!(json["connections"][0]["client_port"], 64302);
    assert_eq!(json["connections"][0]["service"], "http");
}

#[test]
fn lab_capture_script_is_deterministic() {
    let dir = std::env::temp_dir().join(format!("sonde-lab2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("lab2.pcapng");
    let Ok(st) = Command::new("python3")
        .arg(root().join("tests/data/make_lab_two_connections.py"))
        .arg(&out)
        .status()
    else {
        eprintln!("SKIPPED: python3 is not installed");
        return;
    };
    assert!(st.success());
    let made = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        made == std::fs::read(root().join("tests/data/lab-two-connections.pcapng")).unwrap(),
        "tests/data/lab-two-connections.pcapng differs from what its script writes"
    );
}

#[test]
fn lab_http_connection_is_closed_by_the_server() {
    let out = sonde(&["stats", "conv", "tcp", "samples/lab-http.pcapng"]);
    let row = out
        .lines()
        .find(|l| l.contains("172.17.2.140:62908") && l.contains("closed by FIN"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("closed by FIN from the server"), "{row}");
    assert!(out.ends_with("1 TCP connection established in this capture (1 stream in all)\n"));
    let f = sonde(&["follow", "tcp", "0", "samples/lab-http.pcapng"]);
    assert!(f.contains(
        "Node 0: 172.17.2.140:62908\nNode 1: 109.234.162.100:80\n500\nGET / HTTP/1.1\r\n"
    ));
}

#[test]
fn follow_of_a_missing_stream_prints_empty_nodes() {
    let f = sonde(&[
        "follow",
        "udp",
        "7",
        "samples/lab-http.pcapng",
        "--format",
        "hex",
    ]);
    assert_eq!(
        f,
        "\n===================================================================\n\
         Follow: udp,hex\nFilter: udp.stream eq 7\nNode 0: :0\nNode 1: :0\n\
         ===================================================================\n"
    );
}

const CONV_KINDS: [(&str, &str); 5] = [
    ("tcp", "TCP"),
    ("udp", "UDP"),
    ("ip", "IPv4"),
    ("ipv6", "IPv6"),
    ("eth", "Ethernet"),
];

/// A corpus file tshark and sonde both read with the same number of frames,
/// with tshark's conversation tables (one tshark run gives them all).
struct Corpus {
    rel: String,
    path: PathBuf,
    /// tshark's `-z conv,KIND` text, by KIND.
    conv: BTreeMap<&'static str, String>,
}

/// The comparable corpus files, computed once for every test of this binary;
/// and the files left out, with the reason.
fn corpus() -> &'static (Vec<Corpus>, Vec<String>) {
    static C: std::sync::OnceLock<(Vec<Corpus>, Vec<String>)> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let root = root();
        let mut files = corpus_files();
        files.push(root.join("tests/data/lab-two-connections.pcapng"));
        files.sort();
        let mut args: Vec<String> = ["-T", "fields", "-e", "frame.number"]
            .map(String::from)
            .into();
        for (k, _) in CONV_KINDS {
            args.push("-z".into());
            args.push(format!("conv,{k}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (mut out, mut skipped) = (Vec::new(), Vec::new());
        for path in files {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let Some(t) = tshark(&args, &path) else {
                continue;
            };
            // Frame numbers first, then the tables, each opened by a rule and
            // its title.
            let start = t.find(RULE).unwrap_or(t.len());
            let frames = t[..start].lines().count();
            let s = Command::new(env!("CARGO_BIN_EXE_sonde"))
                .args(["read", "-T", "fields", "-e", "frame.number"])
                .arg(&path)
                .output()
                .unwrap();
            let sframes = String::from_utf8_lossy(&s.stdout).lines().count();
            if frames != sframes {
                skipped.push(format!(
                    "{rel}: tshark reads {frames} frames, sonde {sframes}"
                ));
                continue;
            }
            let mut conv = BTreeMap::new();
            for (k, title) in CONV_KINDS {
                let head = format!("{RULE}{title} Conversations\n");
                if let Some(i) = t.find(&head) {
                    let body = &t[i + head.len()..];
                    let end = body.find(RULE).map_or(body.len(), |j| j + RULE.len());
                    conv.insert(k, format!("{head}{}", &body[..end]));
                }
            }
            out.push(Corpus { rel, path, conv });
        }
        (out, skipped)
    })
}

const RULE: &str =
    "================================================================================\n";

/// Checks the differences found against the known ones, or rewrites them.
fn check_known(diffs: &BTreeMap<(String, String), String>, compared: usize, what: &str) {
    let path = root().join("tests/diff/conv-follow-known-differences.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let known: BTreeMap<(String, String), String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let c: Vec<&str> = l.splitn(3, '\t').collect();
            Some((
                (c.first()?.to_string(), c.get(1)?.to_string()),
                c.get(2).unwrap_or(&"").to_string(),
            ))
        })
        .collect();
    eprintln!(
        "{what}: {compared} outputs compared with tshark, {} differ ({:.1}% identical)",
        diffs.len(),
        100.0 * (compared - diffs.len()) as f64 / compared.max(1) as f64
    );
    if std::env::var_os("SONDE_DIFF_BLESS").is_some() {
        // Keep the other test's rows; replace this test's.
        let mut all: BTreeMap<(String, String), String> = known
            .into_iter()
            .filter(|((_, k), _)| !k.starts_with(what))
            .collect();
        for (k, ex) in diffs {
            let reason = text
                .lines()
                .find(|l| l.starts_with(&format!("{}\t{}\t", k.0, k.1)))
                .and_then(|l| l.splitn(3, '\t').nth(2))
                .map(String::from)
                .unwrap_or_else(|| format!("TODO: {ex}"));
            all.insert(k.clone(), reason);
        }
        let mut out = String::from("# file\toutput\tcause\n");
        for ((f, w), r) in &all {
            out.push_str(&format!("{f}\t{w}\t{r}\n"));
        }
        std::fs::write(&path, out).unwrap();
        return;
    }
    let new: Vec<String> = diffs
        .iter()
        .filter(|(k, _)| !known.contains_key(*k))
        .map(|((f, w), ex)| format!("{f} {w}: {ex}"))
        .collect();
    assert!(
        new.is_empty(),
        "new differences from tshark:\n{}",
        new.join("\n")
    );
}

/// The first line where two texts differ, for the report.
fn first_difference(t: &str, s: &str) -> String {
    for (i, (a, b)) in t.lines().zip(s.lines()).enumerate() {
        if a != b {
            let cut = |x: &str| x.chars().take(120).collect::<String>();
            return format!("line {}: tshark {:?} sonde {:?}", i + 1, cut(a), cut(b));
        }
    }
    format!(
        "tshark has {} lines, sonde {}",
        t.lines().count(),
        s.lines().count()
    )
}

#[test]
fn conversation_tables_agree_with_tshark() {
    if !have_tshark() {
        eprintln!("SKIPPED: tshark is not installed (CI installs it)");
        return;
    }
    let (files, skipped) = corpus();
    let mut diffs = BTreeMap::new();
    let mut compared = 0;
    for c in files {
        for (kind, _) in CONV_KINDS {
            let t = c.conv.get(kind).map(String::as_str).unwrap_or("");
            let s = sonde(&["stats", "conv", kind, &c.rel]);
            // tshark's table ends at its closing rule; sonde's TCP connection
            // table comes after it.
            let s = match s.find("TCP Connections\n") {
                Some(i) => &s[..i],
                None => &s[..],
            };
            compared += 1;
            if t != s {
                diffs.insert(
                    (c.rel.clone(), format!("conv,{kind}")),
                    first_difference(t, s),
                );
            }
        }
    }
    for s in skipped {
        eprintln!("  not compared: {s}");
    }
    assert!(compared > 300, "too little compared: {compared}");
    check_known(&diffs, compared, "conv");
}

/// Stream indexes of `proto` in a file, from sonde's conversation table.
fn streams(rel: &str, proto: &str) -> Vec<u64> {
    let v: serde_json::Value =
        serde_json::from_str(&sonde(&["stats", "conv", proto, rel, "-T", "json"])).unwrap();
    let mut s: Vec<u64> = v["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["stream"].as_u64())
        .collect();
    s.sort();
    s
}

/// Splits tshark's output for several `-z follow` at once into its blocks.
fn follow_blocks(out: &str) -> BTreeMap<String, String> {
    const START: &str =
        "\n===================================================================\nFollow: ";
    let mut blocks = BTreeMap::new();
    let starts: Vec<usize> = out.match_indices(START).map(|(i, _)| i).collect();
    for (k, &i) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(out.len());
        let b = &out[i..end];
        let mut lines = b[START.len()..].lines();
        let (Some(mode), Some(filter)) = (lines.next(), lines.next()) else {
            continue;
        };
        blocks.insert(format!("{mode} {filter}"), b.to_string());
    }
    blocks
}

#[test]
fn follow_agrees_with_tshark() {
    if !have_tshark() {
        eprintln!("SKIPPED: tshark is not installed (CI installs it)");
        return;
    }
    let mut diffs = BTreeMap::new();
    let mut compared = 0;
    for c in &corpus().0 {
        let (rel, f) = (&c.rel, &c.path);
        for proto in ["tcp", "udp"] {
            let ids = streams(rel, proto);
            if ids.is_empty() {
                continue;
            }
            // Every stream in ascii; the first also in hex and raw (the
            // layouts differ only in how a chunk is printed, and each sonde
            // run costs its start-up).
            let modes = |i: usize| {
                if i == 0 {
                    &["ascii", "hex", "raw"][..]
                } else {
                    &["ascii"][..]
                }
            };
            let mut args = vec!["-q".to_string()];
            for (i, id) in ids.iter().enumerate() {
                for mode in modes(i) {
                    args.push("-z".into());
                    args.push(format!("follow,{proto},{mode},{id}"));
                }
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let t = follow_blocks(&tshark(&args, f).unwrap_or_default());
            for (i, id) in ids.iter().enumerate() {
                let mut differ = Vec::new();
                for mode in modes(i) {
                    let s = sonde(&["follow", proto, &id.to_string(), rel, "--format", mode]);
                    let key = format!("{proto},{mode} Filter: {proto}.stream eq {id}");
                    let t = t.get(&key).map(String::as_str).unwrap_or("");
                    compared += 1;
                    if t != s {
                        differ.push(format!("{mode}: {}", first_difference(t, &s)));
                    }
                }
                if !differ.is_empty() {
                    diffs.insert(
                        (rel.clone(), format!("follow,{proto},{id}")),
                        differ.join("; "),
                    );
                }
            }
        }
    }
    assert!(compared > 150, "too little compared: {compared}");
    check_known(&diffs, compared, "follow");
}
