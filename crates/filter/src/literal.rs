//! Reading literal values in the type of the field they are compared with:
//! integers, booleans, addresses, byte strings, strings and times.

use sonde_dissect::registry::{FieldDef, Vals};

/// An integer in decimal, hex (`0x`), octal (leading `0`) or binary (`0b`),
/// with an optional minus sign.
pub fn parse_int(w: &str) -> Option<i128> {
    let (neg, s) = match w.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, w.strip_prefix('+').unwrap_or(w)),
    };
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()?
    } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        u64::from_str_radix(b, 2).ok()?
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()?
    } else {
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse::<u64>().ok()?
    };
    let v = i128::from(v);
    Some(if neg { -v } else { v })
}

/// The value whose name (from the field's value names) is `name`, ignoring case.
pub fn value_by_name(def: &FieldDef, name: &str) -> Option<i128> {
    match def.vals {
        Vals::Pairs(p) => p
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(v, _)| i128::from(*v)),
        Vals::Ranges(r) => r
            .iter()
            .find(|(_, _, n)| n.eq_ignore_ascii_case(name))
            .map(|(lo, _, _)| i128::from(*lo)),
        Vals::TrueFalse(t, f) => {
            if t.eq_ignore_ascii_case(name) {
                Some(1)
            } else if f.eq_ignore_ascii_case(name) {
                Some(0)
            } else {
                None
            }
        }
        Vals::None => None,
    }
}

/// A boolean literal: `True`, `False` in any case, or a number (non-zero is true).
pub fn parse_bool(w: &str) -> Option<bool> {
    if w.eq_ignore_ascii_case("true") {
        Some(true)
    } else if w.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        parse_int(w).map(|v| v != 0)
    }
}

/// An IPv4 address with an optional prefix length: `10.0.0.0/8`.
pub fn parse_ipv4(w: &str) -> Option<(u32, u8)> {
    let (a, p) = match w.split_once('/') {
        Some((a, p)) => (a, p.parse::<u8>().ok().filter(|&p| p <= 32)?),
        None => (w, 32),
    };
    let ip: std::net::Ipv4Addr = a.parse().ok()?;
    Some((u32::from(ip), p))
}

/// An IPv6 address with an optional prefix length: `2001:db8::/32`.
pub fn parse_ipv6(w: &str) -> Option<(u128, u8)> {
    let (a, p) = match w.split_once('/') {
        Some((a, p)) => (a, p.parse::<u8>().ok().filter(|&p| p <= 128)?),
        None => (w, 128),
    };
    let ip: std::net::Ipv6Addr = a.parse().ok()?;
    Some((u128::from(ip), p))
}

/// A byte string: hex bytes separated by `:`, `-` or `.` (`aa:bb:cc`), or run
/// together (`aabbcc`), or a single byte (`0a`).
pub fn parse_bytes(w: &str) -> Option<Vec<u8>> {
    if w.is_empty() {
        return None;
    }
    let sep = w.bytes().find(|c| matches!(c, b':' | b'-' | b'.'));
    let hex = |s: &str| -> Option<Vec<u8>> {
        if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect()
    };
    match sep {
        None if w.len() <= 2 => u8::from_str_radix(w, 16).ok().map(|b| vec![b]),
        None => hex(w),
        Some(sep) => {
            let mut out = Vec::new();
            for part in w.split(sep as char) {
                match part.len() {
                    1 | 2 => out.push(u8::from_str_radix(part, 16).ok()?),
                    // Cisco-style groups: d89e.f312.d6a7.
                    4 if sep == b'.' => out.extend(hex(part)?),
                    _ => return None,
                }
            }
            Some(out)
        }
    }
}

/// A MAC address: six bytes in any byte-string form.
pub fn parse_ether(w: &str) -> Option<Vec<u8>> {
    parse_bytes(w).filter(|b| b.len() == 6)
}

