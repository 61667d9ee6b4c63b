//! How values and tree lines are written: the tshark `-T fields` form of a value
//! and the Wireshark label of a node (`0100 .... = Version: 4`,
//! `Type: IPv4 (0x0800)`). Every consumer formats through here.

use crate::registry::{Base, FieldDef, Kind, Vals};
use crate::tree::{Dissection, NodeId, Resolve, Value};
use std::fmt::Write;

/// Civil UTC time of a nanosecond timestamp: (year, month, day, hour, min, sec, ns).
/// Appends `v` in decimal: what `write!(out, "{v}")` does, without the
/// formatting machinery (Info columns and summary lines write millions).
pub fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Converts ns since the epoch to UTC calendar fields.
pub fn civil_utc(ns: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400) as u32;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 { y + 1 } else { y },
        m,
        d,
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        nanos,
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Writes an absolute time as Wireshark does: `Oct  5, 2021 14:12:31.903890000 UTC`.
pub fn write_abs_time(out: &mut String, ns: i64) {
    let (y, mo, d, h, mi, s, n) = civil_utc(ns);
    let _ = write!(
        out,
        "{} {:>2}, {} {:02}:{:02}:{:02}.{:09} UTC",
        MONTHS[(mo - 1) as usize],
        d,
        y,
        h,
        mi,
        s,
        n
    );
}

/// Writes a relative time or epoch time in seconds with 9 decimals.
pub fn write_secs(out: &mut String, ns: i64) {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:09}", a / 1_000_000_000, a % 1_000_000_000);
}

/// Writes an IPv4 address (4 bytes) in dotted decimal, without the
/// formatting machinery (address columns are written for every frame).
pub fn write_ipv4(out: &mut String, b: &[u8]) {
    for (i, x) in b.iter().take(4).enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u64(out, u64::from(*x));
    }
}

/// Writes an IPv6 address in RFC 5952 form.
pub fn write_ipv6(out: &mut String, b: &[u8]) {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
}

/// Writes bytes as `aa:bb:cc`.
pub fn write_bytes_colon(out: &mut String, b: &[u8]) {
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{x:02x}");
    }
}

fn hex_digits(def: &FieldDef) -> usize {
    if def.mask != 0 {
        let lo = def.mask.trailing_zeros();
        let hi = 64 - def.mask.leading_zeros();
        ((hi - lo) as usize).div_ceil(4)
    } else {
        (def.kind.bits() as usize / 4).max(1)
    }
}

