//! MAC address vendors, from Wireshark's `manuf` and `wka` files (vendored,
//! gzip-compressed, loaded once on first use), resolved the way Wireshark 4.0
//! shows them: `Dell_12:d6:a7`, `Broadcast`, `IPv4mcast_7f:ff:fa`,
//! `IPv6mcast_16`.
//!
//! Wireshark's rule, reproduced here: an exact well-known address gives its
//! name; otherwise the address is masked to 47, 46, ... 24 bits and looked up
//! among the well-known ranges, then the manufacturer blocks (36, 28, 24 bits)
//! are tried, then the well-known ranges again from 23 bits down. The name is
//! followed by the bytes the matching mask left out.

use rustc_hash::FxHashMap;
use std::fmt::Write;
use std::io::Read;
use std::sync::OnceLock;

/// Manufacturer blocks of one prefix length: prefix → (short name, full name).
type ManufBlocks = FxHashMap<u64, (&'static str, &'static str)>;

struct Db {
    /// Well-known addresses and ranges: prefix → (prefix bits, name), several
    /// lengths may share a prefix.
    wka: FxHashMap<u64, Vec<(u8, &'static str)>>,
    /// Manufacturer blocks by prefix length (24, 28, 36): prefix → (short, long).
    manuf: [(u8, ManufBlocks); 3],
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

fn lines(text: &'static str) -> impl Iterator<Item = (u64, u8, &'static str, &'static str)> {
    text.lines().filter_map(|line| {
        let mut cols = line.split('\t');
        let p = cols.next()?;
        let short = cols.next()?;
        let long = cols.find(|c| !c.is_empty() && !c.starts_with('#'));
        let (short, long) = match (short.is_empty(), long) {
            (true, Some(l)) => (l, l),
            (_, l) => (short, l.unwrap_or(short)),
        };
        let (prefix, bits) = parse_prefix(p)?;
        Some((prefix, bits, short, long))
    })
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| {
        let mut wka: FxHashMap<u64, Vec<(u8, &'static str)>> = FxHashMap::default();
        for (prefix, bits, short, _) in lines(gunzip(include_bytes!("../data/wka.gz"))) {
            let v = wka.entry(prefix).or_default();
            if !v.iter().any(|(b, _)| *b == bits) {
                v.push((bits, short));
            }
        }
        let mut manuf = [
            (36u8, FxHashMap::default()),
            (28u8, FxHashMap::default()),
            (24u8, FxHashMap::default()),
        ];
        for (prefix, bits, short, long) in lines(gunzip(include_bytes!("../data/manuf.gz"))) {
            if let Some((_, m)) = manuf.iter_mut().find(|(b, _)| *b == bits) {
                m.entry(prefix).or_insert((short, long));
            }
        }
        Db { wka, manuf }
    })
}

fn as_u64(mac: [u8; 6]) -> u64 {
    mac.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b))
}

/// The well-known range matching `v` masked to `m` bits: the name of the
/// longest such range no longer than `m`.
fn wka_at(db: &Db, v: u64, m: u8) -> Option<&'static str> {
    db.wka
        .get(&(v & mask(m)))?
        .iter()
        .filter(|(b, _)| *b <= m)
        .max_by_key(|(b, _)| *b)
        .map(|(_, n)| *n)
}

/// The manufacturer block of a MAC address: (short name, full name, prefix bits).
fn manuf_lookup(db: &Db, v: u64) -> Option<(&'static str, &'static str, u8)> {
    db.manuf
        .iter()
        .find_map(|(bits, m)| m.get(&(v & mask(*bits))).map(|(s, l)| (*s, *l, *bits)))
}

/// The vendor of a MAC address: Wireshark's short name and the full name.
pub fn vendor(mac: [u8; 6]) -> Option<(&'static str, &'static str)> {
    manuf_lookup(db(), as_u64(mac)).map(|(s, l, _)| (s, l))
}

/// The 24-bit OUI of a MAC address (`eth.src.oui`).
pub fn oui(mac: [u8; 6]) -> u32 {
    u32::from(mac[0]) << 16 | u32::from(mac[1]) << 8 | u32::from(mac[2])
}

/// The organisation that owns the OUI (the 24-bit block), if registered.
pub fn oui_vendor(mac: [u8; 6]) -> Option<&'static str> {
    let key = as_u64(mac) & mask(24);
    db().manuf[2].1.get(&key).map(|(_, l)| *l)
}

fn write_suffix(out: &mut String, mac: [u8; 6], m: u8) {
    let from = usize::from(m / 8);
    for (i, b) in mac[from..].iter().enumerate() {
        let b = if i == 0 { b & (0xff >> (m % 8)) } else { *b };
        let _ = write!(out, "{}{b:02x}", if i == 0 { '_' } else { ':' });
    }
}

/// Writes the address as Wireshark resolves it: `Dell_12:d6:a7`, `Broadcast`,
/// `IPv6mcast_16`, or the plain address when nothing matches.
pub fn write_resolved(out: &mut String, mac: [u8; 6]) {
    let db = db();
    let v = as_u64(mac);
    if let Some(n) = wka_at(db, v, 48) {
        out.push_str(n);
        return;
    }
    for m in (24..48).rev() {
        if let Some(n) = wka_at(db, v, m) {
            out.push_str(n);
            write_suffix(out, mac, m);
            return;
        }
    }
    if let Some((short, _, _)) = manuf_lookup(db, v) {
        out.push_str(short);
        write_suffix(out, mac, 24);
        return;
    }
    for m in (8..24).rev() {
        if let Some(n) = wka_at(db, v, m) {
            out.push_str(n);
            write_suffix(out, mac, m);
            return;
        }
    }
    write_plain(out, mac);
}

/// Writes `aa:bb:cc:dd:ee:ff`.
pub fn write_plain(out: &mut String, mac: [u8; 6]) {
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
        assert_eq!(resolved([0x33, 0x33, 0, 0, 0, 0x16]), "IPv6mcast_16");
        assert_eq!(
            resolved([0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa]),
            "IPv4mcast_7f:ff:fa"
        );
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
