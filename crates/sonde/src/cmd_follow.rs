//! `sonde follow`: the payload of one TCP or UDP stream, like
//! `tshark -q -z follow,tcp,ascii,N`.

use clap::{Args, ValueEnum};
use sonde_dissect::Options;
use sonde_output::follow::{FollowFormat, FollowProto, Follower};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Protocols `sonde follow` can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Proto {
    /// A TCP stream (`tcp.stream`), reassembled in sequence order.
    Tcp,
    /// A UDP stream (`udp.stream`), one chunk per datagram.
    Udp,
}

/// Layouts of `sonde follow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Printable characters (others as `.`), each chunk after its length.
    Ascii,
    /// Offset, hex bytes and ASCII, 16 bytes a line.
    Hex,
    /// Each chunk as one line of hex digits.
    Raw,
}

/// Arguments of `sonde follow`.
#[derive(Args, Debug)]
pub struct FollowArgs {
    /// Protocol of the stream.
    #[arg(value_enum)]
    proto: Proto,
    /// Stream index, as `tcp.stream` / `udp.stream` (see `sonde stats conv tcp`).
    #[arg(value_name = "STREAM")]
    stream: u32,
    /// Capture file: pcap or pcapng, gzip-compressed or not; `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Layout of the payload, as tshark's follow modes.
    #[arg(long, value_enum, default_value = "ascii")]
    format: Format,
    /// Most out-of-order TCP bytes held while waiting for a gap to fill (MiB).
    #[arg(long, value_name = "MIB", default_value_t = 32)]
    buffer_mib: usize,
}

/// Runs `sonde follow`.
pub fn run(a: FollowArgs) -> ExitCode {
    let proto = match a.proto {
        Proto::Tcp => FollowProto::Tcp,
        Proto::Udp => FollowProto::Udp,
    };
    let format = match a.format {
        Format::Ascii => FollowFormat::Ascii,
        Format::Hex => FollowFormat::Hex,
        Format::Raw => FollowFormat::Raw,
    };
    let mut f = Follower::new(proto, a.stream, format);
    f.set_buffer_limit(a.buffer_mib.saturating_mul(1 << 20));
    let stdout = io::stdout();
    let mut w = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut buf = String::new();
    let r = crate::cmd_read::for_each_frame(
        &a.file,
        Options::default(),
        crate::cmd_read::Tree::Full { labels: false },
        None,
        |d, data, _| {
            f.add(d, data, &mut buf);
            if !buf.is_empty() {
                w.write_all(buf.as_bytes())?;
                buf.clear();
            }
            Ok(true)
        },
    );
    f.finish(&mut buf);
    let _ = w.write_all(buf.as_bytes());
    let _ = w.flush();
    drop(w);
    if f.dropped() > 0 {
        eprintln!(
            "sonde: {} out-of-order bytes were dropped: more than {} MiB waited for a gap to fill (raise --buffer-mib)",
            f.dropped(),
            a.buffer_mib
        );
    }
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sonde: {e}");
            ExitCode::from(1)
        }
    }
}