/// Writes the value of a node as `tshark -T fields` prints it.
pub fn write_value(out: &mut String, d: &Dissection, data: &[u8], id: NodeId) {
    let n = d.node(id);
    match n.value {
        Value::None => {}
        Value::U(v) => match n.def.base {
            Base::Hex | Base::HexDec => {
                let w = (n.def.kind.bits() as usize / 4).max(1);
                let _ = write!(out, "0x{v:0w$x}");
            }
            Base::Oct => {
                let _ = write!(out, "0{v:o}");
            }
            _ => {
                let _ = write!(out, "{v}");
            }
        },
        Value::I(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Bool(b) => out.push(if b { '1' } else { '0' }),
        Value::F(f) => {
            let _ = write!(out, "{f}");
        }
        Value::Time(t) => match n.def.kind {
            Kind::AbsTime if n.def.abbrev.ends_with("epoch") => write_secs(out, t),
            Kind::AbsTime => write_abs_time(out, t),
            _ => write_secs(out, t),
        },
        Value::Text(s) => out.push_str(d.span_str(s)),
        Value::Resolved(r) => {
            let b = d.bytes(data, id);
            match r {
                Resolve::MacName if b.len() == 6 => {
                    crate::oui::write_resolved(out, b.try_into().unwrap_or([0; 6]))
                }
                Resolve::OuiName if b.len() >= 3 => {
                    out.push_str(crate::oui::oui_vendor([b[0], b[1], b[2], 0, 0, 0]).unwrap_or(""))
                }
                Resolve::AddrText if b.len() == 4 => write_ipv4(out, b),
                Resolve::AddrText if b.len() == 16 => write_ipv6(out, b),
                _ => {}
            }
        }
        Value::Bytes => {
            let b = d.bytes(data, id);
            match n.def.kind {
                Kind::Ether if b.len() == 6 => {
                    let _ = write!(
                        out,
                        "{}",
                        crate::proto::eth::MacFmt(b.try_into().unwrap_or([0; 6]))
                    );
                }
                Kind::Ipv4 if b.len() == 4 => write_ipv4(out, b),
                Kind::Ipv6 if b.len() == 16 => write_ipv6(out, b),
                Kind::Str => out.push_str(&String::from_utf8_lossy(b)),
                _ => write_bytes_colon(out, b),
            }
        }
    }
}

/// The value of a node as `tshark -T fields` prints it.
pub fn value_string(d: &Dissection, data: &[u8], id: NodeId) -> String {
    let mut s = String::new();
    write_value(&mut s, d, data, id);
    s
}

/// Writes the bit pattern of a bitfield: `.... ..0. .... ....`.
pub fn write_bits(out: &mut String, def: &FieldDef, width_bits: u32, raw: u64) {
    for i in (0..width_bits).rev() {
        let bit = 1u64 << i;
        out.push(if def.mask & bit == 0 {
            '.'
        } else if raw & bit != 0 {
            '1'
        } else {
            '0'
        });
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
    }
    out.push_str(" = ");
}

fn write_uint_display(out: &mut String, def: &FieldDef, v: u64) {
    let digits = hex_digits(def);
    match def.base {
        Base::Hex => {
            let _ = write!(out, "0x{v:0digits$x}");
        }
        Base::HexDec => {
            let _ = write!(out, "0x{v:0digits$x} ({v})");
        }
        Base::DecHex => {
            let _ = write!(out, "{v} (0x{v:0digits$x})");
        }
        Base::Oct => {
            let _ = write!(out, "0{v:o}");
        }
        _ => {
            let _ = write!(out, "{v}");
        }
    }
}

/// Writes the value as the tree shows it after `Name: ` (`TCP (6)`, `0x0800`).
pub fn write_display_value(out: &mut String, d: &Dissection, data: &[u8], id: NodeId) {
    let n = d.node(id);
    match n.value {
        Value::U(v) => match n.def.vals {
            Vals::Pairs(_) | Vals::Ranges(_) if n.def.base == Base::None => {
                out.push_str(n.def.value_name(v).unwrap_or("Unknown"));
            }
            Vals::Pairs(_) | Vals::Ranges(_) => {
                let name = n.def.value_name(v).unwrap_or("Unknown");
                out.push_str(name);
                out.push_str(" (");
                write_uint_display(out, n.def, v);
                out.push(')');
            }
            Vals::TrueFalse(..) | Vals::None => write_uint_display(out, n.def, v),
        },
        Value::Bool(b) => {
            let (t, f) = match n.def.vals {
                Vals::TrueFalse(t, f) => (t, f),
                _ if n.def.mask != 0 => ("Set", "Not set"),
                _ => ("True", "False"),
            };
            out.push_str(if b { t } else { f });
        }
        Value::Time(t) => match n.def.kind {
            Kind::AbsTime if n.def.abbrev.ends_with("epoch") => {
                write_secs(out, t);
                out.push_str(" seconds");
            }
            Kind::AbsTime => write_abs_time(out, t),
            _ => {
                write_secs(out, t);
                out.push_str(" seconds");
            }
        },
        Value::Bytes if n.def.kind == Kind::Bytes => {
            let b = d.bytes(data, id);
            for x in b.iter().take(36) {
                let _ = write!(out, "{x:02x}");
            }
            if b.len() > 36 {
                out.push('…');
            }
        }
        _ => write_value(out, d, data, id),
    }
}

/// Writes the node's line in the detail tree (without indentation).
pub fn write_label(out: &mut String, d: &Dissection, data: &[u8], id: NodeId) {
    let n = d.node(id);
    let gen = n.is_generated();
    if gen {
        out.push('[');
    }
    if !n.label.is_empty() {
        out.push_str(d.span_str(n.label));
    } else {
        if n.def.mask != 0 {
            let width = match (n.def.bits, n.def.kind.bits()) {
                (0, 0) => (n.len * 8).clamp(8, 64),
                (0, k) => k,
                (b, _) => u32::from(b),
            };
            let b = d.bytes(data, id);
            let raw = b.iter().take(8).fold(0u64, |a, &x| (a << 8) | u64::from(x));
            write_bits(out, n.def, width, raw);
        }
        match n.def.kind {
            Kind::Protocol | Kind::None if matches!(n.value, Value::None) => {
                out.push_str(n.def.name)
            }
            _ => {
                out.push_str(n.def.name);
                out.push_str(": ");
                write_display_value(out, d, data, id);
            }
        }
    }
    if gen {
        out.push(']');
    }
}

/// The node's line in the detail tree.
pub fn label(d: &Dissection, data: &[u8], id: NodeId) -> String {
    let mut s = String::new();
    write_label(&mut s, d, data, id);
    s
}
