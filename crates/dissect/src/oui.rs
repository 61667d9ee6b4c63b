//! MAC address vendors, from Wireshark's `manuf` and `wka` files (vendored,
//! gzip-compressed, loaded once on first use), resolved the way Wireshark
//! shows them: `Dell_12:d6:a7`, `Broadcast`, `IPv4mcast_7f:ff:fa`.

use std::io::Read;
use std::sync::OnceLock;

struct Entry {
    prefix: u64, // the address as a 48-bit number, masked to `bits`
    bits: u8,
    short: &'static str,
    long: &'static str,
}

struct Db {
    entries: Vec<Entry>, // sorted by (bits desc, prefix)
    by_bits: Vec<u8>,    // distinct prefix lengths, longest first
}

fn gunzip(data: &[u8]) -> &'static str {
    let mut s = String::new();
    flate2::read::GzDecoder::new(data)
        .read_to_string(&mut s)
        .expect("vendored data is valid gzip'd UTF-8");
    Box::leak(s.into_boxed_str())
}

fn parse_prefix(s: &str) -> Option<(u64, u8)> {
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let mut v = 0u64;
    let mut n = 0u8;
    for part in addr.split([':', '-', '.']) {
        if part.is_empty() {
            continue;
        }
        v = (v << 8) | u64::from(u8::from_str_radix(part, 16).ok()?);
        n += 1;
    }
    if n == 0 || n > 6 {
        return None;
    }
    v <<= 8 * u32::from(6 - n);
    let bits = bits.unwrap_or(8 * n).min(48);
    Some((v & mask(bits), bits))
}

fn mask(bits: u8) -> u64 {
    if bits == 0 {
        0
    } else {
        (!0u64 << (48 - u32::from(bits))) & 0xffff_ffff_ffff
    }
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| {
        let mut entries = Vec::with_capacity(60000);
        for text in [
            gunzip(include_bytes!("../data/wka.gz")),
            gunzip(include_bytes!("../data/manuf.gz")),
        ] {
            for line in text.lines() {
                let mut cols = line.split('\t');
                let (Some(p), Some(short)) = (cols.next(), cols.next()) else {
                    continue;
                };
                let long = cols.find(|c| !c.is_empty() && !c.starts_with('#'));
                let (short, long) = match (short.is_empty(), long) {
                    (true, Some(l)) => (l, l),
                    (_, l) => (short, l.unwrap_or(short)),
                };
                if let Some((prefix, bits)) = parse_prefix(p) {
                    entries.push(Entry {
                        prefix,
                        bits,
                        short,
                        long,
                    });
                }
            }
        }
        // Keep the first definition of a prefix (wka before manuf).
        entries.sort_by(|a, b| b.bits.cmp(&a.bits).then(a.prefix.cmp(&b.prefix)));
        entries.dedup_by(|a, b| a.bits == b.bits && a.prefix == b.prefix);
        let mut by_bits: Vec<u8> = entries.iter().map(|e| e.bits).collect();
        by_bits.dedup();
        Db { entries, by_bits }
    })
}

fn lookup(mac: [u8; 6]) -> Option<&'static Entry> {
    let v = mac.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
    let db = db();
    for &bits in &db.by_bits {
        let key = v & mask(bits);
        let lo = db.entries.partition_point(|e| e.bits > bits);
        let hi = db.entries.partition_point(|e| e.bits >= bits);
        let slice = &db.entries[lo..hi];
        if let Ok(i) = slice.binary_search_by(|e| e.prefix.cmp(&key)) {
            return Some(&slice[i]);
        }
    }
    None
}

/// The vendor of a MAC address: Wireshark's short name and the full name.
pub fn vendor(mac: [u8; 6]) -> Option<(&'static str, &'static str)> {
    lookup(mac).map(|e| (e.short, e.long))
}

/// The 24-bit OUI of a MAC address (`eth.src.oui`).
pub fn oui(mac: [u8; 6]) -> u32 {
    u32::from(mac[0]) << 16 | u32::from(mac[1]) << 8 | u32::from(mac[2])
}

/// The organisation that owns the OUI (the 24-bit block), if registered.
pub fn oui_vendor(mac: [u8; 6]) -> Option<&'static str> {
    let key = u64::from(oui(mac)) << 24;
    let db = db();
    let lo = db.entries.partition_point(|e| e.bits > 24);
    let hi = db.entries.partition_point(|e| e.bits >= 24);
    let slice = &db.entries[lo..hi];
    slice
        .binary_search_by(|e| e.prefix.cmp(&key))
        .ok()
        .map(|i| slice[i].long)
}

/// Writes the address as Wireshark resolves it: `Dell_12:d6:a7`, `Broadcast`,
/// or the plain address when the vendor is unknown.
pub fn write_resolved(out: &mut String, mac: [u8; 6]) {
    use std::fmt::Write;
    match lookup(mac) {
        Some(e) if e.bits == 48 => out.push_str(e.short),
        Some(e) => {
            out.push_str(e.short);
            let from = usize::from(e.bits).div_ceil(8);
            for (i, b) in mac[from..].iter().enumerate() {
                let _ = write!(out, "{}{:02x}", if i == 0 { '_' } else { ':' }, b);
            }
        }
        None => write_plain(out, mac),
    }
}

/// Writes `aa:bb:cc:dd:ee:ff`.
pub fn write_plain(out: &mut String, mac: [u8; 6]) {
    use std::fmt::Write;
    let _ = write!(
        out,
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    );
}

/// The resolved name as a new string.
pub fn resolved(mac: [u8; 6]) -> String {
    let mut s = String::with_capacity(24);
    write_resolved(&mut s, mac);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_wireshark() {
        assert_eq!(
            resolved([0xd8, 0x9e, 0xf3, 0x12, 0xd6, 0xa7]),
            "Dell_12:d6:a7"
        );
        assert_eq!(
            resolved([0x08, 0x00, 0x27, 0x12, 0x6d, 0xba]),
            "PcsCompu_12:6d:ba"
        );
        assert_eq!(resolved([0xff; 6]), "Broadcast");
        assert_eq!(
            vendor([0xd8, 0x9e, 0xf3, 0, 0, 0]).unwrap(),
            ("Dell", "Dell Inc.")
        );
        assert_eq!(oui_vendor([0xd8, 0x9e, 0xf3, 1, 2, 3]), Some("Dell Inc."));
        assert_eq!(resolved([0x02, 0, 0, 0, 0, 1]), "02:00:00:00:00:01");
    }

    #[test]
    fn parses_prefixes() {
        assert_eq!(parse_prefix("01-00-5E/25"), Some((0x01005e000000, 25)));
        assert_eq!(
            parse_prefix("FF-FF-FF-FF-FF-FF"),
            Some((0xffffffffffff, 48))
        );
        assert_eq!(
            parse_prefix("00:1B:C5:00:10:00/36"),
            Some((0x001bc5001000, 36))
        );
        assert_eq!(parse_prefix("zz"), None);
    }
}
