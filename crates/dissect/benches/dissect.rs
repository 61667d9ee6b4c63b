//! Per-frame dissection cost in each of the modes the consumers use:
//! summary columns only, a partial tree (a filter on `tcp.port`, the
//! fields `stats conv tcp` reads), the whole tree without labels (JSON
//! values), and with labels (`-V`). Run: `cargo bench -p sonde-dissect`.
//!
//! The frames are the lab sample's (ARP, DNS, TCP handshake, HTTP request
//! and response, teardown), dissected in order by a fresh dissector each
//! time, so the TCP and HTTP trackers do their real work.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sonde_capture::CaptureReader;
use sonde_dissect::registry::lookup;
use sonde_dissect::{Dissection, Dissector, FieldDef, Options};
use std::path::Path;

struct Owned {
    number: u64,
    ts_ns: i128,
    orig_len: u32,
    link_type: u32,
    data: Vec<u8>,
}

fn frames() -> Vec<Owned> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/lab-http.pcapng");
    let mut r = CaptureReader::open(&path).expect("the lab sample");
    let mut v = Vec::new();
    while let Some(Ok(f)) = r.next_frame() {
        v.push(Owned {
            number: f.number,
            ts_ns: f.ts_ns,
            orig_len: f.orig_len,
            link_type: f.link_type,
            data: f.data.to_vec(),
        });
    }
    v
}

fn defs(names: &[&str]) -> Vec<&'static FieldDef> {
    names
        .iter()
        .map(|n| lookup(n).expect("registered"))
        .collect()
}

fn run(frames: &[Owned], d: &mut Dissection) {
    let mut dis = Dissector::new(Options::default());
    for f in frames {
        let frame = sonde_capture::Frame {
            number: f.number,
            ts_ns: f.ts_ns,
            orig_len: f.orig_len,
            link_type: f.link_type,
            interface_id: 0,
            data: &f.data,
            comment: None,
        };
        dis.dissect(&frame, d);
        std::hint::black_box(d.nodes.len());
    }
}

/// Sets a dissection up for one mode.
type Setup = Box<dyn Fn(&mut Dissection)>;

fn bench(c: &mut Criterion) {
    let frames = frames();
    let mut g = c.benchmark_group("lab sample");
    g.throughput(Throughput::Elements(frames.len() as u64));
    let conv = defs(&[
        "ip.src",
        "ip.dst",
        "ipv6.src",
        "ipv6.dst",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.stream",
        "tcp.len",
        "tcp.flags",
        "_ws.short",
        "_ws.malformed",
    ]);
    let port = defs(&["tcp.port"]);
    let modes: [(&str, Setup); 5] = [
        (
            "columns",
            Box::new(|d| {
                d.want_tree = false;
                d.want_labels = false;
            }),
        ),
        ("partial tcp.port", Box::new(move |d| d.keep_only(&port))),
        (
            "partial conv tcp, no Info",
            Box::new(move |d| {
                d.keep_only(&conv);
                d.want_info = false;
            }),
        ),
        ("tree", Box::new(|d| d.want_labels = false)),
        ("tree with labels", Box::new(|_| {})),
    ];
    for (name, setup) in &modes {
        g.bench_function(*name, |b| {
            b.iter_batched_ref(
                || {
                    let mut d = Dissection::new();
                    setup(&mut d);
                    d
                },
                |d| run(&frames, d),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
