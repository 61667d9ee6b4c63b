//! A partial tree (`Dissection::keep_only`) must hold exactly the nodes the
//! whole tree holds for the fields it keeps: same values, same bytes, same
//! order, frame by frame, on every corpus capture. Filters, `-T fields` and
//! the statistics read partial trees, so a field a guarded block forgets to
//! build would silently change their answers.

use sonde_capture::CaptureReader;
use sonde_dissect::tree::Value;
use sonde_dissect::{Dissection, Dissector, FieldDef, Options};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "tcpdump",
        "zeek",
        "arkime",
        "pcap-parser",
        "pcapng-test-generator",
    ] {
        for e in std::fs::read_dir(root().join("tests/corpus").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            ) {
                files.push(p);
            }
        }
    }
    files.push(root().join("samples/lab-http.pcapng"));
    files.sort();
    files
}

/// One node as a consumer sees it: field, value (text resolved), bytes,
/// flags, and whether it is an expert item.
type Seen = (&'static str, String, Vec<u8>, u8, bool);

fn seen(d: &Dissection, data: &[u8], id: u32) -> Seen {
    let n = d.node(id);
    let v = match n.value {
        Value::Text(s) => format!("Text({})", d.span_str(s)),
        v => format!("{v:?}"),
    };
    let expert = n.expert != u32::MAX;
    (n.def.abbrev, v, d.bytes(data, id).to_vec(), n.flags, expert)
}

/// An expert item alone in a partial tree has no anchor to take its bytes
/// from (documented on `keep_only`): compare everything else.
fn without_anchor(mut s: Seen) -> Seen {
    if s.4 {
        s.2.clear();
    }
    s
}

/// Dissects `path`, calling `each` with every frame's dissection.
fn run(path: &Path, setup: impl Fn(&mut Dissection), mut each: impl FnMut(&Dissection, &[u8])) {
    let Ok(mut r) = CaptureReader::open(path) else {
        return;
    };
    let mut dis = Dissector::new(Options::default());
    let mut d = Dissection::new();
    setup(&mut d);
    while let Some(Ok(f)) = r.next_frame() {
        dis.dissect(&f, &mut d);
        each(&d, f.data);
    }
}

fn full(path: &Path) -> (Vec<Vec<(u32, Seen)>>, Vec<String>) {
    let mut frames = Vec::new();
    let mut infos = Vec::new();
    run(
        path,
        |d| d.want_labels = false,
        |d, data| {
            frames.push(
                (1..d.nodes.len() as u32)
                    .map(|id| (id, seen(d, data, id)))
                    .collect(),
            );
            infos.push(d.info().to_string());
        },
    );
    (frames, infos)
}

#[test]
fn partial_trees_hold_what_the_whole_tree_holds() {
    let mut checked_fields = 0usize;
    let mut checked_nodes = 0usize;
    let mut fails: Vec<String> = Vec::new();
    for path in corpus() {
        let (want, infos) = full(&path);
        let mut defs: BTreeMap<&'static str, &'static FieldDef> = BTreeMap::new();
        for f in &want {
            for (id, s) in f {
                let _ = id;
                defs.entry(s.0).or_insert_with(|| {
                    sonde_dissect::registry::lookup(s.0)
                        .unwrap_or_else(|| panic!("{} is not in the registry", s.0))
                });
            }
        }
        let all: Vec<&'static FieldDef> = defs.values().copied().collect();

        // Every field at once, Info column on: the same nodes in the same
        // order, and the same Info text.
        let mut i = 0;
        run(
            &path,
            |d| d.keep_only(&all),
            |d, data| {
                let got: Vec<Seen> = (1..d.nodes.len() as u32)
                    .map(|id| seen(d, data, id))
                    .collect();
                let exp: Vec<Seen> = want[i].iter().map(|(_, s)| s.clone()).collect();
                if got != exp || d.info() != infos[i] {
                    fails.push(format!(
                        "{}: frame {}: all fields kept:\n  got  {got:?} {:?}\n  want {exp:?} {:?}",
                        path.display(),
                        i + 1,
                        d.info(),
                        infos[i]
                    ));
                }
                i += 1;
            },
        );

        // Each field alone, Info column off (the leanest dissection).
        for def in &all {
            let mut i = 0;
            let mut failed = false;
            run(
                &path,
                |d| {
                    d.keep_only(&[*def]);
                    d.want_info = false;
                },
                |d, data| {
                    let got: Vec<Seen> = (1..d.nodes.len() as u32)
                        .filter(|&id| std::ptr::eq(d.node(id).def, *def))
                        .map(|id| without_anchor(seen(d, data, id)))
                        .collect();
                    let exp: Vec<Seen> = want[i]
                        .iter()
                        .filter(|(_, s)| s.0 == def.abbrev)
                        .map(|(_, s)| without_anchor(s.clone()))
                        .collect();
                    checked_nodes += exp.len();
                    if got != exp && !failed {
                        failed = true;
                        fails.push(format!(
                            "{}: frame {}: only {} kept:\n  got  {got:?}\n  want {exp:?}",
                            path.display(),
                            i + 1,
                            def.abbrev
                        ));
                    }
                    i += 1;
                },
            );
            checked_fields += 1;
        }
    }
    eprintln!(
        "partial trees: {checked_fields} (file, field) pairs, {checked_nodes} nodes compared"
    );
    for f in fails.iter().take(30) {
        eprintln!("{f}");
    }
    assert!(fails.is_empty(), "{} differences", fails.len());
    assert!(
        checked_nodes > 10_000,
        "too little compared: {checked_nodes}"
    );
}
