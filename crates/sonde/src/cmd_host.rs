//! Host-side commands (interfaces, subnet, ping, sockets, probe): arguments
//! in, a call into `sonde_host`, text or JSON out.
use clap::{Args, Subcommand};
use sonde_host::{ifaces, ping, probe, sockets, subnet, HostError};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Commands that look at this host rather than at a capture.
#[derive(Subcommand)]
pub enum HostCommand {
    /// Interfaces with their addresses, masks, networks, leases, gateways and
    /// DNS servers (like `ip a` and `ipconfig /all` together).
    Ifaces(IfacesArgs),
    /// Are these hosts in the same IP network? Shows each address AND its mask
    /// bit by bit, the network, broadcast and host range.
    Subnet(SubnetArgs),
    /// Send ICMP echo requests and print the replies and statistics like
    /// iputils' ping (IPv4 and IPv6).
    Ping(PingArgs),
    /// TCP and UDP sockets like `ss`, with owning process, service name, role
    /// (server or client) and port class.
    Sockets(SocketsArgs),
    /// TCP connect test: is each port open, closed (refused) or silent
    /// (filtered, or host down)?
    Probe(ProbeArgs),
}

/// `sonde ifaces`.
#[derive(Args)]
pub struct IfacesArgs {
    /// Show only this interface (e.g. eth0).
    pub name: Option<String>,
    /// Print JSON instead of text.
    #[arg(short = 'j', long)]
    pub json: bool,
}

/// `sonde subnet`.
#[derive(Args)]
pub struct SubnetArgs {
    /// Addresses with their masks: 172.17.2.140/255.255.0.0, 172.17.2.149/16,
    /// 2001:db8::1/64, or a bare address when --mask is given.
    #[arg(required = true, value_name = "ADDR[/MASK]")]
    pub hosts: Vec<String>,
    /// Mask for the addresses given without one (255.255.0.0, /16 or 16).
    #[arg(short, long, value_name = "MASK")]
    pub mask: Option<String>,
    /// Print JSON instead of text.
    #[arg(short = 'j', long)]
    pub json: bool,
}

/// `sonde ping`.
#[derive(Args)]
pub struct PingArgs {
    /// Host name or address to ping.
    pub host: String,
    /// Stop after sending this many requests (default: until Ctrl-C).
    #[arg(short = 'c', value_name = "COUNT")]
    pub count: Option<u32>,
    /// Seconds between requests.
    #[arg(short = 'i', value_name = "SECONDS", default_value_t = 1.0)]
    pub interval: f64,
    /// Seconds to wait for replies after the last request.
    #[arg(short = 'W', value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Payload bytes per request (56 makes 64-byte ICMP messages).
    #[arg(short = 's', value_name = "SIZE", default_value_t = 56)]
    pub size: usize,
    /// Time to live (IPv4) or hop limit (IPv6) of the requests.
    #[arg(short = 't', value_name = "TTL", value_parser = clap::value_parser!(u32).range(1..=255))]
    pub ttl: Option<u32>,
    /// Use IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Numeric output only: never print host names.
    #[arg(short = 'n')]
    pub numeric: bool,
}

/// `sonde sockets`.
#[derive(Args)]
pub struct SocketsArgs {
    /// TCP sockets.
    #[arg(short = 't', long)]
    pub tcp: bool,
    /// UDP sockets.
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// Listening sockets only (LISTEN, and UNCONN for UDP).
    #[arg(short = 'l', long)]
    pub listening: bool,
    /// All sockets, listening and connected (default: connected only, like ss).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Numeric addresses and ports (always the case; accepted for ss habits).
    #[arg(short = 'n', long)]
    pub numeric: bool,
    /// Show the owning process (always shown; accepted for ss habits). Other
    /// users' processes need root.
    #[arg(short = 'p', long)]
    pub processes: bool,
    /// IPv4 sockets only.
    #[arg(short = '4', long)]
    pub ipv4: bool,
    /// IPv6 sockets only.
    #[arg(short = '6', long)]
    pub ipv6: bool,
    /// Only sockets whose local or peer port is this one.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Only sockets in this state: LISTEN, ESTAB, TIME-WAIT, SYN-SENT,
    /// CLOSE-WAIT, UNCONN... (netstat names such as ESTABLISHED work too).
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,
    /// Only sockets of a process whose name contains this.
    #[arg(long, value_name = "NAME")]
    pub process: Option<String>,
    /// Print JSON instead of a table.
    #[arg(short = 'j', long)]
    pub json: bool,
    /// Refresh every SECS seconds until Ctrl-C.
    #[arg(long, value_name = "SECS")]
    pub watch: Option<f64>,
}

/// `sonde probe`.
#[derive(Args)]
pub struct ProbeArgs {
    /// Host name or address to test.
    pub host: String,
    /// Ports: 22, 80,443 or ranges such as 20-25.
    #[arg(required = true, value_name = "PORT")]
    pub ports: Vec<String>,
    /// Milliseconds to wait for each connection.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub timeout: u64,
    /// How many connections to try at the same time.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// Print JSON instead of a table.
    #[arg(short = 'j', long)]
    pub json: bool,
}

fn fail(e: &HostError) -> ExitCode {
    eprintln!("sonde: {e}");
    if let Some(h) = e.hint() {
        eprintln!("hint: {h}");
    }
    ExitCode::from(e.exit_code())
}

