//! Host-side commands (interfaces, subnet, ping, sockets, probe).
use clap::Subcommand;
use std::process::ExitCode;

/// Commands that look at this host rather than at a capture.
#[derive(Subcommand)]
pub enum HostCommand {}

/// Runs one host command.
pub fn run(cmd: HostCommand) -> ExitCode {
    match cmd {}
}
