//! `sonde capture`: live capture with libpcap, like `tshark -i` / `dumpcap`.
//!
//! Packets go to a pcapng file (`-w`, with tshark's ring buffer `-b`) and/or
//! are printed as summary lines as they arrive. Ctrl-C and SIGTERM set a flag
//! that the loop checks between packets (libpcap wakes up every 100 ms even
//! on a silent interface), so the file is always closed properly: every
//! packet received, then the interface statistics.

use clap::Args;
use sonde_capture::live::{
    list_interfaces, resolve_interface, LiveCapture, LiveError, LiveFileWriter, LiveInterface,
    LiveOptions, LiveStats, RingOptions, DEFAULT_SNAPLEN,
};
use sonde_capture::Frame;
use sonde_dissect::{Dissection, Dissector, Options};
use sonde_filter::Filter;
use sonde_output::summary::{write_summary, SummaryOptions};
use sonde_output::TimeFormat;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `sonde capture`.
#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// List the interfaces libpcap can capture on, with their state and
    /// addresses, and exit (like `tshark -D`).
    #[arg(short = 'D', long = "list-interfaces")]
    list: bool,
    /// Interface to capture on: a name (eth0, lo, any) or its number in -D's
    /// list. Default: the first interface that is up and not a loopback.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,
    /// Capture filter in libpcap's BPF syntax, e.g. 'tcp port 80 and host
    /// 10.0.0.1' (man pcap-filter). Only matching packets are captured.
    #[arg(short = 'f', value_name = "FILTER")]
    filter: Option<String>,
    /// Snapshot length: bytes kept of each packet (0 = 262144, the default).
    #[arg(short = 's', long = "snapshot-length", value_name = "BYTES")]
    snaplen: Option<u32>,
    /// Do not put the interface in promiscuous mode (it is by default).
    #[arg(short = 'p', long = "no-promiscuous-mode")]
    no_promisc: bool,
    /// Kernel capture buffer size in MiB (default 2).
    #[arg(short = 'B', long = "buffer-size", value_name = "MiB")]
    buffer_mib: Option<u32>,
    /// Stop after this many packets.
    #[arg(short = 'c', value_name = "N")]
    count: Option<u64>,
    /// Stop condition (repeatable): duration:SECONDS, filesize:KB (1 kB =
    /// 1000 bytes, over all files written), packets:N, files:N (ring buffer).
    #[arg(short = 'a', long = "autostop", value_name = "COND")]
    autostop: Vec<String>,
    /// Ring buffer (repeatable, needs -w FILE): filesize:KB and/or
    /// duration:SECONDS start a new file, files:N keeps only the newest N.
    /// Files are named like tshark's: BASE_00001_YYYYmmddHHMMSS.EXT (UTC).
    #[arg(short = 'b', long = "ring-buffer", value_name = "COND")]
    ring: Vec<String>,
    /// Write the packets to this pcapng file (`-` for standard output) with
    /// the interface description and, at the end, its statistics.
    #[arg(short = 'w', value_name = "FILE")]
    write: Option<PathBuf>,
    /// With -w, also print a summary line for each packet.
    #[arg(short = 'P', long = "print")]
    print: bool,
    /// Quiet: no summary lines and no running packet count; the totals are
    /// still printed to stderr at the end.
    #[arg(short = 'q')]
    quiet: bool,
    /// Display filter, in Wireshark's language (e.g. 'tcp.port == 22 &&
    /// ip.src == 10.0.0.1'): print only the packets it matches; the file
    /// (-w) still gets every packet.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Time column: r relative to the first packet, a absolute, ad absolute
    /// with date, d delta, dd delta displayed, e epoch, u UTC, ud UTC with date.
    #[arg(short = 't', value_name = "FORMAT", default_value = "r")]
    time: String,
    /// Do not resolve MAC address vendors in the address columns.
    #[arg(short = 'n')]
    no_resolve: bool,
    /// Flush standard output after each line (it is when it is a terminal).
    #[arg(short = 'l')]
    line_buffered: bool,
}

/// Stop conditions from -c and -a.
#[derive(Debug, Default, Clone, Copy)]
struct AutoStop {
    packets: Option<u64>,
    duration: Option<Duration>,
    filesize: Option<u64>,
    files: Option<u64>,
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("sonde: {msg}");
    ExitCode::from(2)
}

fn split_cond<'a>(opt: &str, s: &'a str) -> Result<(&'a str, &'a str), String> {
    s.split_once(':').ok_or_else(|| {
        format!("invalid {opt} '{s}': write it as KEY:VALUE, e.g. {opt} duration:10")
    })
}