fn print_json<T: serde::Serialize>(v: &T) -> ExitCode {
    match serde_json::to_string_pretty(v) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sonde: cannot write JSON: {e}");
            ExitCode::from(2)
        }
    }
}

fn seconds(what: &str, s: f64) -> Result<Duration, HostError> {
    Duration::try_from_secs_f64(s).map_err(|_| {
        HostError::Input(format!(
            "invalid {what} '{s}': give a number of seconds, 0 or more"
        ))
    })
}

/// A flag set by Ctrl-C (SIGINT), so that ping prints its summary and
/// --watch stops cleanly.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // If a handler is already installed, Ctrl-C keeps its default effect.
    let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
    flag
}

/// Runs one host command.
pub fn run(cmd: HostCommand) -> ExitCode {
    match cmd {
        HostCommand::Ifaces(a) => run_ifaces(a),
        HostCommand::Subnet(a) => run_subnet(a),
        HostCommand::Ping(a) => run_ping(a),
        HostCommand::Sockets(a) => run_sockets(a),
        HostCommand::Probe(a) => run_probe(a),
    }
}

fn run_ifaces(a: IfacesArgs) -> ExitCode {
    let cfg = match ifaces::host_config() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let cfg = match &a.name {
        Some(n) => match ifaces::select(cfg, n) {
            Ok(c) => c,
            Err(e) => return fail(&e),
        },
        None => cfg,
    };
    if a.json {
        return print_json(&cfg);
    }
    print!("{}", ifaces::render(&cfg, true));
    ExitCode::SUCCESS
}

fn run_subnet(a: SubnetArgs) -> ExitCode {
    let mut hosts = Vec::new();
    for h in &a.hosts {
        match subnet::parse_host(h, a.mask.as_deref()) {
            Ok(p) => hosts.push(p),
            Err(e) => return fail(&e),
        }
    }
    let report = subnet::compare(&hosts);
    if a.json {
        return print_json(&report);
    }
    print!("{}", subnet::render(&report));
    ExitCode::SUCCESS
}

fn run_ping(a: PingArgs) -> ExitCode {
    let opts = (|| -> Result<ping::PingOptions, HostError> {
        Ok(ping::PingOptions {
            count: a.count,
            interval: seconds("interval", a.interval)?,
            timeout: seconds("timeout", a.timeout)?,
            size: a.size,
            ttl: a.ttl,
            family: if a.ipv4 {
                Some(4)
            } else if a.ipv6 {
                Some(6)
            } else {
                None
            },
            numeric: a.numeric,
        })
    })();
    let opts = match opts {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    let stop = interrupt_flag();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match ping::ping(&a.host, &opts, &mut out, &stop) {
        Ok(stats) => ExitCode::from(stats.exit_code()),
        Err(e) => {
            let _ = out.flush();
            fail(&e)
        }
    }
}

fn run_sockets(a: SocketsArgs) -> ExitCode {
    let state = match &a.state {
        Some(s) => match sockets::normalize_state(s) {
            Some(n) => Some(n),
            None => {
                return fail(&HostError::Input(format!(
                    "unknown state '{s}': use LISTEN, ESTAB, SYN-SENT, SYN-RECV, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, CLOSE-WAIT, LAST-ACK, CLOSING or UNCONN"
                )))
            }
        },
        None => None,
    };
    let filter = sockets::Filter {
        tcp: a.tcp,
        udp: a.udp,
        listening: a.listening,
        all: a.all,
        ipv4: a.ipv4,
        ipv6: a.ipv6,
        port: a.port,
        state,
        process: a.process.clone(),
    };
    let show = |filter: &sockets::Filter| -> Result<(), HostError> {
        let entries = sockets::list(filter)?;
        if a.json {
            let s = serde_json::to_string_pretty(&entries)
                .map_err(|e| HostError::Input(format!("cannot write JSON: {e}")))?;
            println!("{s}");
        } else {
            let both = (a.tcp == a.udp) || (a.tcp && a.udp);
            print!("{}", sockets::render(&entries, both));
        }
        Ok(())
    };
    let Some(every) = a.watch else {
        return match show(&filter) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        };
    };
    let every = match seconds("--watch interval", every) {
        Ok(d) => d.max(Duration::from_millis(100)),
        Err(e) => return fail(&e),
    };
    let stop = interrupt_flag();
    while !stop.load(Ordering::SeqCst) {
        if !a.json {
            // Clear the screen and go home, like watch(1).
            print!("\x1b[H\x1b[2J");
            println!(
                "Every {:.1}s: sonde sockets (Ctrl-C to stop)\n",
                every.as_secs_f64()
            );
        }
        if let Err(e) = show(&filter) {
            return fail(&e);
        }
        let _ = std::io::stdout().flush();
        let until = std::time::Instant::now() + every;
        while std::time::Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    ExitCode::SUCCESS
}

fn run_probe(a: ProbeArgs) -> ExitCode {
    let ports = match probe::parse_ports(&a.ports) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let report = match probe::probe(
        &a.host,
        &ports,
        Duration::from_millis(a.timeout.max(1)),
        a.concurrency,
    ) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if a.json {
        return print_json(&report);
    }
    print!("{}", probe::render(&report));
    ExitCode::SUCCESS
}
