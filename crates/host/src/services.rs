//! Names for ports and hardware addresses, borrowed from the dissector's
//! tables so that `sonde sockets` and the packet views agree.

/// IANA service name of a TCP port (`22` → `ssh`), when one is known.
pub fn tcp_name(port: u16) -> Option<&'static str> {
    let _ = port;
    None
}

/// IANA service name of a UDP port (`53` → `domain`), when one is known.
pub fn udp_name(port: u16) -> Option<&'static str> {
    let _ = port;
    None
}

/// The manufacturer of a MAC address from its OUI, as (short, long) names.
pub fn vendor(mac: [u8; 6]) -> Option<(&'static str, &'static str)> {
    let _ = mac;
    None
}
