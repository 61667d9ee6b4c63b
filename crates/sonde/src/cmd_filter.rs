//! `sonde filter check`: compile a display filter without a capture, to learn
//! whether it is valid and how it was understood.

use clap::{Args, Subcommand};
use std::process::ExitCode;

/// `sonde filter` subcommands.
#[derive(Subcommand, Debug)]
pub enum FilterCommand {
    /// Check a display filter: print its parsed form (grouping made explicit)
    /// and exit 0, or explain what is wrong, where, and exit 2.
    Check(CheckArgs),
}

/// Arguments of `sonde filter check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The filter, in Wireshark's display-filter language, e.g.
    /// 'tcp.port == 22 && ip.src == 10.0.0.0/8'.
    #[arg(value_name = "EXPR")]
    expr: String,
}

/// Runs a `sonde filter` subcommand.
pub fn run(cmd: FilterCommand) -> ExitCode {
    match cmd {
        FilterCommand::Check(a) => match sonde_filter::Filter::compile(&a.expr) {
            Ok(f) => {
                println!("{}", f.canonical());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sonde: invalid display filter:\n{e}");
                ExitCode::from(2)
            }
        },
    }
}