/// Seconds with an optional fraction, as nanoseconds: `0.5`, `-1`, `2.000001`.
pub fn parse_secs(w: &str) -> Option<i128> {
    let (neg, s) = match w.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, w),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let secs: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut ns: i128 = 0;
    for (i, c) in frac.bytes().take(9).enumerate() {
        ns += i128::from(c - b'0') * 10i128.pow(8 - i as u32);
    }
    let v = secs.checked_mul(1_000_000_000)? + ns;
    Some(if neg { -v } else { v })
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// An absolute time, in UTC, as nanoseconds since the epoch. Forms:
/// `Oct  5, 2021 14:12:31.903890000`, `2021-10-05 14:12:31`, `2021-10-05T14:12:31Z`,
/// optionally ending in `UTC` or `Z`; the time of day may be left out.
pub fn parse_abs_time(s: &str) -> Option<i128> {
    let s = s.trim();
    let s = s
        .strip_suffix("UTC")
        .or_else(|| s.strip_suffix('Z'))
        .unwrap_or(s)
        .trim_end();
    let (date, time) =
        if let Some(first) = s.get(..3).filter(|m| m.chars().all(char::is_alphabetic)) {
            // "Oct  5, 2021 14:12:31.9"
            let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(first))? as u32 + 1;
            let rest = s[3..].trim_start();
            let (day, rest) = rest.split_once(',')?;
            let rest = rest.trim_start();
            let (year, time) = rest.split_once(' ').unwrap_or((rest, ""));
            (
                (
                    year.parse::<i64>().ok()?,
                    month,
                    day.trim().parse::<u32>().ok()?,
                ),
                time,
            )
        } else {
            let (date, time) = match s.find(['T', ' ']) {
                Some(i) => (&s[..i], &s[i + 1..]),
                None => (s, ""),
            };
            let mut it = date.split('-');
            let y = it.next()?.parse::<i64>().ok()?;
            let m = it.next()?.parse::<u32>().ok()?;
            let d = it.next()?.parse::<u32>().ok()?;
            if it.next().is_some() {
                return None;
            }
            ((y, m, d), time)
        };
    let (y, m, d) = date;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let time = time.trim();
    let mut secs_of_day: i128 = 0;
    let mut frac: i128 = 0;
    if !time.is_empty() {
        let (hms, f) = time.split_once('.').unwrap_or((time, ""));
        let mut parts = hms.split(':');
        let h = parts.next()?.parse::<u32>().ok()?;
        let mi = parts.next()?.parse::<u32>().ok()?;
        let sec = match parts.next() {
            Some(x) => x.parse::<u32>().ok()?,
            None => 0,
        };
        if parts.next().is_some() || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        secs_of_day = i128::from(h * 3600 + mi * 60 + sec);
        if !f.is_empty() {
            frac = parse_secs(&format!("0.{f}"))?;
        }
    }
    let days = i128::from(days_from_civil(y, m, d));
    Some((days * 86400 + secs_of_day) * 1_000_000_000 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int("80"), Some(80));
        assert_eq!(parse_int("0x50"), Some(80));
        assert_eq!(parse_int("0120"), Some(80));
        assert_eq!(parse_int("0b1010000"), Some(80));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("80.0"), None);
        assert_eq!(parse_int("08"), None);
    }

    #[test]
    fn addresses_and_bytes() {
        assert_eq!(parse_ipv4("10.0.0.0/8"), Some((0x0a00_0000, 8)));
        assert_eq!(parse_ipv4("10.0.0.256"), None);
        assert_eq!(parse_ipv6("::1"), Some((1, 128)));
        assert_eq!(parse_bytes("aa:bb:cc"), Some(vec![0xaa, 0xbb, 0xcc]));
        assert_eq!(parse_bytes("aa-bb"), Some(vec![0xaa, 0xbb]));
        assert_eq!(parse_bytes("a"), Some(vec![0x0a]));
        assert_eq!(parse_bytes("474554"), Some(vec![0x47, 0x45, 0x54]));
        assert_eq!(parse_ether("d89e.f312.d6a7").unwrap()[0], 0xd8);
        assert_eq!(parse_ether("aa:bb"), None);
        assert_eq!(parse_bytes("xyz"), None);
    }

    #[test]
    fn times() {
        assert_eq!(parse_secs("0.5"), Some(500_000_000));
        assert_eq!(parse_secs("-1"), Some(-1_000_000_000));
        let t = 1_633_443_151_903_890_000i128;
        assert_eq!(parse_abs_time("Oct  5, 2021 14:12:31.903890000"), Some(t));
        assert_eq!(parse_abs_time("2021-10-05 14:12:31.90389"), Some(t));
        assert_eq!(parse_abs_time("2021-10-05T14:12:31.90389Z"), Some(t));
        assert_eq!(parse_abs_time("yesterday"), None);
    }
}
