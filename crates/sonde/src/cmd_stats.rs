//! `sonde stats`: statistics over a capture file, like `tshark -q -z`.

use clap::{Args, Subcommand, ValueEnum};
use sonde_dissect::Options;
use sonde_output::conv::{ConvTable, ConvType};
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
    let r = crate::cmd_read::for_each_frame(
        &a.file,
        Options::default(),
        true,
        false,
        filter.as_ref(),
        |d, data, _| {
            table.add(d, data);
            Ok(true)
        },
    );
    if let Err(e) = r {
        eprintln!("sonde: {e}");
        return ExitCode::from(1);
    }
    let mut out = String::new();
    match a.format {
        ConvFormat::Text => table.write_text(&mut out),
        ConvFormat::Json => table.write_json(&mut out),
    }
    let _ = io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
