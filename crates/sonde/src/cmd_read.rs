//! `sonde read`, `sonde explain`, `sonde fields`: capture files through the
//! dissector to the printers.

use clap::{Args, ValueEnum};
use sonde_capture::{CaptureError, CaptureReader, InterfaceInfo};
use sonde_dissect::{Dissection, Dissector, FieldDef, Options};
use sonde_output::{FieldsOptions, FieldsPrinter, SummaryOptions, TimeFormat};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `read` (tshark's `-T`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Summary lines, or the detail tree with -V.
    Text,
    /// The values of the fields given with -e.
    Fields,
    /// tshark's JSON layout, an array of frames.
    Json,
    /// One compact JSON object per line.
    Jsonl,
}

/// Arguments of `sonde read`.
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Capture file: pcap or pcapng, gzip-compressed or not; `-` reads standard input.
    #[arg(value_name = "FILE", required_unless_present = "read_file")]
    file: Option<PathBuf>,
    /// The capture file, as tshark spells it (`-r FILE`).
    #[arg(short = 'r', value_name = "FILE")]
    read_file: Option<PathBuf>,
    /// Stop after this many frames.
    #[arg(short = 'c', value_name = "N")]
    count: Option<u64>,
    /// Print the detail tree of each frame (every field, Wireshark's labels).
    #[arg(short = 'V')]
    verbose: bool,
    /// Print a hex and ASCII dump of each frame.
    #[arg(short = 'x')]
    hex: bool,
    /// Time column: r relative to the first frame, a absolute, ad absolute with
    /// date, d delta, dd delta displayed, e epoch, u UTC, ud UTC with date.
    #[arg(short = 't', value_name = "FORMAT", default_value = "r")]
    time: String,
    /// Output format.
    #[arg(short = 'T', value_enum, default_value = "text")]
    format: Format,
    /// A field to print with -T fields (repeatable), e.g. -e ip.src -e tcp.dstport.
    #[arg(short = 'e', value_name = "FIELD")]
    fields: Vec<String>,
    /// Fields options, as tshark: header=y|n, separator=/t|/s|C,
    /// occurrence=a|f|l|N, aggregator=C, quote=d|s|n (repeatable).
    #[arg(short = 'E', value_name = "OPTION")]
    field_opts: Vec<String>,
    /// Do not resolve MAC address vendors in the address columns.
    #[arg(short = 'n')]
    no_resolve: bool,
    /// Verify IPv4, TCP and UDP checksums (Wireshark's default is not to).
    #[arg(long)]
    verify_checksums: bool,
    /// Two passes, like tshark -2: also show what later frames reveal
    /// (HTTP "Response in frame", TCP "Reassembled PDU in frame").
    #[arg(short = '2')]
    two_pass: bool,
    /// Display filter, in Wireshark's language: only frames that match are
    /// printed, e.g. -Y 'tcp.port == 22 && ip.src == 10.0.0.1'.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
}

/// Arguments of `sonde explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Capture file.
    file: PathBuf,
    /// Frame number (from 1, as in the No. column).
    frame: u64,
}

/// Arguments of `sonde fields`.
#[derive(Args, Debug)]
pub struct FieldsArgs {
    /// Only fields whose abbreviation starts with this (e.g. `tcp` or `ip.flags`).
    prefix: Option<String>,
}

fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
    if path == Path::new("-") {
        CaptureReader::from_read(Box::new(io::stdin()))
    } else {
        CaptureReader::open(path)
    }
}

fn names_of(ifs: &[InterfaceInfo]) -> Vec<Option<String>> {
    ifs.iter()
        .map(|i| i.name.clone().or_else(|| i.description.clone()))
        .collect()
}

/// Time precision of the Time column: the file's timestamp resolution.
fn precision_of(ifs: &[InterfaceInfo]) -> usize {
    ifs.iter()
        .map(|i| {
            if i.tsresol & 0x80 != 0 {
                9
            } else {
                usize::from(i.tsresol).min(9)
            }
        })
        .max()
        .unwrap_or(6)
}

/// How much of each frame's tree a consumer reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tree<'a> {
    /// Summary columns only (and whatever the filter reads).
    Columns,
    /// These fields (and whatever the filter reads), the columns, and the
    /// Info column if `info`.
    Fields {
        defs: &'a [&'static FieldDef],
        info: bool,
    },
    /// The whole tree, with labels or not.
    Full { labels: bool },
}

