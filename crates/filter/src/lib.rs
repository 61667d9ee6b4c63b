//! Wireshark display filters (`tcp.port == 22 && ip.src == 10.0.0.1`): lexed,
//! parsed, compiled once against the field registry, then evaluated on each
//! frame's [`Dissection`].
//!
//! The semantics are Wireshark 4.0's, as `tshark -Y` applies them: a field alone
//! tests presence; `==` matches when any occurrence matches and `!=` when all
//! differ (and the field is present); `===` and `!==` are "all equal" and "any
//! differs"; `matches` ignores case; `and` binds tighter than `or`.
//!
//! ```
//! let f = sonde_filter::Filter::compile("tcp.port == 22 or udp").unwrap();
//! assert_eq!(f.canonical(), "tcp.port == 22 or udp");
//! let names: Vec<&str> = f.fields().iter().map(|d| d.abbrev).collect();
//! assert_eq!(names, ["tcp.port", "udp"]);
//! let e = sonde_filter::Filter::compile("tcp.prot == 22").unwrap_err();
//! assert!(e.to_string().contains("tcp.port"));
//! ```
#![forbid(unsafe_code)]

mod compile;
mod error;
mod eval;
mod lexer;
mod literal;
mod parser;

pub use error::FilterError;

use sonde_dissect::Dissection;

/// A compiled display filter.
#[derive(Debug, Clone)]
pub struct Filter {
    prog: compile::Prog,
}

impl Filter {
    /// Compiles a filter expression; the error points at the offending token.
    pub fn compile(expr: &str) -> Result<Filter, FilterError> {
        let toks = lexer::tokenize(expr)?;
        let ast = parser::parse(expr, &toks)?;
        let prog = compile::Compiler { src: expr }.expr(&ast)?;
        Ok(Filter { prog })
    }

    /// True when the dissected frame (`data` is its bytes) passes the filter.
    pub fn matches(&self, d: &Dissection, data: &[u8]) -> bool {
        self.prog.eval(&eval::Cx { d, data })
    }

    /// The fields (and protocols) the filter reads, each once, in the order
    /// they appear: what a dissector must produce for the filter to decide
    /// (the hook for dissecting only as deep as a filter needs).
    pub fn fields(&self) -> Vec<&'static sonde_dissect::FieldDef> {
        let mut all = Vec::new();
        self.prog.fields(&mut all);
        let mut out: Vec<&'static sonde_dissect::FieldDef> = Vec::new();
        for f in all {
            if !out.iter().any(|g| std::ptr::eq(*g, f)) {
                out.push(f);
            }
        }
        out
    }

    /// True when the filter selects layers (`ip.src#2`): it then needs the
    /// tree's nesting, not only the fields it names.
    pub fn uses_layers(&self) -> bool {
        self.prog.layered()
    }

    /// The filter as it was understood: grouping made explicit with
    /// parentheses, operators and literals in one spelling
    /// (`tcp.port eq 0x50 && !udp` → `tcp.port == 80 and not udp`).
    pub fn canonical(&self) -> String {
        self.prog.to_string()
    }
}

impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.prog)
    }
}
