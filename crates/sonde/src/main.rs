//! `sonde`: the command-line front end. Arguments in, a run of one command out;
//! the work itself lives in the library crates.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd_capture;
mod cmd_filter;
mod cmd_follow;
mod cmd_host;
mod cmd_read;
mod cmd_stats;

/// Network analysis for students and admins: capture files dissected like
/// Wireshark, the host's addresses, sockets and reachability.
#[derive(Parser)]
#[command(name = "sonde", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a capture file: one summary line per frame (like `tshark -r`), the
    /// detail tree (-V), a hex dump (-x), chosen fields (-T fields -e F) or JSON.
    Read(cmd_read::ReadArgs),
    /// Explain every field of one frame: layer, PDU name, offset, length, bytes,
    /// value in decimal and hex (binary for bit fields) and what it means.
    Explain(cmd_read::ExplainArgs),
    /// List the field registry, like `tshark -G fields`: kind, name, abbreviation.
    Fields(cmd_read::FieldsArgs),
    /// Capture live packets with libpcap (like `tshark -i` / `dumpcap`): BPF
    /// filter, pcapng file with ring buffer, summary lines as packets arrive.
    Capture(cmd_capture::CaptureArgs),
    /// Statistics over a capture file, like `tshark -q -z`: conversations
    /// (`stats conv tcp|udp|ip|ipv6|eth`) and TCP connections.
    #[command(subcommand)]
    Stats(cmd_stats::StatsCommand),
    /// Follow a TCP or UDP stream: its payload, each direction in order, like
    /// `tshark -q -z follow,tcp,ascii,N` (--format ascii|hex|raw).
    Follow(cmd_follow::FollowArgs),
    /// Display filters: `sonde filter check EXPR` says whether a filter is
    /// valid, how it was understood, or what is wrong and where.
    #[command(subcommand)]
    Filter(cmd_filter::FilterCommand),
    #[command(flatten)]
    Host(cmd_host::HostCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Read(a) => cmd_read::run_read(a),
        Command::Explain(a) => cmd_read::run_explain(a),
        Command::Fields(a) => cmd_read::run_fields(a),
        Command::Capture(a) => cmd_capture::run(a),
        Command::Stats(cmd) => cmd_stats::run(cmd),
        Command::Follow(a) => cmd_follow::run(a),
        Command::Filter(cmd) => cmd_filter::run(cmd),
        Command::Host(cmd) => cmd_host::run(cmd),
    }
}
