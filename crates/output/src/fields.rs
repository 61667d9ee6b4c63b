//! `-T fields`: chosen fields' values, one line per frame, with tshark's `-E`
//! options (header, separator, occurrence, aggregator, quote).

use crate::summary::{write_addr, write_time, SummaryOptions};
use sonde_dissect::display::write_value;
use sonde_dissect::{Dissection, FieldDef};
use std::fmt::Write;

/// Which occurrences of a field to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Occurrence {
    /// All, joined by the aggregator (`a`, the default).
    #[default]
    All,
    /// The first (`f`).
    First,
    /// The last (`l`).
    Last,
    /// The n-th, from 1.
    Nth(usize),
}

/// Quoting of values (`quote=d|s|n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quote {
    /// No quotes (the default).
    #[default]
    None,
    /// Double quotes.
    Double,
    /// Single quotes.
    Single,
}

/// The `-E` options.
#[derive(Debug, Clone)]
pub struct FieldsOptions {
    /// Print a header line with the field names.
    pub header: bool,
    /// Between fields.
    pub separator: String,
    /// Which occurrences.
    pub occurrence: Occurrence,
    /// Between occurrences.
    pub aggregator: String,
    /// Quoting.
    pub quote: Quote,
}

impl Default for FieldsOptions {
    fn default() -> Self {
        FieldsOptions {
            header: false,
            separator: "\t".into(),
            occurrence: Occurrence::All,
            aggregator: ",".into(),
            quote: Quote::None,
        }
    }
}

impl FieldsOptions {
    /// Applies one `-E key=value` option, as tshark spells them.
    pub fn apply(&mut self, opt: &str) -> Result<(), String> {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("invalid -E option '{opt}': expected key=value"))?;
        let unslash = |v: &str| match v {
            "/t" => "\t".to_string(),
            "/s" => " ".to_string(),
            other => other.to_string(),
        };
        match k {
            "header" => self.header = matches!(v, "y" | "Y"),
            "separator" => self.separator = unslash(v),
            "aggregator" => self.aggregator = unslash(v),
            "occurrence" => {
                self.occurrence = match v {
                    "a" => Occurrence::All,
                    "f" => Occurrence::First,
                    "l" => Occurrence::Last,
                    n => Occurrence::Nth(n.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        format!("invalid occurrence '{n}': use a, f, l or a number from 1")
                    })?),
                }
            }
            "quote" => {
                self.quote = match v {
                    "d" => Quote::Double,
                    "s" => Quote::Single,
                    "n" => Quote::None,
                    _ => return Err(format!("invalid quote '{v}': use d, s or n")),
                }
            }
            "bom" | "escape" => {}
            _ => {
                return Err(format!(
                "invalid -E option '{k}': use header, separator, occurrence, aggregator or quote"
            ))
            }
        }
        Ok(())
    }
}

/// A column of the summary, usable as a `_ws.col.*` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Number,
    Time,
    Source,
    Destination,
    Protocol,
    Length,
    Info,
}

#[derive(Debug, Clone, Copy)]
enum Wanted {
    Field(&'static FieldDef),
    Column(Column),
}

/// Prints chosen fields, frame after frame.
pub struct FieldsPrinter {
    wanted: Vec<(String, Wanted)>,
    opts: FieldsOptions,
    summary: SummaryOptions,
}

impl FieldsPrinter {
    /// Resolves the field names against the registry; unknown names are an error
    /// that lists them all.
    pub fn new(
        names: &[String],
        opts: FieldsOptions,
        summary: SummaryOptions,
    ) -> Result<FieldsPrinter, Vec<String>> {
        let mut wanted = Vec::new();
        let mut bad = Vec::new();
        for n in names {
            let col = match n.to_ascii_lowercase().as_str() {
                "_ws.col.no." | "_ws.col.number" => Some(Column::Number),
                "_ws.col.time" => Some(Column::Time),
                "_ws.col.source" | "_ws.col.def_src" => Some(Column::Source),
                "_ws.col.destination" | "_ws.col.def_dst" => Some(Column::Destination),
                "_ws.col.protocol" => Some(Column::Protocol),
                "_ws.col.length" => Some(Column::Length),
                "_ws.col.info" => Some(Column::Info),
                _ => None,
            };
            match (col, sonde_dissect::registry::lookup(n)) {
                (Some(c), _) => wanted.push((n.clone(), Wanted::Column(c))),
                (None, Some(def)) => wanted.push((n.clone(), Wanted::Field(def))),
                (None, None) => bad.push(n.clone()),
            }
        }
        if !bad.is_empty() {
            return Err(bad);
        }
        Ok(FieldsPrinter {
            wanted,
            opts,
            summary,
        })
    }

