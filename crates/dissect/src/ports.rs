//! Port numbers: service names from the IANA registry (Wireshark's `services`
//! file, vendored) and the IANA port classes.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

struct Services {
    tcp: HashMap<u16, &'static str>,
    udp: HashMap<u16, &'static str>,
}

fn services() -> &'static Services {
    static S: OnceLock<Services> = OnceLock::new();
    S.get_or_init(|| {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&include_bytes!("../data/services.gz")[..])
            .read_to_string(&mut text)
            .expect("vendored data is valid gzip'd UTF-8");
        let text: &'static str = Box::leak(text.into_boxed_str());
        let mut s = Services {
            tcp: HashMap::new(),
            udp: HashMap::new(),
        };
        for line in text.lines() {
            let mut cols = line.split_whitespace();
            let (Some(name), Some(spec)) = (cols.next(), cols.next()) else {
                continue;
            };
            let mut parts = spec.split('/');
            let Some(Ok(port)) = parts.next().map(str::parse::<u16>) else {
                continue;
            };
            for proto in parts {
                match proto {
                    "tcp" => s.tcp.entry(port).or_insert(name),
                    "udp" => s.udp.entry(port).or_insert(name),
                    _ => continue,
                };
            }
        }
        s
    })
}

/// The IANA service name of a TCP port (`80` → `http`).
pub fn tcp_name(port: u16) -> Option<&'static str> {
    services().tcp.get(&port).copied()
}

/// The IANA service name of a UDP port (`53` → `domain`).
pub fn udp_name(port: u16) -> Option<&'static str> {
    services().udp.get(&port).copied()
}

/// The IANA class of a port number (RFC 6335).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortClass {
    /// 0-1023: system or well-known ports, assigned to services.
    WellKnown,
    /// 1024-49151: user or registered ports.
    Registered,
    /// 49152-65535: dynamic or private ports, used as ephemeral client ports.
    Dynamic,
}

impl PortClass {
    /// The class of `port`.
    pub fn of(port: u16) -> PortClass {
        match port {
            0..=1023 => PortClass::WellKnown,
            1024..=49151 => PortClass::Registered,
            _ => PortClass::Dynamic,
        }
    }

    /// A short English description with the range.
    pub fn describe(self) -> &'static str {
        match self {
            PortClass::WellKnown => "well-known port (0-1023), assigned to a service",
            PortClass::Registered => "registered port (1024-49151)",
            PortClass::Dynamic => {
                "dynamic port (49152-65535): an ephemeral port the client's system picked"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_classes() {
        assert_eq!(tcp_name(80), Some("http"));
        assert_eq!(tcp_name(22), Some("ssh"));
        assert_eq!(tcp_name(3389), Some("ms-wbt-server"));
        assert_eq!(udp_name(53), Some("domain"));
        assert_eq!(PortClass::of(62908), PortClass::Dynamic);
        assert_eq!(PortClass::of(8080), PortClass::Registered);
        assert_eq!(PortClass::of(80), PortClass::WellKnown);
    }
}
