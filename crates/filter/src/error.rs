//! A filter that cannot be used: where, what and why, with field names that
//! were probably meant.

use std::fmt;

/// Why a filter was rejected, with the span of the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    expr: String,
    start: usize,
    end: usize,
    message: String,
    suggestions: Vec<&'static str>,
}

/// The 1-based character column of a byte offset.
pub(crate) fn column_of(src: &str, byte: usize) -> usize {
    src.get(..byte.min(src.len()))
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1
}

impl FilterError {
    /// An error about `expr[start..end]`, explained by `message` (a sentence).
    pub fn new(expr: &str, start: usize, end: usize, message: String) -> FilterError {
        let start = start.min(expr.len());
        FilterError {
            expr: expr.to_string(),
            start,
            end: end.clamp(start, expr.len()),
            message,
            suggestions: Vec::new(),
        }
    }

    /// Adds "did you mean" candidates.
    pub(crate) fn with_suggestions(mut self, s: Vec<&'static str>) -> FilterError {
        self.suggestions = s;
        self
    }

    /// The 1-based character column where the offending token starts.
    pub fn column(&self) -> usize {
        column_of(&self.expr, self.start)
    }

    /// The byte range of the offending token in the filter.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The explanation, one sentence (without the filter and the caret line).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Field names that were probably meant, closest first.
    pub fn suggestions(&self) -> &[&'static str] {
        &self.suggestions
    }

    /// The filter text.
    pub fn filter(&self) -> &str {
        &self.expr
    }
}

impl fmt::Display for FilterError {
    /// Three lines or more: the filter, a caret line under the offending token,
    /// the explanation and the suggestions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  {}", self.expr)?;
        let pad = self.column() - 1;
        let width = self.expr[self.start..self.end].chars().count().max(1);
        writeln!(f, "  {}^{}", " ".repeat(pad), "~".repeat(width - 1))?;
        write!(f, "{}", self.message)?;
        match self.suggestions.as_slice() {
            [] => Ok(()),
            [one] => write!(f, "\nDid you mean {one}?"),
            many => write!(f, "\nDid you mean {}?", many.join(", ")),
        }
    }
}

impl std::error::Error for FilterError {}

/// Edit distance between two short ASCII strings, counting a swap of two
/// neighbouring letters (`prot` for `port`) as one edit.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let w = b.len() + 1;
    let mut m = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            m[i * w + j] = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
                let mut v = (m[(i - 1) * w + j] + 1)
                    .min(m[i * w + j - 1] + 1)
                    .min(m[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(m[(i - 2) * w + j - 2] + 1);
                }
                v
            };
        }
    }
    m[a.len() * w + b.len()]
}

/// Registered names near `name`: small edit distance, or the same last part
/// under another protocol (`ip.port` → `tcp.port`, `udp.port`).
pub(crate) fn suggest(name: &str) -> Vec<&'static str> {
    let limit = (name.len() / 4).clamp(1, 3);
    let last = name.rsplit('.').next().unwrap_or(name);
    let mut scored: Vec<(usize, &'static str)> = sonde_dissect::registry::all_fields()
        .filter(|f| !f.abbrev.starts_with('_'))
        .filter_map(|f| {
            let d = edit_distance(name, f.abbrev);
            if d <= limit {
                Some((d, f.abbrev))
            } else if name.contains('.') && f.abbrev.rsplit('.').next() == Some(last) {
                Some((limit + 1, f.abbrev))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored.dedup_by_key(|s| s.1);
    scored.into_iter().take(4).map(|s| s.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_token() {
        let e = FilterError::new("tcp.prot == 80", 0, 8, "Unknown.".into())
            .with_suggestions(vec!["tcp.port"]);
        assert_eq!(
            e.to_string(),
            "  tcp.prot == 80\n  ^~~~~~~~\nUnknown.\nDid you mean tcp.port?"
        );
        assert_eq!(e.column(), 1);
    }

    #[test]
    fn suggestions_are_near() {
        assert_eq!(edit_distance("tcp.prot", "tcp.port"), 1);
        assert_eq!(edit_distance("abc", "abd"), 1);
        assert!(suggest("tcp.prot").contains(&"tcp.port"));
        assert!(suggest("ip.port").contains(&"tcp.port"));
        assert_eq!(suggest("ip.scr").first(), Some(&"ip.src"));
    }
}