/// Sets `d` up to build what `tree` and `filter` need and no more: a filter
/// is evaluated on a partial tree holding only the fields it names, unless
/// it selects layers (`ip.src#2`), which needs the tree's nesting.
pub(crate) fn prepare(d: &mut Dissection, tree: Tree<'_>, filter: Option<&sonde_filter::Filter>) {
    let mut keep: Vec<&'static FieldDef> = match tree {
        Tree::Full { labels } => {
            d.want_tree = true;
            d.want_labels = labels;
            return;
        }
        Tree::Columns => Vec::new(),
        Tree::Fields { defs, info } => {
            d.want_info = info;
            defs.to_vec()
        }
    };
    if let Some(f) = filter {
        if f.uses_layers() {
            d.want_tree = true;
            d.want_labels = false;
            return;
        }
        keep.extend(f.fields());
    }
    d.keep_only(&keep);
}

/// Reads frames through the dissector, calling `each` for every frame that
/// passes `filter` until it returns false. Returns the read error, if any.
pub(crate) fn for_each_frame(
    path: &Path,
    opts: Options,
    tree: Tree<'_>,
    filter: Option<&sonde_filter::Filter>,
    mut each: impl FnMut(&Dissection, &[u8], &[InterfaceInfo]) -> io::Result<bool>,
) -> Result<(), String> {
    let mut dis = Dissector::new(opts);
    if opts.two_pass {
        dis.use_hindsight(first_pass(path, opts)?);
    }
    let mut reader = open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut d = Dissection::new();
    prepare(&mut d, tree, filter);
    let mut known_ifs = 0;
    let reader_format = reader.format();
    while let Some(next) = reader.next_frame_with_interfaces() {
        match next {
            Ok((frame, ifs)) => {
                if ifs.len() != known_ifs {
                    known_ifs = ifs.len();
                    let sections =
                        if matches!(reader_format, sonde_capture::FileFormat::PcapNg { .. }) {
                            ifs.iter().map(|i| i.section + 1).collect()
                        } else {
                            Vec::new()
                        };
                    dis.set_interfaces(names_of(ifs), sections);
                }
                dis.dissect(&frame, &mut d);
                if filter.is_some_and(|f| !f.matches(&d, frame.data)) {
                    continue;
                }
                dis.mark_displayed(&d);
                match each(&d, frame.data, ifs) {
                    Ok(true) => {}
                    Ok(false) => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                    Err(e) => return Err(format!("writing output: {e}")),
                }
            }
            Err(e) if e.is_truncation() => {
                return Err(format!(
                    "{}: the file appears to have been cut short in the middle of a packet: {e}",
                    path.display()
                ));
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    Ok(())
}

/// The first of two passes: dissects every frame (no tree) to learn what
/// later frames reveal about earlier ones.
fn first_pass(path: &Path, opts: Options) -> Result<sonde_dissect::Hindsight, String> {
    if path == Path::new("-") {
        return Err("two passes (-2) need a file, not standard input".into());
    }
    let mut reader = open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut dis = Dissector::new(opts);
    dis.record_hindsight();
    let mut d = Dissection::new();
    d.want_tree = false;
    d.want_labels = false;
    while let Some(Ok(frame)) = reader.next_frame() {
        dis.dissect(&frame, &mut d);
    }
    Ok(dis.take_hindsight())
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("sonde: {msg}");
    ExitCode::from(2)
}

/// Runs `sonde read`.
pub fn run_read(a: ReadArgs) -> ExitCode {
    let Some(path) = a.read_file.clone().or(a.file.clone()) else {
        return fail("no capture file given");
    };
    let Some(time) = TimeFormat::parse(&a.time) else {
        return fail(&format!(
            "invalid time format '{}': use r, a, ad, d, dd, e, u or ud",
            a.time
        ));
    };
    let mut summary = SummaryOptions {
        time,
        precision: 6,
        resolve_mac: !a.no_resolve,
    };
    let mut fields = None;
    if a.format == Format::Fields {
        if a.fields.is_empty() {
            return fail("-T fields needs at least one field: -e FIELD (see `sonde fields`)");
        }
        let mut fo = FieldsOptions::default();
        for o in &a.field_opts {
            if let Err(e) = fo.apply(o) {
                return fail(&e);
            }
        }
        match FieldsPrinter::new(&a.fields, fo, summary) {
            Ok(p) => fields = Some(p),
            Err(bad) => {
                return fail(&format!(
                    "unknown field{}: {} (see `sonde fields` for the list)",
                    if bad.len() > 1 { "s" } else { "" },
                    bad.join(", ")
                ));
            }
        }
    } else if !a.fields.is_empty() {
        return fail("-e needs -T fields");
    }
    let opts = Options {
        verify_checksums: a.verify_checksums,
        two_pass: a.two_pass,
        ..Options::default()
    };
    // The detail tree shows labels; JSON needs them for text items' keys.
    let want_labels =
        (a.verbose && a.format == Format::Text) || matches!(a.format, Format::Json | Format::Jsonl);
    let filter = match a
        .display_filter
        .as_deref()
        .map(sonde_filter::Filter::compile)
    {
        Some(Err(e)) => return fail(&format!("invalid display filter:\n{e}")),
        Some(Ok(f)) => Some(f),
        None => None,
    };
    let flt = filter.as_ref();
    if a.format == Format::Text && !a.verbose && !a.hex {
        let limit = a.count.unwrap_or(u64::MAX);
        return match summary_lines(&path, opts, flt, summary, limit) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sonde: {e}");
                ExitCode::from(1)
            }
        };
    }
    let stdout = io::stdout();
    let mut w = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut buf = String::with_capacity(1 << 16);
    let mut n = 0u64;
    let limit = a.count.unwrap_or(u64::MAX);
    if limit == 0 {
        return ExitCode::SUCCESS;
    }
    let mut header_done = false;
    let mut first_json = true;
    let mut precision_set = false;
    // Summary lines and hex dumps need the columns only, -T fields its
    // fields only, the detail tree and JSON everything.
    let field_defs = fields.as_ref().map(|p| p.defs()).unwrap_or_default();
    let tree = match a.format {
        Format::Text if !a.verbose => Tree::Columns,
        Format::Fields => Tree::Fields {
            defs: &field_defs,
            info: fields.as_ref().is_some_and(|p| p.wants_info()),
        },
        _ => Tree::Full {
            labels: want_labels,
        },
    };
    let result = for_each_frame(&path, opts, tree, flt, |d, data, ifs| {
        if !precision_set {
            summary.precision = precision_of(ifs);
            precision_set = true;
        }
        buf.clear();
        match a.format {
            Format::Text => {
                // (Summary lines alone are printed by `summary_lines`.)
                if a.verbose {
                    sonde_output::tree::write_tree(&mut buf, d, data);
                    buf.push('\n');
                }
                if a.hex {
                    sonde_output::hex::write_hex(&mut buf, d, data);
                    buf.push('\n');
                }
            }
            Format::Fields => {
                let p = fields.as_mut().expect("fields printer built above");
                if !header_done {
                    header_done = true;
                    if let Some(h) = p.header() {
                        buf.push_str(&h);
                        buf.push('\n');
                    }
                }
                p.write_line(&mut buf, d, data);
                buf.push('\n');
            }
            Format::Json => {
                buf.push_str(if first_json { "[\n  " } else { ",\n  " });
                first_json = false;
                sonde_output::json::write_packet(&mut buf, d, data, true);
            }
            Format::Jsonl => {
                sonde_output::json::write_packet(&mut buf, d, data, false);
                buf.push('\n');
            }
        }
        w.write_all(buf.as_bytes())?;
        n += 1;
        Ok(n < limit)
    });
    let mut tail = String::new();
    if a.format == Format::Json {
        tail.push_str(if first_json { "[\n]\n" } else { "\n]\n" });
    }
    if a.format == Format::Fields && !header_done {
        if let Some(h) = fields.as_ref().and_then(|p| p.header()) {
            tail.push_str(&h);
            tail.push('\n');
        }
    }
    let _ = w.write_all(tail.as_bytes());
    let _ = w.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            drop(w);
            eprintln!("sonde: {e}");
            ExitCode::from(1)
        }
    }
}

