//! Frames and bytes per time interval, like `tshark -q -z io,stat,INTERVAL`
//! with one column (all frames, or those matching a filter), in tshark's
//! bordered table.

use std::fmt::Write as _;

const US: u64 = 1_000_000;

/// Frames and bytes per interval of the frames added so far.
#[derive(Debug, Clone)]
pub struct IoStat {
    /// Interval in microseconds (`u64::MAX`: the whole capture).
    interval: u64,
    /// Decimal places shown for times.
    prec: u32,
    /// (interval index, frames, bytes) of the intervals that have frames, in
    /// order (sparse: a long quiet capture costs nothing).
    items: Vec<(u64, u64, u64)>,
    /// Largest relative time seen (the capture's duration), in ns.
    elapsed_ns: i64,
}

/// Number of decimal digits of `v`, at most `max`.
fn magnitude(mut v: u64, max: usize) -> usize {
    let mut m = 0;
    for _ in 0..max {
        m += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    m
}

/// `secs.frac` with `prec` decimals (none when 0).
fn secs_text(us_or_ns: u64, unit: u64, prec: u32) -> String {
    let s = us_or_ns / unit;
    if prec == 0 {
        return s.to_string();
    }
    let frac = (us_or_ns % unit) * 10u64.pow(prec) / unit;
    format!("{s}.{frac:0w$}", w = prec as usize)
}

/// A label centred in a column of `width`, as tshark's printcenter.
fn center(out: &mut String, label: &str, width: usize) {
    let extra = width.saturating_sub(label.len());
    let pad = extra / 2 + 1;
    if pad < 6 {
        let before = if extra.is_multiple_of(2) {
            pad
        } else {
            pad + 1
        };
        let _ = write!(out, "{}{label}{}|", " ".repeat(before), " ".repeat(pad));
    } else {
        let _ = write!(out, "{label}|");
    }
}

impl IoStat {
    /// A table with intervals of `interval` as the user wrote it (`"1"`,
    /// `"0.5"`, `"0"` for the whole capture): the number of decimals shown
    /// follows the text, as tshark's does. None when it is not a number of
    /// seconds of at least a microsecond.
    pub fn new(interval: &str) -> Option<IoStat> {
        let secs: f64 = interval.trim().parse().ok().filter(|v: &f64| *v >= 0.0)?;
        if secs == 0.0 {
            return Some(IoStat {
                interval: u64::MAX,
                prec: 0,
                items: Vec::new(),
                elapsed_ns: 0,
            });
        }
        let us = (secs * 1e6 + 0.5) as u64;
        if us < 1 {
            return None;
        }
        let mut prec = 6;
        let mut p = 10;
        while p < 10_000_000 {
            if !us.is_multiple_of(p) {
                break;
            }
            prec -= 1;
            p *= 10;
        }
        if prec == 0 {
            // "1.00" asks for two decimals.
            if let Some((_, frac)) = interval.trim().split_once('.') {
                if !frac.is_empty() {
                    prec = frac.len().min(6) as u32;
                }
            }
        }
        Some(IoStat {
            interval: us,
            prec,
            items: Vec::new(),
            elapsed_ns: 0,
        })
    }

    /// Counts a frame: `rel_ns` is its time since the first frame, `len` its
    /// length on the wire; `counted` is false for frames outside the filter
    /// (they still extend the capture's duration).
    pub fn add(&mut self, rel_ns: i64, len: u32, counted: bool) {
        self.elapsed_ns = self.elapsed_ns.max(rel_ns);
        if !counted {
            return;
        }
        let idx = if self.interval == u64::MAX {
            0
        } else if rel_ns < 0 {
            // Before the first frame: tshark cannot place it in an interval.
            return;
        } else {
            (rel_ns as u64 + 500) / 1000 / self.interval
        };
        match self.items.last_mut() {
            // Like tshark, a frame earlier than the current interval is dropped.
            Some(last) if last.0 > idx => {}
            Some(last) if last.0 == idx => {
                last.1 += 1;
                last.2 += u64::from(len);
            }
            _ => self.items.push((idx, 1, u64::from(len))),
        }
    }

    fn duration_us(&self) -> u64 {
        let ns = self.elapsed_ns.max(0) as u64;
        (ns / 1_000_000_000) * US + (ns % 1_000_000_000 + 500) / 1000
    }

    /// How the intervals are shown: the precision, the duration (rounded to
    /// it, µs), the interval (µs) and whether it is the whole capture.
    fn layout(&self) -> (u32, u64, u64, bool) {
        let mut duration = self.duration_us();
        let whole = self.interval == u64::MAX || self.interval > duration;
        let dur_mag = magnitude(duration / US, 5);
        let prec = if whole {
            match dur_mag {
                m if m >= 2 => 1,
                1 => 3,
                _ => 6,
            }
        } else {
            self.prec
        };
        let dv = US / 10u64.pow(prec);
        if duration % dv > 5 * (dv / 10) {
            duration += 5 * (dv / 10);
            duration = duration / dv * dv;
        }
        let interval = if whole { duration } else { self.interval };
        (prec, duration, interval, whole)
    }

    /// Calls `f` with each interval to show: start and end (µs), frames, bytes.
    fn each_row(&self, mut f: impl FnMut(u64, u64, u64, u64)) {
        let (_, duration, interval, _) = self.layout();
        if interval == 0 {
            return;
        }
        let mut items = self.items.iter().peekable();
        let mut t = 0u64;
        let mut i = 0u64;
        while t < duration {
            let end = t.saturating_add(interval).min(duration);
            let (frames, bytes) = match items.peek() {
                Some(&&(idx, fr, by)) if idx == i => {
                    items.next();
                    (fr, by)
                }
                _ => (0, 0),
            };
            f(t, end, frames, bytes);
            t = t.saturating_add(interval);
            i += 1;
        }
    }

    /// tshark's text layout; `filter` names the column (else "Frames and bytes").
    pub fn write_text(&self, out: &mut String, filter: Option<&str>) {
        let (prec, duration, interval, whole) = self.layout();
        let dur_mag = magnitude(duration / US, 5);
        let invl_mag = magnitude(interval / US, 5);
        let decimals = if prec == 0 { 0 } else { prec as usize + 1 };
        let mut borderlen = if whole {
            30 + dur_mag + decimals
        } else {
            25 + invl_mag.max(dur_mag) + decimals
        };
        let invl_col_w = if prec == 0 {
            2 * dur_mag + 8
        } else {
            2 * dur_mag + 2 * prec as usize + 10
        }
        .max(12);
        let max_frames = self.items.iter().map(|i| i.1).max().unwrap_or(0);
        let max_bytes = self.items.iter().map(|i| i.2).max().unwrap_or(0);
        let fr = magnitude(max_frames, 15).max(6);
        let val = magnitude(max_bytes, 15).max(5);
        let tabrow_w = invl_col_w + fr + 3 + val + 3;
        borderlen = borderlen.max(tabrow_w);
        let filter_w = filter.map_or(26, |f| f.len() + 11);
        if filter_w > borderlen && borderlen < 102 {
            borderlen = filter_w.min(102);
        }
        if borderlen - tabrow_w == 1 {
            borderlen += 1;
        }
        let line = |out: &mut String, s: String| {
            let pad = borderlen.saturating_sub(s.len());
            let _ = writeln!(out, "{s}{:>pad$}", "|");
        };
        out.push('\n');
        let _ = writeln!(out, "{}", "=".repeat(borderlen));
        let _ = writeln!(out, "|{:<w$}|", " IO Statistics", w = borderlen - 2);
        let _ = writeln!(out, "|{:<w$}|", "", w = borderlen - 2);
        // The duration shows microseconds when the interval is whole seconds.
        // tshark 4.0 pads this line as if the seconds had at most five digits.
        let dur_prec = if prec == 0 { 6 } else { prec };
        let step = 10u64.pow(9 - dur_prec);
        let dur_ns = (self.elapsed_ns.max(0) as u64 + step / 2) / step * step;
        let dur_w = dur_mag + 1 + dur_prec as usize;
        let pad = borderlen.saturating_sub(12 + dur_w + 5 + 1);
        let _ = writeln!(
            out,
            "| Duration: {:>dur_w$} secs{:pad$}|",
            secs_text(dur_ns, 1_000_000_000, dur_prec),
            ""
        );
        let invl_w = dur_mag + decimals;
        let pad = borderlen.saturating_sub(12 + invl_w + 5 + 1);
        let _ = writeln!(
            out,
            "| Interval: {:>invl_w$} secs{:pad$}|",
            secs_text(interval, US, prec),
            ""
        );
        let _ = writeln!(out, "|{:<w$}|", "", w = borderlen - 2);
        match filter {
            None => line(out, "| Col 1: Frames and bytes".into()),
            Some(f) => {
                let max_w = borderlen - 11;
                let mut rest = f;
                let mut first = true;
                while rest.len() > max_w {
                    let cut = rest[..max_w].rfind(' ').unwrap_or(max_w);
                    let head = if first { "| Col 1: " } else { "|         " };
                    line(out, format!("{head}{}", &rest[..cut]));
                    rest = rest[cut..].strip_prefix(' ').unwrap_or(&rest[cut..]);
                    first = false;
                }
                let head = if first { "| Col 1: " } else { "|         " };
                line(out, format!("{head}{rest}"));
            }
        }
        let _ = writeln!(out, "|-{}|", "-".repeat(borderlen - 3));
        let filler = if tabrow_w < borderlen {
            format!("{:>w$}", "|", w = borderlen - tabrow_w)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "|{:>w$}{:<2}{:pad$}|{filler}",
            "|",
            1,
            "",
            w = invl_col_w - 1,
            pad = fr + val + 3
        );
        let _ = write!(out, "| Interval{:>w$}", "|", w = invl_col_w - 10);
        center(out, "Frames", fr);
        center(out, "Bytes", val);
        let _ = writeln!(out, "{filler}");
        let _ = writeln!(out, "|-{}|{filler}", "-".repeat(tabrow_w - 3));
        let dv = US / 10u64.pow(prec);
        self.each_row(|t, end, f, b| {
            if prec == 0 {
                let wide = if dur_mag == 1 { " " } else { "" };
                if end == duration {
                    let maxw = if dur_mag >= 3 { dur_mag + 1 } else { 3 };
                    let _ = write!(out, "| {wide}{:>dur_mag$} <> {:<maxw$}|", t / US, "Dur");
                } else {
                    let _ = write!(
                        out,
                        "| {wide}{:>dur_mag$} <> {:>dur_mag$}{wide} |",
                        t / US,
                        end / US
                    );
                }
            } else {
                let p = prec as usize;
                let _ = write!(
                    out,
                    "| {:>dur_mag$}.{:0p$} <> {:>dur_mag$}.{:0p$} |",
                    t / US,
                    t % US / dv,
                    end / US,
                    end % US / dv
                );
            }
            let _ = writeln!(out, " {f:>fr$} | {b:>val$} |{filler}");
        });
        let _ = writeln!(out, "{}", "=".repeat(borderlen));
    }

    /// The table as JSON: `{"filter", "duration", "interval", "intervals":
    /// [{"start", "end", "frames", "bytes"}]}`, times in seconds.
    pub fn to_json(&self, filter: Option<&str>) -> serde_json::Value {
        let (_, _, interval, _) = self.layout();
        let secs = |us: u64| us as f64 / 1e6;
        let mut rows = Vec::new();
        self.each_row(|t, e, f, b| {
            rows.push(serde_json::json!({
                "start": secs(t),
                "end": secs(e),
                "frames": f,
                "bytes": b,
            }))
        });
        serde_json::json!({
            "filter": filter,
            "duration": self.elapsed_ns.max(0) as f64 / 1e9,
            "interval": secs(interval),
            "intervals": rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_capture_at_one_second() {
        // The lab sample: 8 frames in the first 0.13 s, 2 at 5.13 s.
        let mut io = IoStat::new("1").unwrap();
        let times = [0, 51, 51, 51, 122, 124, 124, 124, 5130, 5130];
        let lens = [66, 66, 54, 554, 60, 236, 242, 60, 60, 60];
        for (i, (&t, &l)) in times.iter().zip(&lens).enumerate() {
            let ns = if i == 9 { 5_130_190_000 } else { t * 1_000_000 };
            io.add(ns, l, true);
        }
        let mut out = String::new();
        io.write_text(&mut out, None);
        assert!(out.contains("| Duration: 5.130190 secs   |"), "{out}");
        assert!(out.contains("|  0 <> 1  |      8 |  1338 |"), "{out}");
        assert!(out.contains("|  5 <> Dur|      2 |   120 |"), "{out}");
    }

    #[test]
    fn precision_follows_the_interval() {
        assert_eq!(IoStat::new("0.5").unwrap().prec, 1);
        assert_eq!(IoStat::new("1.00").unwrap().prec, 2);
        assert_eq!(IoStat::new("10").unwrap().prec, 0);
        assert!(IoStat::new("-1").is_none());
        assert!(IoStat::new("x").is_none());
    }
}
