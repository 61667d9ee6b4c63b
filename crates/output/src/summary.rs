//! The one-line summary of a frame, in tshark's layout:
//! `    1   0.000000 172.17.2.140 → 109.234.162.100 TCP 66 62908 → 80 [SYN] ...`

use sonde_dissect::display::civil_utc;
use sonde_dissect::display::push_u64;
use sonde_dissect::tree::{Addr, Columns, FrameInfo};
use sonde_dissect::Dissection;
use std::fmt::Write;

/// How the Time column is shown (tshark's `-t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// Seconds since the first frame (`r`, the default).
    #[default]
    Relative,
    /// Absolute time of day (`a`).
    Absolute,
    /// Absolute date and time (`ad`).
    AbsoluteDate,
    /// Seconds since the previous captured frame (`d`).
    Delta,
    /// Seconds since the previous displayed frame (`dd`).
    DeltaDisplayed,
    /// Seconds since the epoch (`e`).
    Epoch,
    /// UTC time of day (`u`).
    Utc,
    /// UTC date and time (`ud`).
    UtcDate,
}

impl TimeFormat {
    /// Parses tshark's `-t` argument.
    pub fn parse(s: &str) -> Option<TimeFormat> {
        Some(match s {
            "r" => TimeFormat::Relative,
            "a" => TimeFormat::Absolute,
            "ad" => TimeFormat::AbsoluteDate,
            "d" => TimeFormat::Delta,
            "dd" => TimeFormat::DeltaDisplayed,
            "e" => TimeFormat::Epoch,
            "u" => TimeFormat::Utc,
            "ud" => TimeFormat::UtcDate,
            _ => return None,
        })
    }
}

/// Summary options.
#[derive(Debug, Clone, Copy)]
pub struct SummaryOptions {
    /// Time column format.
    pub time: TimeFormat,
    /// Decimal places of the time column (6 for microsecond files, 9 for nanosecond).
    pub precision: usize,
    /// Resolve MAC addresses to vendor names in the address columns.
    pub resolve_mac: bool,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            time: TimeFormat::Relative,
            precision: 6,
            resolve_mac: true,
        }
    }
}

fn write_frac(out: &mut String, ns: i64, precision: usize) {
    let p = precision.min(9);
    if ns < 0 {
        out.push('-');
    }
    let a = ns.unsigned_abs();
    push_u64(out, a / 1_000_000_000);
    out.push('.');
    push_fixed(out, (a % 1_000_000_000) / 10u64.pow(9 - p as u32), p);
}

/// Appends `v` in decimal on exactly `width` digits (zero-padded, `v` below
/// 10^width).
fn push_fixed(out: &mut String, mut v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let width = width.min(buf.len());
    for i in (0..width).rev() {
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.push_str(std::str::from_utf8(&buf[..width]).unwrap_or(""));
}

/// Writes the Time column text.
pub fn write_time(out: &mut String, d: &Dissection, o: &SummaryOptions) {
    write_time_of(out, &d.frame, o);
}

/// Writes the Time column text of a frame.
pub fn write_time_of(out: &mut String, f: &FrameInfo, o: &SummaryOptions) {
    let p = o.precision.min(9);
    let div = 10u64.pow(9 - p as u32);
    let tod = |out: &mut String, date: bool| {
        let (y, mo, da, h, mi, s, n) = civil_utc(f.ts_ns);
        if date {
            let _ = write!(out, "{y:04}-{mo:02}-{da:02} ");
        }
        let _ = write!(out, "{h:02}:{mi:02}:{s:02}.{:0p$}", u64::from(n) / div);
    };
    match o.time {
        TimeFormat::Relative => write_frac(out, f.rel_ns, p),
        TimeFormat::Delta => write_frac(out, f.delta_ns, p),
        TimeFormat::DeltaDisplayed => write_frac(out, f.delta_displayed_ns, p),
        TimeFormat::Epoch => write_frac(out, f.ts_ns, p),
        TimeFormat::Absolute | TimeFormat::Utc => tod(out, false),
        TimeFormat::AbsoluteDate | TimeFormat::UtcDate => tod(out, true),
    }
}

/// Writes an address column.
pub fn write_addr(out: &mut String, a: Addr, resolve_mac: bool) {
    match a {
        Addr::None => {}
        Addr::Mac(m) if resolve_mac => sonde_dissect::oui::write_resolved(out, m),
        Addr::Mac(m) => sonde_dissect::oui::write_plain(out, m),
        Addr::V4(b) => sonde_dissect::display::write_ipv4(out, &b),
        Addr::V6(b) => {
            let _ = write!(out, "{}", std::net::Ipv6Addr::from(b));
        }
    }
}

/// Writes the summary line (without newline).
pub fn write_summary(out: &mut String, d: &Dissection, o: &SummaryOptions) {
    write_summary_row(out, &d.frame, &d.cols, d.info(), o);
}

/// Writes the summary line (without newline) of a frame from its facts,
/// columns and Info text: what [`write_summary`] reads of a dissection, so
/// that another thread can print it.
pub fn write_summary_row(
    out: &mut String,
    frame: &FrameInfo,
    cols: &Columns,
    info: &str,
    o: &SummaryOptions,
) {
    // Padding by hand: the formatting machinery's padding is the hot spot here.
    // Each column is written in place, then spaces are put in front of it.
    fn right(out: &mut String, w: usize, f: impl FnOnce(&mut String)) {
        let at = out.len();
        f(out);
        let n = out[at..].chars().count();
        if n < w {
            out.insert_str(at, &"            "[..(w - n).min(12)]);
        }
    }
    right(out, 5, |out| push_u64(out, frame.number));
    out.push(' ');
    right(out, 10, |out| write_time_of(out, frame, o));
    out.push(' ');
    right(out, 12, |out| write_addr(out, cols.src, o.resolve_mac));
    out.push_str(" → ");
    let at = out.len();
    write_addr(out, cols.dst, o.resolve_mac);
    for _ in out[at..].chars().count()..12 {
        out.push(' ');
    }
    out.push(' ');
    out.push_str(cols.protocol);
    out.push(' ');
    push_u64(out, u64::from(frame.orig_len));
    out.push(' ');
    out.push_str(info);
}
