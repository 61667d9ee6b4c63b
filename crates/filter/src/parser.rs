//! The grammar, by recursive descent, with Wireshark 4.0's precedence (loosest
//! first): `or`, `xor`, `and`, `not`, relations (`== contains in` ...; they do
//! not chain), `+ -`, `* / %`, `&`, unary minus, then slices and layers.

use crate::error::FilterError;
use crate::lexer::{ArithOp, CmpOp, Tok, Token};

/// A byte span in the expression.
pub type Pos = (usize, usize);

/// A logical expression (a test that is true or false for a frame).
#[derive(Debug, Clone)]
pub enum Expr {
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `a xor b`
    Xor(Box<Expr>, Box<Expr>),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `not a`
    Not(Box<Expr>),
    /// A value alone: present (fields), non-zero (bitwise and).
    Test(Val),
    /// `a == b` and the other comparisons.
    Cmp(Val, CmpOp, Val, Pos),
    /// `a contains b`
    Contains(Val, Val, Pos),
    /// `a matches "re"`
    Matches(Val, Val, Pos),
    /// `a in {...}` (negated for `not in`).
    In(Val, Vec<SetItem>, bool),
}

/// An element of a set.
#[derive(Debug, Clone)]
pub enum SetItem {
    /// One value.
    One(Val),
    /// An inclusive range `lo..hi`.
    Range(Val, Val),
}

/// One range of a slice, after Wireshark's drange syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// `[i:n]`: n bytes from i (`[i:]` to the end).
    StartLen(i64, Option<i64>),
    /// `[i-j]`: bytes i to j inclusive.
    StartEnd(i64, i64),
    /// `[i]`: one byte.
    One(i64),
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Range::StartLen(s, Some(n)) => write!(f, "{s}:{n}"),
            Range::StartLen(s, None) => write!(f, "{s}:"),
            Range::StartEnd(s, e) => write!(f, "{s}-{e}"),
            Range::One(s) => write!(f, "{s}"),
        }
    }
}

/// A value expression.
#[derive(Debug, Clone)]
pub enum Val {
    /// A field name or an unquoted literal, decided when compiling.
    Word(String, Pos),
    /// A quoted string.
    Str(Vec<u8>, Pos),
    /// A character constant.
    Char(u32, Pos),
    /// `x[ranges]`
    Slice(Box<Val>, Vec<Range>, Pos),
    /// `field#N`
    Layer(Box<Val>, u32, Pos),
    /// `name(args)`
    Call(String, Vec<Val>, Pos),
    /// `a op b`
    Arith(Box<Val>, ArithOp, Box<Val>, Pos),
    /// `-a`
    Neg(Box<Val>, Pos),
    /// `${field}`
    Reference(String, Pos),
}

impl Val {
    /// Where the value is in the expression.
    pub fn pos(&self) -> Pos {
        match self {
            Val::Word(_, p)
            | Val::Str(_, p)
            | Val::Char(_, p)
            | Val::Slice(_, _, p)
            | Val::Layer(_, _, p)
            | Val::Call(_, _, p)
            | Val::Arith(_, _, _, p)
            | Val::Neg(_, p)
            | Val::Reference(_, p) => *p,
        }
    }
}