/// Frames handed to the printing thread at a time.
const BATCH: usize = 1024;

/// What the printing thread needs of a batch of frames: their facts and
/// columns, the Info texts (each frame's `cols.info` is a span of `text`).
struct Batch {
    rows: Vec<(sonde_dissect::tree::FrameInfo, sonde_dissect::tree::Columns)>,
    text: String,
    opts: SummaryOptions,
}

/// Prints summary lines, like `tshark -r`: the dissecting thread hands each
/// frame's columns to a second thread that formats and writes the lines, so
/// that the two run side by side. Batches are bounded and recycled.
fn summary_lines(
    path: &Path,
    opts: Options,
    flt: Option<&sonde_filter::Filter>,
    mut summary: SummaryOptions,
    limit: u64,
) -> Result<(), String> {
    use std::sync::mpsc::sync_channel;
    if limit == 0 {
        return Ok(());
    }
    // Standard input may be a live capture (`tcpdump -w - | sonde read -`):
    // there each line goes out as soon as its frame is read.
    let live = path == Path::new("-");
    let batch_len = if live { 1 } else { BATCH };
    let (tx, rx) = sync_channel::<Batch>(4);
    let (back_tx, back) = sync_channel::<Batch>(6);
    let printer = std::thread::Builder::new()
        .name("sonde-print".into())
        .spawn(move || -> io::Result<()> {
            let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            let mut line = String::with_capacity(1 << 17);
            for b in rx {
                line.clear();
                for (f, c) in &b.rows {
                    let info = &b.text[c.info.start as usize..c.info.end as usize];
                    sonde_output::summary::write_summary_row(&mut line, f, c, info, &b.opts);
                    line.push('\n');
                }
                out.write_all(line.as_bytes())?;
                if live {
                    out.flush()?;
                }
                let _ = back_tx.try_send(b);
            }
            out.flush()
        })
        .map_err(|e| format!("starting the output thread: {e}"))?;
    let new_batch = |opts| Batch {
        rows: Vec::with_capacity(BATCH),
        text: String::with_capacity(BATCH * 64),
        opts,
    };
    let mut cur = new_batch(summary);
    let mut n = 0u64;
    let mut precision_set = false;
    let result = for_each_frame(path, opts, Tree::Columns, flt, |d, _, ifs| {
        if !precision_set {
            summary.precision = precision_of(ifs);
            cur.opts = summary;
            precision_set = true;
        }
        let start = cur.text.len() as u32;
        cur.text.push_str(d.info());
        let mut cols = d.cols;
        cols.info = sonde_dissect::tree::Span {
            start,
            end: cur.text.len() as u32,
        };
        cur.rows.push((d.frame, cols));
        n += 1;
        if cur.rows.len() >= batch_len {
            let mut next = back.try_recv().unwrap_or_else(|_| new_batch(summary));
            next.rows.clear();
            next.text.clear();
            next.opts = summary;
            let full = std::mem::replace(&mut cur, next);
            if tx.send(full).is_err() {
                // The printer stopped (its error is reported below).
                return Ok(false);
            }
        }
        Ok(n < limit)
    });
    if !cur.rows.is_empty() {
        let _ = tx.send(cur);
    }
    // The printer ends when the last batch is out.
    drop(tx);
    let printed = printer
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the output thread panicked")));
    match printed {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("writing output: {e}")),
        Ok(()) => result,
    }
}

