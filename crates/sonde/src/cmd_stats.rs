//! `sonde stats`: statistics over a capture file, like `tshark -q -z`.

use clap::{Args, Subcommand, ValueEnum};
use sonde_dissect::Options;
use sonde_output::conv::{ConvBatch, ConvTable, ConvType};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// The statistics `sonde stats` computes.
#[derive(Subcommand, Debug)]
pub enum StatsCommand {
    /// Conversations, like `tshark -q -z conv,TYPE`: frames and bytes each way,
    /// relative start and duration, most active first. For TCP, a table of
    /// connections follows (client, server, service, fate) and the number of
    /// connections established.
    Conv(ConvArgs),
    /// Protocol hierarchy, like `tshark -q -z io,phs`: frames and bytes for
    /// each chain of protocols (eth, then ip, then tcp...).
    Phs(PhsArgs),
    /// Endpoints, like `tshark -q -z endpoints,TYPE`: each address (and port
    /// for tcp and udp) with the packets and bytes it sent and received.
    Endpoints(EndpointsArgs),
    /// Frames and bytes per time interval, like `tshark -q -z io,stat,S`.
    Io(IoArgs),
}

/// Conversation types of `sonde stats conv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvKind {
    /// TCP streams, plus the connection table.
    Tcp,
    /// UDP streams.
    Udp,
    /// IPv4 address pairs.
    Ip,
    /// IPv6 address pairs.
    Ipv6,
    /// Ethernet (MAC) address pairs.
    Eth,
}

/// Output formats of `sonde stats conv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvFormat {
    /// tshark's text layout.
    Text,
    /// One JSON object, for scripts.
    Json,
}

