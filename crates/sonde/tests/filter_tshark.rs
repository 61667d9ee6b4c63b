//! Display filters against the reference, tshark 4.0: every filter of
//! tests/filters/valid.txt must select exactly the frames tshark selects, on
//! the corpus captures whose frames both tools count alike (concatenated with
//! mergecap into one capture, so each filter runs once) and on a gen_pcap.py
//! capture; every filter of tests/filters/invalid.txt must be rejected by both.
//!
//! tshark runs once per capture for all the filters, through a Lua tap per
//! filter (tests/filters/multi_filter.lua); sonde runs `read -Y` per filter.
//! Frames whose dissection differs between the tools (a protocol sonde does
//! not decode yet) are listed, with the cause, in
//! tests/filters/known-differences.tsv and left out of the comparison.

mod common;

use common::{corpus_files, have_tshark, parallel, root};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn list(name: &str) -> Vec<String> {
    std::fs::read_to_string(root().join("tests/filters").join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// What tshark says of one capture: its frame numbers, and per filter either
/// the frames it selects or None when it rejects the filter.
struct TsharkRun {
    frames: Vec<u64>,
    selected: Vec<Option<BTreeSet<u64>>>,
}

fn tshark_all(capture: &Path, filters_file: &Path, n: usize) -> Option<TsharkRun> {
    let lua = root().join("tests/filters/multi_filter.lua");
    let o = Command::new("tshark")
        .arg("-q")
        .arg("-r")
        .arg(capture)
        .arg("-X")
        .arg(format!("lua_script:{}", lua.display()))
        .arg("-X")
        .arg(format!("lua_script1:{}", filters_file.display()))
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    if !o.status.success() {
        return None;
    }
    let mut run = TsharkRun {
        frames: Vec::new(),
        selected: vec![Some(BTreeSet::new()); n],
    };
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        let Some((i, v)) = l.split_once('\t') else {
            continue;
        };
        let i: i64 = i.parse().unwrap();
        if i < 0 {
            run.frames.push(v.parse().unwrap());
        } else if v == "invalid" {
            run.selected[i as usize] = None;
        } else if let Some(s) = &mut run.selected[i as usize] {
            s.insert(v.parse().unwrap());
        }
    }
    Some(run)
}

/// Frames sonde selects, or the error text.
fn sonde_select(capture: &Path, filter: Option<&str>) -> Result<BTreeSet<u64>, String> {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sonde"));
    c.arg("read").arg(capture);
    if let Some(f) = filter {
        c.arg("-Y").arg(f);
    }
    let o = c
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).to_string());
    }
    Ok(String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect())
}

fn known_differences() -> HashSet<(String, u64)> {
    std::fs::read_to_string(root().join("tests/filters/known-differences.tsv"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut c = l.split('\t');
            Some((c.next()?.to_string(), c.next()?.parse().ok()?))
        })
        .collect()
}