fn number<T: std::str::FromStr>(opt: &str, s: &str, v: &str, what: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("invalid {opt} '{s}': {what} must be a whole number"))
}

fn seconds(opt: &str, s: &str, v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|x| *x > 0.0)
        .and_then(|x| Duration::try_from_secs_f64(x).ok())
        .ok_or_else(|| format!("invalid {opt} '{s}': the duration is a number of seconds over 0"))
}

fn kilobytes(opt: &str, s: &str, v: &str) -> Result<u64, String> {
    let kb: u64 = number(opt, s, v, "the size in kB")?;
    if kb == 0 {
        return Err(format!(
            "invalid {opt} '{s}': the size must be at least 1 kB"
        ));
    }
    Ok(kb.saturating_mul(1000))
}

fn parse_autostop(a: &CaptureArgs) -> Result<AutoStop, String> {
    let mut st = AutoStop {
        packets: a.count,
        ..AutoStop::default()
    };
    for s in &a.autostop {
        let (k, v) = split_cond("-a", s)?;
        match k {
            "duration" => st.duration = Some(seconds("-a", s, v)?),
            "filesize" => st.filesize = Some(kilobytes("-a", s, v)?),
            "packets" => {
                let n: u64 = number("-a", s, v, "the packet count")?;
                st.packets = Some(st.packets.map_or(n, |c| c.min(n)));
            }
            "files" => st.files = Some(number("-a", s, v, "the file count")?),
            _ => {
                return Err(format!(
                    "invalid -a '{s}': use duration:SECONDS, filesize:KB, packets:N or files:N"
                ))
            }
        }
    }
    Ok(st)
}

fn parse_ring(a: &CaptureArgs) -> Result<RingOptions, String> {
    let mut r = RingOptions::default();
    for s in &a.ring {
        let (k, v) = split_cond("-b", s)?;
        match k {
            "filesize" => r.filesize = Some(kilobytes("-b", s, v)?),
            "duration" => r.duration = Some(seconds("-b", s, v)?),
            "files" => r.files = Some(number("-b", s, v, "the file count")?),
            _ => {
                return Err(format!(
                    "invalid -b '{s}': use filesize:KB, duration:SECONDS or files:N"
                ))
            }
        }
    }
    if !a.ring.is_empty() && !r.switches() {
        return Err("a ring buffer needs -b filesize:KB or -b duration:SECONDS \
                    to know when to start a new file"
            .into());
    }
    Ok(r)
}

/// `1. eth0 [Up, Running]  10.0.0.2/24 fe80::1/64`
fn format_interface(n: usize, i: &LiveInterface) -> String {
    let mut line = format!("{n}. {}", i.name);
    if let Some(d) = &i.description {
        line.push_str(&format!(" ({d})"));
    }
    let mut flags = vec![if i.up { "Up" } else { "Down" }];
    if i.running {
        flags.push("Running");
    }
    if i.loopback {
        flags.push("Loopback");
    }
    if i.wireless {
        flags.push("Wireless");
    }
    line.push_str(&format!(" [{}]", flags.join(", ")));
    if !i.addresses.is_empty() {
        let addrs: Vec<String> = i.addresses.iter().map(ToString::to_string).collect();
        line.push_str("  ");
        line.push_str(&addrs.join(" "));
    }
    line
}

fn live_fail(e: &LiveError) -> ExitCode {
    eprintln!("sonde: {e}");
    if let Some(h) = e.hint() {
        eprintln!("sonde: {h}");
    }
    ExitCode::from(2)
}

fn run_list() -> ExitCode {
    match list_interfaces() {
        Ok(list) => {
            let mut out = io::stdout().lock();
            for (n, i) in list.iter().enumerate() {
                if writeln!(out, "{}", format_interface(n + 1, i)).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => live_fail(&e),
    }
}

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP set the flag; the capture loop sees
/// it within one read timeout.
fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    if let Err(e) = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst)) {
        eprintln!("sonde: cannot catch Ctrl-C ({e}); stop the capture with -c or -a");
    }
    flag
}

/// Where summary lines go while capturing.
enum Sink {
    None,
    Stdout(io::BufWriter<io::Stdout>),
    Stderr,
}

/// Dissects captured frames and prints their summary lines (those the
/// display filter matches).
struct LinePrinter {
    sink: Sink,
    flush_each: bool,
    dis: Dissector,
    d: Dissection,
    line: String,
    summary: SummaryOptions,
    filter: Option<Filter>,
}