/// Parses an expression.
pub fn parse(src: &str, toks: &[Token]) -> Result<Expr, FilterError> {
    let mut p = Parser { src, toks, i: 0 };
    if matches!(p.peek(), Tok::Eof) {
        return Err(FilterError::new(
            src,
            0,
            0,
            "The filter is empty: write a field or protocol name, such as tcp.".into(),
        ));
    }
    let e = p.or()?;
    match p.peek() {
        Tok::Eof => Ok(e),
        Tok::RParen => Err(p.here("This \")\" closes a parenthesis that was never opened.")),
        Tok::Cmp(_) | Tok::Contains | Tok::Matches | Tok::In => {
            Err(p.here("Comparisons cannot be chained: join them with \"and\" (a < b and b < c)."))
        }
        _ => Err(p.unexpected("Expected \"and\", \"or\" or the end of the filter")),
    }
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].tok
    }

    fn tok(&self) -> &Token {
        &self.toks[self.i]
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn here(&self, msg: &str) -> FilterError {
        let t = self.tok();
        FilterError::new(self.src, t.start, t.end, msg.to_string())
    }

    fn unexpected(&self, want: &str) -> FilterError {
        let t = self.tok();
        let what = if matches!(t.tok, Tok::Eof) {
            "the filter ends".to_string()
        } else {
            format!("found \"{}\"", &self.src[t.start..t.end])
        };
        FilterError::new(self.src, t.start, t.end, format!("{want}, but {what}."))
    }

    /// One left-associative level of logical operators.
    fn level(
        &mut self,
        op: &Tok,
        next: fn(&mut Self) -> Result<Expr, FilterError>,
        make: fn(Box<Expr>, Box<Expr>) -> Expr,
    ) -> Result<Expr, FilterError> {
        let mut e = next(self)?;
        while self.peek() == op {
            self.bump();
            let r = next(self)?;
            e = make(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        self.level(&Tok::Or, Self::xor, Expr::Or)
    }

    fn xor(&mut self) -> Result<Expr, FilterError> {
        self.level(&Tok::Xor, Self::and, Expr::Xor)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        self.level(&Tok::And, Self::not, Expr::And)
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if matches!(self.peek(), Tok::Not) {
            self.bump();
            let e = self.not()?;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.relation()
    }

    fn relation(&mut self) -> Result<Expr, FilterError> {
        if matches!(self.peek(), Tok::LParen) {
            let open = self.bump();
            let e = self.or()?;
            if !matches!(self.peek(), Tok::RParen) {
                let t = self.tok();
                let msg = if matches!(t.tok, Tok::Eof) {
                    "This \"(\" is never closed: a \")\" is missing.".to_string()
                } else {
                    format!(
                        "Expected \")\" to close the parenthesis opened at column {}, but found \"{}\".",
                        crate::error::column_of(self.src, open.start),
                        &self.src[t.start..t.end]
                    )
                };
                let (s, e) = if matches!(t.tok, Tok::Eof) {
                    (open.start, open.end)
                } else {
                    (t.start, t.end)
                };
                return Err(FilterError::new(self.src, s, e, msg));
            }
            self.bump();
            return Ok(e);
        }
        let lhs = self.value()?;
        let op_tok = self.tok().clone();
        let pos = (op_tok.start, op_tok.end);
        match op_tok.tok {
            Tok::Cmp(op) => {
                self.bump();
                let rhs = self.value()?;
                Ok(Expr::Cmp(lhs, op, rhs, pos))
            }
            Tok::Contains => {
                self.bump();
                let rhs = self.value()?;
                Ok(Expr::Contains(lhs, rhs, pos))
            }
            Tok::Matches => {
                self.bump();
                let rhs = self.value()?;
                Ok(Expr::Matches(lhs, rhs, pos))
            }
            Tok::In => {
                self.bump();
                let set = self.set()?;
                Ok(Expr::In(lhs, set, false))
            }
            Tok::Not if matches!(self.toks.get(self.i + 1).map(|t| &t.tok), Some(Tok::In)) => {
                self.bump();
                self.bump();
                let set = self.set()?;
                Ok(Expr::In(lhs, set, true))
            }
            _ => Ok(Expr::Test(lhs)),
        }
    }

    fn set(&mut self) -> Result<Vec<SetItem>, FilterError> {
        if !matches!(self.peek(), Tok::LBrace) {
            return Err(
                self.unexpected("\"in\" must be followed by a set in braces, as in {80, 443}")
            );
        }
        self.bump();
        let mut items = Vec::new();
        loop {
            if matches!(self.peek(), Tok::RBrace) && !items.is_empty() {
                self.bump();
                return Ok(items);
            }
            let lo = self.value()?;
            if matches!(self.peek(), Tok::DotDot) {
                self.bump();
                let hi = self.value()?;
                items.push(SetItem::Range(lo, hi));
            } else {
                items.push(SetItem::One(lo));
            }
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RBrace => {}
                _ => {
                    return Err(self.unexpected(
                        "Set elements are separated by commas and the set ends with \"}\"",
                    ))
                }
            }
        }
    }

    /// Sums: `a + b`, `a - b`.
    fn value(&mut self) -> Result<Val, FilterError> {
        let mut v = self.product()?;
        while let Tok::Arith(op @ (ArithOp::Add | ArithOp::Sub)) = *self.peek() {
            let t = self.bump();
            let r = self.product()?;
            v = Val::Arith(Box::new(v), op, Box::new(r), (t.start, t.end));
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<Val, FilterError> {
        let mut v = self.bitand()?;
        while let Tok::Arith(op @ (ArithOp::Mul | ArithOp::Div | ArithOp::Rem)) = *self.peek() {
            let t = self.bump();
            let r = self.bitand()?;
            v = Val::Arith(Box::new(v), op, Box::new(r), (t.start, t.end));
        }
        Ok(v)
    }

    fn bitand(&mut self) -> Result<Val, FilterError> {
        let mut v = self.unary()?;
        while let Tok::Arith(ArithOp::BitAnd) = *self.peek() {
            let t = self.bump();
            let r = self.unary()?;
            v = Val::Arith(Box::new(v), ArithOp::BitAnd, Box::new(r), (t.start, t.end));
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<Val, FilterError> {
        if let Tok::Arith(ArithOp::Sub) = self.peek() {
            let t = self.bump();
            let v = self.unary()?;
            let end = v.pos().1;
            // A negative number is a literal, not an operation.
            if let Val::Word(w, _) = &v {
                if w.starts_with(|c: char| c.is_ascii_digit()) {
                    return Ok(Val::Word(format!("-{w}"), (t.start, end)));
                }
            }
            return Ok(Val::Neg(Box::new(v), (t.start, end)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Val, FilterError> {
        let mut v = self.primary()?;
        loop {
            let t = self.tok().clone();
            match &t.tok {
                Tok::Slice(text) => {
                    self.bump();
                    let ranges = parse_ranges(self.src, text, t.start)?;
                    let start = v.pos().0;
                    v = Val::Slice(Box::new(v), ranges, (start, t.end));
                }
                Tok::Layer(n) => {
                    self.bump();
                    let start = v.pos().0;
                    v = Val::Layer(Box::new(v), *n, (start, t.end));
                }
                _ => return Ok(v),
            }
        }
    }

    fn primary(&mut self) -> Result<Val, FilterError> {
        let t = self.tok().clone();
        let pos = (t.start, t.end);
        match t.tok {
            Tok::Word(w) => {
                self.bump();
                if matches!(self.peek(), Tok::LParen) {
                    self.bump();
                    let mut args = Vec::new();
                    if !matches!(self.peek(), Tok::RParen) {
                        loop {
                            args.push(self.value()?);
                            match self.peek() {
                                Tok::Comma => {
                                    self.bump();
                                }
                                Tok::RParen => break,
                                _ => {
                                    return Err(self.unexpected(&format!(
                                        "Expected \",\" or \")\" in the arguments of {w}()"
                                    )))
                                }
                            }
                        }
                    }
                    let close = self.bump();
                    return Ok(Val::Call(w, args, (t.start, close.end)));
                }
                Ok(Val::Word(w, pos))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(Val::Str(s, pos))
            }
            Tok::Char(c) => {
                self.bump();
                Ok(Val::Char(c, pos))
            }
            Tok::Reference(r) => {
                self.bump();
                Ok(Val::Reference(r, pos))
            }
            Tok::LBrace => {
                // Wireshark 4.0 groups arithmetic in braces: {a + b} * 2.
                self.bump();
                let v = self.value()?;
                if !matches!(self.peek(), Tok::RBrace) {
                    return Err(self.unexpected("Expected \"}\" to close the arithmetic group"));
                }
                self.bump();
                Ok(v)
            }
            Tok::Eof => Err(self.unexpected("Expected a field, a value or \"(\"")),
            Tok::RParen | Tok::Comma | Tok::RBrace => {
                Err(self.unexpected("Expected a field, a value or \"(\""))
            }
            _ => Err(FilterError::new(
                self.src,
                t.start,
                t.end,
                format!(
                    "\"{}\" cannot start a value: expected a field name, a number, a string or \"(\".",
                    &self.src[t.start..t.end]
                ),
            )),
        }
    }
}

/// Parses the text of a slice, `0:3`, `-2:`, `1-4`, `0`, `0:2,4`. `at` is the
/// offset of the `[` in the expression.
fn parse_ranges(src: &str, text: &str, at: usize) -> Result<Vec<Range>, FilterError> {
    let bad = |part: &str, off: usize, why: &str| {
        let s = at + 1 + off;
        FilterError::new(
            src,
            s,
            (s + part.len()).max(s + 1),
            format!("\"{}\" is not a valid slice: {why}", part.trim()),
        )
    };
    let num = |s: &str| -> Option<i64> {
        let s = s.trim();
        if let Some(h) = s.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else {
            s.parse::<i64>().ok()
        }
    };
    let mut out = Vec::new();
    let mut off = 0;
    for part in text.split(',') {
        let p = part.trim();
        let range = if let Some((a, b)) = p.split_once(':') {
            let start = if a.trim().is_empty() { Some(0) } else { num(a) };
            let len = if b.trim().is_empty() {
                Some(None)
            } else {
                num(b).filter(|&n| n > 0).map(Some)
            };
            match (start, len) {
                (Some(s), Some(l)) => Range::StartLen(s, l),
                _ => {
                    return Err(bad(
                        part,
                        off,
                        "use [start:length] with a positive length, as in [0:3].",
                    ))
                }
            }
        } else if let Some(i) = p.get(1..).and_then(|r| r.find('-')).map(|i| i + 1) {
            match (num(&p[..i]), num(&p[i + 1..])) {
                (Some(s), Some(e)) if (s >= 0) == (e >= 0) && e >= s => Range::StartEnd(s, e),
                _ => {
                    return Err(bad(
                        part,
                        off,
                        "use [start-end] with end not before start, as in [1-4].",
                    ))
                }
            }
        } else {
            match num(p) {
                Some(s) => Range::One(s),
                None => {
                    return Err(bad(
                        part,
                        off,
                        "use [i], [start:length], [start-end] or [-n:], with numbers.",
                    ))
                }
            }
        };
        out.push(range);
        off += part.len() + 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn p(s: &str) -> Result<Expr, FilterError> {
        parse(s, &tokenize(s)?)
    }

    #[test]
    fn precedence() {
        match p("a or b and c").unwrap() {
            Expr::Or(_, r) => assert!(matches!(*r, Expr::And(..))),
            e => panic!("{e:?}"),
        }
        match p("not a and b").unwrap() {
            Expr::And(l, _) => assert!(matches!(*l, Expr::Not(..))),
            e => panic!("{e:?}"),
        }
        match p("a & 2 == 2").unwrap() {
            Expr::Cmp(Val::Arith(..), CmpOp::AnyEq, _, _) => {}
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn errors() {
        assert!(p("").is_err());
        assert!(p("(tcp").is_err());
        assert!(p("tcp)").is_err());
        assert!(p("a == 1 == 2").is_err());
        assert!(p("a in {}").is_err());
        assert!(p("a in {1 2}").is_err());
        assert!(p("a ==").is_err());
        assert!(p("a[1:0] == 0").is_err());
    }

    #[test]
    fn slices() {
        assert_eq!(
            parse_ranges("", "0:3, -2:, 1-4, 5, :2", 0).unwrap(),
            vec![
                Range::StartLen(0, Some(3)),
                Range::StartLen(-2, None),
                Range::StartEnd(1, 4),
                Range::One(5),
                Range::StartLen(0, Some(2)),
            ]
        );
    }
}