fn tmp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sonde-filter-tshark-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn valid_filters_select_the_frames_tshark_selects() {
    if !have_tshark() {
        eprintln!("SKIPPED: tshark is not installed (CI installs it)");
        return;
    }
    let root = root();
    let filters = list("valid.txt");
    assert!(filters.len() >= 80, "only {} filters", filters.len());
    let tmp = tmp_dir("valid");
    let filters_file = tmp.join("valid.txt");
    std::fs::write(&filters_file, filters.join("\n") + "\n").unwrap();

    // The corpus files whose frames both tools count alike, concatenated into
    // one capture (mergecap ships with tshark) so that each filter runs once.
    let files = corpus_files();
    let empty = tmp.join("none.txt");
    std::fs::write(&empty, "").unwrap();
    let counts = parallel(&files, |f| {
        let t = tshark_all(f, &empty, 0).map(|r| r.frames.len());
        let s = sonde_select(f, None).map(|s| s.len()).ok();
        (t, s)
    });
    let mut kept: Vec<(String, usize)> = Vec::new();
    let mut skipped = Vec::new();
    for (f, (t, s)) in files.iter().zip(counts) {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().to_string();
        match (t, s) {
            (Some(t), Some(s)) if t == s && t > 0 => kept.push((rel, t)),
            (Some(0), _) | (None, _) => {}
            (t, s) => skipped.push(format!("{rel}: tshark counts {t:?} frames, sonde {s:?}")),
        }
    }
    let merged = tmp.join("corpus.pcapng");
    let ok = Command::new("mergecap")
        .arg("-a")
        .arg("-w")
        .arg(&merged)
        .args(kept.iter().map(|(f, _)| root.join(f)))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mergecap failed (it comes with tshark)");
    let mut captures = vec![(merged, "corpus".to_string())];
    let gen = tmp.join("gen.pcap");
    let script = root.join("../shared/bench/gen_pcap.py");
    let made = script.exists()
        && Command::new("python3")
            .arg(&script)
            .arg(&gen)
            .args(["--packets", "20000", "--seed", "3"])
            .status()
            .is_ok_and(|s| s.success());
    if made {
        captures.push((gen, "gen_pcap.py --packets 20000 --seed 3".to_string()));
    } else {
        eprintln!("NOTE: ../shared/bench/gen_pcap.py is missing; only the corpus is compared");
    }
    // Where frame n of the merged capture comes from.
    let origin = |capture: usize, n: u64| -> (String, u64) {
        if capture > 0 {
            return (captures[capture].1.clone(), n);
        }
        let mut first = 1u64;
        for (f, c) in &kept {
            if n < first + *c as u64 {
                return (f.clone(), n - first + 1);
            }
            first += *c as u64;
        }
        ("?".into(), n)
    };
    let known = known_differences();

    let runs = parallel(&captures, |(c, _)| {
        tshark_all(c, &filters_file, filters.len())
    });
    let mut compared = Vec::new();
    for ((c, name), run) in captures.iter().zip(runs) {
        let run = run.unwrap_or_else(|| panic!("tshark cannot read {name}"));
        let all = sonde_select(c, None).unwrap();
        assert_eq!(all.len(), run.frames.len(), "{name}: frame counts differ");
        compared.push((c.clone(), name.clone(), run));
    }

    let jobs: Vec<(usize, usize)> = (0..compared.len())
        .flat_map(|c| (0..filters.len()).map(move |f| (c, f)))
        .collect();
    let results = parallel(&jobs, |&(c, f)| {
        sonde_select(&compared[c].0, Some(&filters[f]))
    });

    let mut failures = Vec::new();
    let mut excluded_frames = 0usize;
    for (&(c, f), got) in jobs.iter().zip(results) {
        let (_, name, run) = &compared[c];
        let filter = &filters[f];
        let Some(want) = &run.selected[f] else {
            failures.push(format!("{filter:?}: tshark rejects it"));
            continue;
        };
        let got = match got {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{filter:?}: sonde rejects it: {e}"));
                continue;
            }
        };
        let mut bad: BTreeMap<String, (Vec<u64>, Vec<u64>)> = BTreeMap::new();
        for &n in want.symmetric_difference(&got) {
            let (file, frame) = origin(c, n);
            if known.contains(&(file.clone(), frame)) {
                excluded_frames += 1;
                continue;
            }
            let e = bad.entry(file).or_default();
            if want.contains(&n) {
                e.0.push(frame);
            } else {
                e.1.push(frame);
            }
        }
        for (file, (only_t, only_s)) in bad {
            failures.push(format!(
                "{filter:?} on {file}: frames only tshark selects {:?}, only sonde {:?}",
                &only_t[..only_t.len().min(8)],
                &only_s[..only_s.len().min(8)]
            ));
        }
        let _ = name;
    }
    failures.sort();
    failures.dedup();
    eprintln!(
        "filter_tshark: {} filters x {} captures ({} corpus files concatenated, and gen_pcap): {} (filter, file) pairs differ; {} frame differences explained by known dissection differences",
        filters.len(),
        compared.len(),
        kept.len(),
        failures.len(),
        excluded_frames
    );
    for s in &skipped {
        eprintln!("  not compared: {s}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        failures.is_empty(),
        "sonde and tshark disagree:\n{}",
        failures.join("\n")
    );
}

#[test]
fn invalid_filters_are_rejected_by_both() {
    let filters = list("invalid.txt");
    assert!(filters.len() >= 30, "only {} filters", filters.len());
    let lab = root().join("samples/lab-http.pcapng");
    let mut failures = Vec::new();
    for f in &filters {
        let o = Command::new(env!("CARGO_BIN_EXE_sonde"))
            .args(["filter", "check", f])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        if o.status.code() != Some(2) || !err.contains('^') {
            failures.push(format!(
                "{f:?}: sonde accepts it or explains badly (exit {:?}): {err}",
                o.status.code()
            ));
        }
        let r = sonde_select(&lab, Some(f));
        if r.is_ok() {
            failures.push(format!("{f:?}: sonde read -Y accepts it"));
        }
    }
    if have_tshark() {
        let tmp = tmp_dir("invalid");
        let file = tmp.join("invalid.txt");
        std::fs::write(&file, filters.join("\n") + "\n").unwrap();
        let run = tshark_all(&lab, &file, filters.len()).expect("tshark reads the lab capture");
        for (f, sel) in filters.iter().zip(&run.selected) {
            if sel.is_some() {
                failures.push(format!("{f:?}: tshark accepts it"));
            }
        }
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        eprintln!("SKIPPED the tshark half: tshark is not installed (CI installs it)");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