/// Runs `sonde explain`.
pub fn run_explain(a: ExplainArgs) -> ExitCode {
    if a.frame == 0 {
        return fail("frame numbers start at 1");
    }
    let mut out = String::new();
    let mut found = false;
    let r = for_each_frame(
        &a.file,
        Options::default(),
        Tree::Full { labels: true },
        None,
        |d, data, _| {
            if d.frame.number == a.frame {
                sonde_output::explain::write_explain(&mut out, d, data);
                found = true;
                return Ok(false);
            }
            Ok(true)
        },
    );
    if found {
        print!("{out}");
    }
    match r {
        Err(e) => {
            eprintln!("sonde: {e}");
            ExitCode::from(1)
        }
        Ok(()) if !found => fail(&format!(
            "{}: there is no frame {} (the file has fewer frames)",
            a.file.display(),
            a.frame
        )),
        Ok(()) => ExitCode::SUCCESS,
    }
}

/// Runs `sonde fields`: the registry, like `tshark -G fields`.
pub fn run_fields(a: FieldsArgs) -> ExitCode {
    let mut out = String::new();
    for f in sonde_dissect::registry::all_fields() {
        if let Some(p) = &a.prefix {
            if !f.abbrev.starts_with(p.as_str()) {
                continue;
            }
        }
        if f.abbrev.starts_with('_') && a.prefix.is_none() {
            continue;
        }
        if f.kind == sonde_dissect::Kind::Protocol {
            out.push_str(&format!("P\t{}\t{}\n", f.name, f.abbrev));
        } else {
            out.push_str(&format!(
                "F\t{}\t{}\t{}\t{}\t{}\t0x{:x}\t{}\n",
                f.name,
                f.abbrev,
                f.kind.ft_name(),
                f.protocol(),
                f.base.name(),
                f.mask,
                f.blurb
            ));
        }
    }
    let _ = io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