    /// The registered fields asked for (columns are always available).
    pub fn defs(&self) -> Vec<&'static FieldDef> {
        self.wanted
            .iter()
            .filter_map(|(_, w)| match w {
                Wanted::Field(f) => Some(*f),
                Wanted::Column(_) => None,
            })
            .collect()
    }

    /// True when the Info column is asked for.
    pub fn wants_info(&self) -> bool {
        self.wanted
            .iter()
            .any(|(_, w)| matches!(w, Wanted::Column(Column::Info)))
    }

    /// The header line, if asked for.
    pub fn header(&self) -> Option<String> {
        self.opts.header.then(|| {
            self.wanted
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(&self.opts.separator)
        })
    }

    /// Writes one frame's line (without newline). Occurrences are taken in
    /// the order the dissectors added them, which is the tree's order; values
    /// are written straight into `out`, with no allocation per frame.
    pub fn write_line(&mut self, out: &mut String, d: &Dissection, data: &[u8]) {
        let q = match self.opts.quote {
            Quote::None => "",
            Quote::Double => "\"",
            Quote::Single => "'",
        };
        for (i, (_, w)) in self.wanted.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.opts.separator);
            }
            match w {
                Wanted::Column(c) => {
                    out.push_str(q);
                    match c {
                        Column::Number => {
                            let _ = write!(out, "{}", d.frame.number);
                        }
                        Column::Time => write_time(out, d, &self.summary),
                        Column::Source => write_addr(out, d.cols.src, self.summary.resolve_mac),
                        Column::Destination => {
                            write_addr(out, d.cols.dst, self.summary.resolve_mac)
                        }
                        Column::Protocol => out.push_str(d.cols.protocol),
                        Column::Length => {
                            let _ = write!(out, "{}", d.frame.orig_len);
                        }
                        Column::Info => out.push_str(d.info()),
                    }
                    out.push_str(q);
                }
                Wanted::Field(f) => {
                    let hits =
                        (1..d.nodes.len() as u32).filter(|&id| std::ptr::eq(d.node(id).def, *f));
                    let chosen: Option<u32> = match self.opts.occurrence {
                        Occurrence::All => None,
                        Occurrence::First => hits.clone().next(),
                        Occurrence::Last => hits.clone().next_back(),
                        Occurrence::Nth(n) => hits.clone().nth(n - 1),
                    };
                    match (self.opts.occurrence, chosen) {
                        (Occurrence::All, _) => {
                            let mut first = true;
                            for id in hits {
                                if first {
                                    out.push_str(q);
                                    first = false;
                                } else {
                                    out.push_str(&self.opts.aggregator);
                                }
                                write_value(out, d, data, id);
                            }
                            if !first {
                                out.push_str(q);
                            }
                        }
                        (_, Some(id)) => {
                            out.push_str(q);
                            write_value(out, d, data, id);
                            out.push_str(q);
                        }
                        (_, None) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_options_parse_like_tshark() {
        let mut o = FieldsOptions::default();
        o.apply("header=y").unwrap();
        o.apply("separator=/s").unwrap();
        o.apply("occurrence=f").unwrap();
        o.apply("aggregator=;").unwrap();
        o.apply("quote=d").unwrap();
        assert!(o.header);
        assert_eq!(o.separator, " ");
        assert_eq!(o.occurrence, Occurrence::First);
        assert_eq!(o.aggregator, ";");
        assert_eq!(o.quote, Quote::Double);
        assert!(o.apply("occurrence=0").is_err());
        assert!(o.apply("nonsense").is_err());
    }

    #[test]
    fn unknown_fields_are_listed() {
        let e = FieldsPrinter::new(
            &["tcp.srcport".into(), "tcp.nope".into()],
            FieldsOptions::default(),
            SummaryOptions::default(),
        );
        assert_eq!(e.err().unwrap(), vec!["tcp.nope".to_string()]);
    }
}