/// Arguments of `sonde stats conv`.
#[derive(Args, Debug)]
pub struct ConvArgs {
    /// Conversation type.
    #[arg(value_enum)]
    kind: ConvKind,
    /// Capture file: pcap or pcapng, gzip-compressed or not; `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Count only frames matching this display filter (like tshark's
    /// `-z conv,tcp,FILTER`; it is shown on the Filter: line).
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Output format: text (tshark's layout) or json.
    #[arg(short = 'T', value_enum, default_value = "text")]
    format: ConvFormat,
}

/// Runs a `sonde stats` command.
pub fn run(cmd: StatsCommand) -> ExitCode {
    match cmd {
        StatsCommand::Conv(a) => run_conv(a),
        StatsCommand::Phs(a) => run_phs(a),
        StatsCommand::Endpoints(a) => run_endpoints(a),
        StatsCommand::Io(a) => run_io(a),
    }
}

/// Runs `sonde stats conv`.
fn run_conv(a: ConvArgs) -> ExitCode {
    let kind = match a.kind {
        ConvKind::Tcp => ConvType::Tcp,
        ConvKind::Udp => ConvType::Udp,
        ConvKind::Ip => ConvType::Ip,
        ConvKind::Ipv6 => ConvType::Ipv6,
        ConvKind::Eth => ConvType::Eth,
    };
    let filter = match a
        .display_filter
        .as_deref()
        .map(sonde_filter::Filter::compile)
    {
        Some(Err(e)) => {
            eprintln!("sonde: invalid display filter:\n{e}");
            return ExitCode::from(2);
        }
        Some(Ok(f)) => Some(f),
        None => None,
    };
    let mut table = ConvTable::new(kind);
    table.set_filter(a.display_filter.clone());
    let keep = table.fields();
    // This thread dissects and picks out the layers; a second one counts
    // them, batch by batch (bounded, recycled).
    let scanner = table.scanner();
    let (tx, rx) = std::sync::mpsc::sync_channel::<ConvBatch>(4);
    let (back_tx, back) = std::sync::mpsc::sync_channel::<ConvBatch>(6);
    let counter = std::thread::spawn(move || {
        for b in rx {
            table.apply(&b);
            let _ = back_tx.try_send(b);
        }
        table
    });
    let mut cur = ConvBatch::default();
    let r = crate::cmd_read::for_each_frame(
        &a.file,
        Options::default(),
        crate::cmd_read::Tree::Fields {
            defs: &keep,
            info: false,
        },
        filter.as_ref(),
        |d, data, _| {
            scanner.scan(d, data, &mut cur);
            if cur.frames() >= 1024 {
                let mut next = back.try_recv().unwrap_or_default();
                next.clear();
                let full = std::mem::replace(&mut cur, next);
                if tx.send(full).is_err() {
                    return Err(io::Error::other("the counting thread stopped"));
                }
            }
            Ok(true)
        },
    );
    let _ = tx.send(cur);
    drop(tx);
    let Ok(table) = counter.join() else {
        eprintln!("sonde: the counting thread panicked");
        return ExitCode::from(1);
    };
    if let Err(e) = r {
        eprintln!("sonde: {e}");
        return ExitCode::from(1);
    }
    let stdout = io::stdout();
    let mut w = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = match a.format {
        // Streamed: a big capture's tables are not held whole in memory.
        ConvFormat::Text => table.write_text_to(&mut w),
        ConvFormat::Json => {
            let mut out = String::new();
            table.write_json(&mut out);
            w.write_all(out.as_bytes())
        }
    };
    match written.and_then(|()| w.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("sonde: writing output: {e}");
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

// ---- phs, endpoints, io ----

/// Output formats of `sonde stats phs|endpoints|io`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// tshark's text layout.
    Text,
    /// One JSON object, for scripts.
    Json,
}

/// What every statistics table takes: the capture, a filter, a format.
#[derive(Args, Debug)]
pub struct TableArgs {
    /// Capture file: pcap or pcapng, gzip-compressed or not; `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Count only frames matching this display filter (like the filter
    /// argument of tshark's `-z`; it is shown on the Filter line).
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Output format: text (tshark's layout) or json.
    #[arg(short = 'T', value_enum, default_value = "text")]
    format: TableFormat,
}

/// Arguments of `sonde stats phs`.
#[derive(Args, Debug)]
pub struct PhsArgs {
    #[command(flatten)]
    table: TableArgs,
}

/// Endpoint types of `sonde stats endpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EndpointType {
    /// Ethernet (MAC) addresses.
    Eth,
    /// IPv4 addresses.
    Ip,
    /// IPv6 addresses.
    Ipv6,
    /// IP addresses with TCP ports.
    Tcp,
    /// IP addresses with UDP ports.
    Udp,
}

/// Arguments of `sonde stats endpoints`.
#[derive(Args, Debug)]
pub struct EndpointsArgs {
    /// Endpoint type.
    #[arg(value_enum)]
    kind: EndpointType,
    #[command(flatten)]
    table: TableArgs,
    /// Show MAC addresses as numbers, without the vendor's name.
    #[arg(short = 'n')]
    no_resolve: bool,
}

/// Arguments of `sonde stats io`.
#[derive(Args, Debug)]
pub struct IoArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Interval length in seconds (`0.5`, `1`, `60`); 0 is the whole capture.
    /// Decimals written are decimals shown (`1.00`), as in tshark.
    #[arg(short = 'i', long, value_name = "S", default_value = "1")]
    interval: String,
}

/// Compiles the filter of a table, or says why it is wrong.
fn table_filter(t: &TableArgs) -> Result<Option<sonde_filter::Filter>, ExitCode> {
    match t
        .display_filter
        .as_deref()
        .map(sonde_filter::Filter::compile)
    {
        Some(Err(e)) => {
            eprintln!("sonde: invalid display filter:\n{e}");
            Err(ExitCode::from(2))
        }
        Some(Ok(f)) => Ok(Some(f)),
        None => Ok(None),
    }
}

/// Feeds every frame of the capture to `each` (with whether it passes the
/// filter), then prints what `print` writes.
fn run_table<S>(
    t: &TableArgs,
    mut state: S,
    each: impl Fn(&mut S, &sonde_dissect::Dissection, &[u8], bool),
    print: impl FnOnce(&S, &mut String, Option<&str>, bool),
) -> ExitCode {
    let filter = match table_filter(t) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let r = crate::cmd_read::for_each_frame(
        &t.file,
        Options::default(),
        crate::cmd_read::Tree::Full { labels: false },
        None,
        |d, data, _| {
            let pass = filter.as_ref().is_none_or(|f| f.matches(d, data));
            each(&mut state, d, data, pass);
            Ok(true)
        },
    );
    if let Err(e) = r {
        eprintln!("sonde: {e}");
        return ExitCode::from(1);
    }
    let mut out = String::new();
    print(
        &state,
        &mut out,
        t.display_filter.as_deref(),
        t.format == TableFormat::Json,
    );
    let _ = io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}

fn push_json(out: &mut String, v: &serde_json::Value) {
    out.push_str(&serde_json::to_string_pretty(v).unwrap_or_default());
    out.push('\n');
}

/// Runs `sonde stats phs`.
fn run_phs(a: PhsArgs) -> ExitCode {
    run_table(
        &a.table,
        sonde_output::stats::Phs::new(),
        |phs, d, _, pass| {
            if pass {
                phs.add(d)
            }
        },
        |phs, out, filter, json| {
            if json {
                push_json(out, &phs.to_json(filter));
            } else {
                phs.write_text(out, filter);
            }
        },
    )
}

/// Runs `sonde stats endpoints`.
fn run_endpoints(a: EndpointsArgs) -> ExitCode {
    use sonde_output::stats::EndpointKind as K;
    let kind = match a.kind {
        EndpointType::Eth => K::Eth,
        EndpointType::Ip => K::Ip,
        EndpointType::Ipv6 => K::Ipv6,
        EndpointType::Tcp => K::Tcp,
        EndpointType::Udp => K::Udp,
    };
    let resolve = !a.no_resolve;
    run_table(
        &a.table,
        sonde_output::stats::Endpoints::new(kind),
        |table, d, data, pass| {
            if pass {
                table.add(d, data)
            }
        },
        |table, out, filter, json| {
            if json {
                push_json(out, &table.to_json(filter, resolve));
            } else {
                table.write_text(out, filter, resolve);
            }
        },
    )
}

/// Runs `sonde stats io`.
fn run_io(a: IoArgs) -> ExitCode {
    let Some(io_stat) = sonde_output::stats::IoStat::new(&a.interval) else {
        eprintln!(
            "sonde: invalid interval '{}': give seconds, at least 0.000001, or 0 for the whole capture",
            a.interval
        );
        return ExitCode::from(2);
    };
    run_table(
        &a.table,
        io_stat,
        |io_stat, d, _, pass| io_stat.add(d.frame.rel_ns, d.frame.orig_len, pass),
        |io_stat, out, filter, json| {
            if json {
                push_json(out, &io_stat.to_json(filter));
            } else {
                io_stat.write_text(out, filter);
            }
        },
    )
}
