//! Names for ports and hardware addresses, borrowed from the dissector's
//! tables so that `sonde sockets`, `sonde probe` and the packet views agree.

/// IANA service name of a TCP port (`22` → `ssh`), when one is known.
pub fn tcp_name(port: u16) -> Option<&'static str> {
    sonde_dissect::ports::tcp_name(port)
}

/// IANA service name of a UDP port (`53` → `domain`), when one is known.
pub fn udp_name(port: u16) -> Option<&'static str> {
    sonde_dissect::ports::udp_name(port)
}

/// The manufacturer of a MAC address from its OUI, as (short, long) names.
pub fn vendor(mac: [u8; 6]) -> Option<(&'static str, &'static str)> {
    sonde_dissect::oui::vendor(mac)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_come_from_the_dissector() {
        assert_eq!(super::tcp_name(22), Some("ssh"));
        assert_eq!(super::udp_name(53), Some("domain"));
        // The seed's Windows host: Dell.
        assert!(super::vendor([0xd8, 0x9e, 0xf3, 0x12, 0xd6, 0xa7]).is_some());
    }
}
