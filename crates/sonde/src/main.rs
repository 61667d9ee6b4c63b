//! `sonde`: the command-line front end. Arguments in, a run of one command out;
//! the work itself lives in the library crates.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd_host;

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
    #[command(flatten)]
    Host(cmd_host::HostCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Host(cmd) => cmd_host::run(cmd),
    }
}
