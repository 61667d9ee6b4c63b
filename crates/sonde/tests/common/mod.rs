//! Helpers shared by the tests that compare sonde with tshark.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Whether tshark can be run.
pub fn have_tshark() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Every capture of tests/corpus (all its folders) and the lab sample, sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let root = root();
    let is_capture = |p: &Path| {
        matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("pcap" | "pcapng")
        )
    };
    let mut files = vec![root.join("samples/lab-http.pcapng")];
    let dirs = std::fs::read_dir(root.join("tests/corpus")).unwrap();
    for dir in dirs.flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
        let entries = std::fs::read_dir(&dir).unwrap();
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| is_capture(p)),
        );
    }
    files.sort();
    files
}

/// Runs `f` over `items` on two threads (the machine has two cores), keeping
/// the results in order.
pub fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = Mutex::new(0usize);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(item) = items.get(i) else { return };
                let r = f(item);
                out.lock().unwrap()[i] = Some(r);
            });
        }
    });
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}
