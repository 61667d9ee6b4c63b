//! Host views: what this machine looks like from the inside.
//!
//! - [`ifaces`]: interfaces, addresses, gateways, DNS (`ip a`, `ipconfig /all`);
//! - [`subnet`]: "are these hosts in the same IP network?", with the AND shown bit by bit;
//! - [`ping`]: ICMP echo with iputils-style output and statistics;
//! - [`sockets`]: TCP and UDP sockets with their process, service, role and port class (`ss -tanp`);
//! - [`probe`]: TCP connect tests (open, closed, no answer).
//!
//! Everything here is Linux-specific: it reads netlink and `/proc`.
#![deny(unsafe_code)]

pub mod ifaces;
pub mod netlink;
pub mod ping;
pub mod probe;
pub mod services;
pub mod sockets;
pub mod subnet;

use std::fmt;

/// An error from a host view, with what was being done and why it failed.
#[derive(Debug)]
pub enum HostError {
    /// The user's input cannot be used (bad address, mask, port, ...).
    Input(String),
    /// No interface has this name.
    NoSuchInterface(String),
    /// A name could not be resolved to an address.
    Resolve {
        /// The name as given.
        host: String,
        /// Why it failed.
        reason: String,
    },
    /// The operating system refused or failed a call.
    Os {
        /// What was being done ("open an ICMP socket", ...).
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl HostError {
    /// Exit code that the CLI should use: 2 for every error, like iputils and ss.
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// A hint for the user, when one helps (missing privilege, ...).
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            HostError::Os { source, .. }
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                Some("this needs more privileges: run as root, or allow unprivileged ICMP with sysctl net.ipv4.ping_group_range")
            }
            _ => None,
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Input(msg) => f.write_str(msg),
            HostError::NoSuchInterface(name) => {
                write!(f, "there is no network interface named '{name}' (see `sonde ifaces` for the list)")
            }
            HostError::Resolve { host, reason } => write!(f, "{host}: {reason}"),
            HostError::Os { what, source } => write!(f, "cannot {what}: {source}"),
        }
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HostError::Os { source, .. } => Some(source),
            _ => None,
        }
    }
}