impl LinePrinter {
    fn print(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        if matches!(self.sink, Sink::None) {
            return Ok(());
        }
        self.dis.dissect(frame, &mut self.d);
        if let Some(f) = &self.filter {
            if !f.matches(&self.d, frame.data) {
                return Ok(());
            }
        }
        self.dis.mark_displayed(&self.d);
        self.line.clear();
        write_summary(&mut self.line, &self.d, &self.summary);
        self.line.push('\n');
        match &mut self.sink {
            Sink::Stdout(p) => {
                p.write_all(self.line.as_bytes())?;
                if self.flush_each {
                    p.flush()?;
                }
                Ok(())
            }
            Sink::Stderr => io::stderr().write_all(self.line.as_bytes()),
            Sink::None => Ok(()),
        }
    }

    fn flush(&mut self) {
        if let Sink::Stdout(p) = &mut self.sink {
            let _ = p.flush();
        }
    }
}

/// Runs `sonde capture`.
pub fn run(a: CaptureArgs) -> ExitCode {
    if a.list {
        return run_list();
    }
    let stop_at = match parse_autostop(&a) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let ring = match parse_ring(&a) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let Some(time) = TimeFormat::parse(&a.time) else {
        return fail(&format!(
            "invalid time format '{}': use r, a, ad, d, dd, e, u or ud",
            a.time
        ));
    };
    let to_stdout = a.write.as_deref() == Some(std::path::Path::new("-"));
    if ring.switches() && (a.write.is_none() || to_stdout) {
        return fail("a ring buffer (-b) needs -w FILE");
    }
    if stop_at.files.is_some() && !ring.switches() {
        return fail("-a files:N counts ring buffer files: add -b filesize:KB or -b duration:S");
    }
    if stop_at.filesize.is_some() && a.write.is_none() {
        return fail("-a filesize:KB needs a file to measure: add -w FILE");
    }
    let printing = !a.quiet && (a.write.is_none() || a.print);
    let display_filter = match a.display_filter.as_deref() {
        None => None,
        Some(_) if !printing => {
            return fail(
                "-Y chooses which packets are printed, and nothing is printed here: \
                 with -w add -P (the file gets every packet), and drop -q",
            )
        }
        Some(expr) => match Filter::compile(expr) {
            Ok(f) => Some(f),
            Err(e) => return fail(&format!("invalid display filter:\n{e}")),
        },
    };
    if stop_at.packets == Some(0) {
        return ExitCode::SUCCESS;
    }

    let list = match list_interfaces() {
        Ok(l) => l,
        Err(e) => return live_fail(&e),
    };
    let iface = match resolve_interface(a.interface.as_deref(), &list) {
        Ok(i) => i,
        Err(e) => return live_fail(&e),
    };
    let mut opts = LiveOptions::new(&iface.name);
    opts.snaplen = a.snaplen.unwrap_or(DEFAULT_SNAPLEN);
    opts.promisc = !a.no_promisc;
    opts.filter = a.filter.clone();
    opts.description = iface.description.clone();
    if let Some(mib) = a.buffer_mib {
        opts.buffer_size = mib.saturating_mul(1024 * 1024).max(65536);
    }
    let mut cap = match LiveCapture::open(&opts) {
        Ok(c) => c,
        Err(e) => return live_fail(&e),
    };
    let mut writer = match &a.write {
        None => None,
        Some(p) => {
            let path = (!to_stdout).then_some(p.as_path());
            match LiveFileWriter::create(path, ring, cap.description()) {
                Ok(w) => Some(w),
                Err(e) => return fail(&format!("cannot create {}: {e}", p.display())),
            }
        }
    };

    let sink = if !printing {
        Sink::None
    } else if to_stdout {
        Sink::Stderr
    } else {
        Sink::Stdout(io::BufWriter::with_capacity(1 << 16, io::stdout()))
    };
    let show_count = writer.is_some() && !printing && !a.quiet && io::stderr().is_terminal();

    let stop = stop_flag();
    eprintln!("Capturing on '{}'", cap.interface());

    let mut lines = LinePrinter {
        sink,
        flush_each: a.line_buffered || io::stdout().is_terminal(),
        dis: Dissector::new(Options::default()),
        d: Dissection::new(),
        line: String::with_capacity(512),
        summary: SummaryOptions {
            time,
            precision: 9,
            resolve_mac: !a.no_resolve,
        },
        filter: display_filter,
    };
    crate::cmd_read::prepare(
        &mut lines.d,
        crate::cmd_read::Tree::Columns,
        lines.filter.as_ref(),
    );
    lines
        .dis
        .set_interfaces(vec![Some(cap.interface().to_string())], vec![1]);

    let started = Instant::now();
    let mut last_flush = Instant::now();
    let mut last_count = Instant::now();
    let mut captured = 0u64;
    let mut stats: Option<LiveStats> = None;
    let mut failure: Option<String> = None;
    let flush_every = Duration::from_secs(1);

    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if stop_at.duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        if last_flush.elapsed() >= flush_every {
            last_flush = Instant::now();
            stats = cap.stats().ok().or(stats);
            if let Some(w) = &mut writer {
                if let Err(e) = w.flush() {
                    failure = Some(format!("writing the capture file: {e}"));
                    break;
                }
            }
            lines.flush();
        }
        if let Some(w) = &writer {
            if w.should_switch() {
                if stop_at.files.is_some_and(|n| w.files_started() >= n) {
                    break;
                }
                stats = cap.stats().ok().or(stats);
            }
        }
        let frame = match cap.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => continue,
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        };
        captured += 1;
        let mut last = false;
        if let Some(w) = &mut writer {
            if w.should_switch() {
                if stop_at.files.is_some_and(|n| w.files_started() >= n) {
                    // The last allowed file is full, but a received packet is
                    // never dropped: it goes in, then the capture stops.
                    last = true;
                } else if let Err(e) = w.switch(stats.as_ref()) {
                    failure = Some(format!("starting the next ring buffer file: {e}"));
                    break;
                }
            }
            if let Err(e) = w.write(&frame) {
                failure = Some(format!("writing the capture file: {e}"));
                break;
            }
        }
        if let Err(e) = lines.print(&frame) {
            if e.kind() != io::ErrorKind::BrokenPipe {
                failure = Some(format!("writing output: {e}"));
            }
            break;
        }
        if show_count && last_count.elapsed() >= Duration::from_millis(100) {
            last_count = Instant::now();
            eprint!("\r{captured} ");
        }
        if last || stop_at.packets.is_some_and(|n| captured >= n) {
            break;
        }
        if let Some(w) = &writer {
            if stop_at.filesize.is_some_and(|s| w.total_bytes() >= s) {
                break;
            }
        }
    }

    let stats = cap.stats().ok().or(stats);
    lines.flush();
    if let Some(w) = writer {
        if let Err(e) = w.finish(stats.as_ref()) {
            failure.get_or_insert(format!("writing the capture file: {e}"));
        }
    }
    if show_count {
        eprintln!("\r{captured} ");
    }
    eprintln!(
        "{captured} packet{} captured",
        if captured == 1 { "" } else { "s" }
    );
    if let Some(s) = stats {
        eprintln!("{} packets received by filter", s.received);
        eprintln!("{} packets dropped by kernel", s.dropped);
        eprintln!("{} packets dropped by interface", s.if_dropped);
    }
    match failure {
        Some(f) => {
            eprintln!("sonde: {f}");
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: CaptureArgs,
    }

    fn args(v: &[&str]) -> CaptureArgs {
        let mut all = vec!["capture"];
        all.extend_from_slice(v);
        T::parse_from(all).a
    }

    #[test]
    fn autostop_conditions() {
        let a = args(&[
            "-c",
            "9",
            "-a",
            "duration:1.5",
            "-a",
            "packets:5",
            "-a",
            "filesize:2",
        ]);
        let s = parse_autostop(&a).unwrap();
        assert_eq!(s.packets, Some(5));
        assert_eq!(s.duration, Some(Duration::from_millis(1500)));
        assert_eq!(s.filesize, Some(2000));
        for bad in [
            "duration",
            "duration:x",
            "duration:0",
            "size:3",
            "filesize:0",
        ] {
            let e = parse_autostop(&args(&["-a", bad])).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn ring_conditions() {
        let r = parse_ring(&args(&["-b", "filesize:10", "-b", "files:3"])).unwrap();
        assert_eq!(r.filesize, Some(10_000));
        assert_eq!(r.files, Some(3));
        assert!(parse_ring(&args(&["-b", "files:3"])).is_err());
        assert!(parse_ring(&args(&["-b", "bogus:3"])).is_err());
    }

    #[test]
    fn interface_lines() {
        let i = LiveInterface {
            name: "lo".into(),
            description: None,
            addresses: vec![sonde_capture::live::LiveAddress {
                addr: "127.0.0.1".parse().unwrap(),
                prefix: Some(8),
            }],
            up: true,
            running: true,
            loopback: true,
            wireless: false,
        };
        assert_eq!(
            format_interface(3, &i),
            "3. lo [Up, Running, Loopback]  127.0.0.1/8"
        );
    }
}
