//! Tokens of the filter language, each with its byte span in the expression so
//! that errors can point at it.

use crate::error::FilterError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`, `eq`, `any_eq`: some occurrence is equal.
    AnyEq,
    /// `!=`, `ne`, `all_ne`: no occurrence is equal (and there is one).
    AllNe,
    /// `===`, `all_eq`: every occurrence is equal.
    AllEq,
    /// `!==`, `~=`, `any_ne`: some occurrence differs.
    AnyNe,
    /// `>`, `gt`.
    Gt,
    /// `>=`, `ge`.
    Ge,
    /// `<`, `lt`.
    Lt,
    /// `<=`, `le`.
    Le,
}

impl CmpOp {
    /// The operator as the canonical form prints it.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::AnyEq => "==",
            CmpOp::AllNe => "!=",
            CmpOp::AllEq => "===",
            CmpOp::AnyNe => "!==",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

/// An arithmetic operator (`+ - * / %`, Wireshark 4.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `&`, `bitwise_and`
    BitAnd,
}

impl ArithOp {
    /// The operator as the canonical form prints it.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
            ArithOp::BitAnd => "&",
        }
    }
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `..`
    DotDot,
    /// `[...]`: the text between the brackets.
    Slice(String),
    /// `#N`: a layer number.
    Layer(u32),
    /// A comparison.
    Cmp(CmpOp),
    /// An arithmetic or bitwise operator.
    Arith(ArithOp),
    /// `and`, `&&`
    And,
    /// `or`, `||`
    Or,
    /// `xor`, `^^`
    Xor,
    /// `not`, `!`
    Not,
    /// `in`
    In,
    /// `contains`
    Contains,
    /// `matches`, `~`
    Matches,
    /// A field name, a number, an address or a byte string, as typed.
    Word(String),
    /// A quoted string, escapes decoded.
    Str(Vec<u8>),
    /// A character constant `'a'`.
    Char(u32),
    /// `${field}`: the value of a field in the reference frame (unsupported).
    Reference(String),
    /// End of input.
    Eof,
}

/// A token and where it is.
#[derive(Debug, Clone)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.')
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.' | b'-' | b'/')
}

/// Splits an expression into tokens (the last is [`Tok::Eof`]).
pub fn tokenize(src: &str) -> Result<Vec<Token>, FilterError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let err = |start: usize, end: usize, msg: String| FilterError::new(src, start, end, msg);
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let two = b.get(i..i + 2).unwrap_or(&[]);
        let three = b.get(i..i + 3).unwrap_or(&[]);
        let (tok, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b',' => (Tok::Comma, 1),
            b'=' if three == b"===" => (Tok::Cmp(CmpOp::AllEq), 3),
            b'=' if two == b"==" => (Tok::Cmp(CmpOp::AnyEq), 2),
            b'=' => {
                return Err(err(
                    i,
                    i + 1,
                    "A single \"=\" is not an operator: write \"==\" to compare.".into(),
                ))
            }
            b'!' if three == b"!==" => (Tok::Cmp(CmpOp::AnyNe), 3),
            b'!' if two == b"!=" => (Tok::Cmp(CmpOp::AllNe), 2),
            b'!' => (Tok::Not, 1),
            b'~' if two == b"~=" => (Tok::Cmp(CmpOp::AnyNe), 2),
            b'~' => (Tok::Matches, 1),
            b'<' if two == b"<=" => (Tok::Cmp(CmpOp::Le), 2),
            b'<' => (Tok::Cmp(CmpOp::Lt), 1),
            b'>' if two == b">=" => (Tok::Cmp(CmpOp::Ge), 2),
            b'>' => (Tok::Cmp(CmpOp::Gt), 1),
            b'&' if two == b"&&" => (Tok::And, 2),
            b'&' => (Tok::Arith(ArithOp::BitAnd), 1),
            b'|' if two == b"||" => (Tok::Or, 2),
            b'^' if two == b"^^" => (Tok::Xor, 2),
            b'+' => (Tok::Arith(ArithOp::Add), 1),
            b'-' => (Tok::Arith(ArithOp::Sub), 1),
            b'*' => (Tok::Arith(ArithOp::Mul), 1),
            b'/' => (Tok::Arith(ArithOp::Div), 1),
            b'%' => (Tok::Arith(ArithOp::Rem), 1),
            b'.' if two == b".." => (Tok::DotDot, 2),
            b'[' => {
                let Some(close) = b[i..].iter().position(|&x| x == b']') else {
                    return Err(err(
                        i,
                        b.len(),
                        "This \"[\" has no matching \"]\" to close the slice.".into(),
                    ));
                };
                (Tok::Slice(src[i + 1..i + close].to_string()), close + 1)
            }
            b'#' => {
                let n = b[i + 1..].iter().take_while(|x| x.is_ascii_digit()).count();
                let layer = src[i + 1..i + 1 + n].parse::<u32>().ok().filter(|&l| l > 0);
                match layer {
                    Some(l) => (Tok::Layer(l), 1 + n),
                    None => {
                        return Err(err(
                            i,
                            i + 1 + n,
                            "\"#\" must be followed by a layer number from 1, as in ip.addr#2."
                                .into(),
                        ))
                    }
                }
            }
            b'$' => {
                let rest = &src[i + 1..];
                let (name, len) = if let Some(r) = rest.strip_prefix('{') {
                    match r.find('}') {
                        Some(e) => (r[..e].to_string(), e + 3),
                        None => {
                            return Err(err(
                                i,
                                b.len(),
                                "This \"${\" has no matching \"}\".".into(),
                            ))
                        }
                    }
                } else {
                    let n = rest.bytes().take_while(|&x| is_word_char(x)).count();
                    (rest[..n].to_string(), n + 1)
                };
                (Tok::Reference(name), len)
            }
            b'"' => lex_string(src, i, false)?,
            b'r' | b'R' if b.get(i + 1) == Some(&b'"') => {
                let (t, l) = lex_string(src, i + 1, true)?;
                (t, l + 1)
            }
            b'\'' => lex_char(src, i)?,
            c if is_word_start(c) => {
                let mut j = i;
                while j < b.len() && is_word_char(b[j]) {
                    // `1..1024` in a set: stop before the range operator.
                    if b[j] == b'.' && b.get(j + 1) == Some(&b'.') {
                        break;
                    }
                    j += 1;
                }
                let w = &src[i..j];
                let tok = match w {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "xor" => Tok::Xor,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "contains" => Tok::Contains,
                    "matches" => Tok::Matches,
                    "eq" | "any_eq" => Tok::Cmp(CmpOp::AnyEq),
                    "ne" | "all_ne" => Tok::Cmp(CmpOp::AllNe),
                    "all_eq" => Tok::Cmp(CmpOp::AllEq),
                    "any_ne" => Tok::Cmp(CmpOp::AnyNe),
                    "gt" => Tok::Cmp(CmpOp::Gt),
                    "ge" => Tok::Cmp(CmpOp::Ge),
                    "lt" => Tok::Cmp(CmpOp::Lt),
                    "le" => Tok::Cmp(CmpOp::Le),
                    "bitwise_and" => Tok::Arith(ArithOp::BitAnd),
                    _ => Tok::Word(w.to_string()),
                };
                (tok, j - i)
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(
                    i,
                    i + ch.len_utf8(),
                    format!("The character \"{ch}\" has no meaning in a display filter."),
                ));
            }
        };
        out.push(Token {
            tok,
            start,
            end: start + len,
        });
        i = start + len;
    }
    out.push(Token {
        tok: Tok::Eof,
        start: b.len(),
        end: b.len(),
    });
    Ok(out)
}

/// Reads a quoted string starting at the `"` at `start`; returns the token and
/// its length from `start`.
fn lex_string(src: &str, start: usize, raw: bool) -> Result<(Tok, usize), FilterError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok((Tok::Str(out), i + 1 - start)),
            b'\\' if raw => {
                // A raw string keeps backslashes, but \" still does not end it.
                out.push(b'\\');
                if let Some(&n) = b.get(i + 1) {
                    out.push(n);
                }
                i += 2;
            }
            b'\\' => {
                let (bytes, len) = unescape(src, i)?;
                out.extend_from_slice(&bytes);
                i += len;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(FilterError::new(
        src,
        start,
        b.len(),
        "This string has no closing quote (\").".into(),
    ))
}

/// Decodes one backslash escape at `i`; returns its bytes and its length.
fn unescape(src: &str, i: usize) -> Result<(Vec<u8>, usize), FilterError> {
    let b = src.as_bytes();
    let Some(&c) = b.get(i + 1) else {
        return Err(FilterError::new(
            src,
            i,
            i + 1,
            "A backslash at the end of the filter escapes nothing.".into(),
        ));
    };
    let one = |v: u8| Ok((vec![v], 2));
    match c {
        b'\\' | b'"' | b'\'' => one(c),
        b'a' => one(7),
        b'b' => one(8),
        b'f' => one(12),
        b'n' => one(b'\n'),
        b'r' => one(b'\r'),
        b't' => one(b'\t'),
        b'v' => one(11),
        b'x' => {
            let n = b[i + 2..]
                .iter()
                .take(2)
                .take_while(|x| x.is_ascii_hexdigit())
                .count();
            if n == 0 {
                return Err(FilterError::new(
                    src,
                    i,
                    i + 2,
                    "\\x must be followed by one or two hexadecimal digits.".into(),
                ));
            }
            let v = u8::from_str_radix(&src[i + 2..i + 2 + n], 16).unwrap_or(0);
            Ok((vec![v], 2 + n))
        }
        b'0'..=b'7' => {
            let n = b[i + 1..]
                .iter()
                .take(3)
                .take_while(|x| (b'0'..=b'7').contains(x))
                .count();
            match u8::from_str_radix(&src[i + 1..i + 1 + n], 8) {
                Ok(v) => Ok((vec![v], 1 + n)),
                Err(_) => Err(FilterError::new(
                    src,
                    i,
                    i + 1 + n,
                    "This octal escape is larger than a byte (\\377 at most).".into(),
                )),
            }
        }
        b'u' | b'U' => {
            let want = if c == b'u' { 4 } else { 8 };
            let digits = src.get(i + 2..i + 2 + want).unwrap_or("");
            let ch = (digits.len() == want && digits.bytes().all(|x| x.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(digits, 16).ok())
                .flatten()
                .and_then(char::from_u32);
            match ch {
                Some(ch) => {
                    let mut buf = [0u8; 4];
                    Ok((ch.encode_utf8(&mut buf).as_bytes().to_vec(), 2 + want))
                }
                None => Err(FilterError::new(
                    src,
                    i,
                    (i + 2 + want).min(src.len()),
                    format!(
                        "\\{} must be followed by {want} hexadecimal digits naming a character.",
                        c as char
                    ),
                )),
            }
        }
        _ => {
            let ch = src[i + 1..].chars().next().unwrap_or('?');
            Err(FilterError::new(
                src,
                i,
                i + 1 + ch.len_utf8(),
                format!(
                    "\\{ch} is not a valid escape: use \\\\, \\\", \\n, \\t, \\r, \\xhh or \\ooo."
                ),
            ))
        }
    }
}

/// Reads a character constant `'a'`, `'\n'`, `'\x41'`.
fn lex_char(src: &str, start: usize) -> Result<(Tok, usize), FilterError> {
    let b = src.as_bytes();
    let bad = || {
        let end = src[start + 1..]
            .find('\'')
            .map(|e| start + 2 + e)
            .unwrap_or(src.len());
        FilterError::new(
            src,
            start,
            end,
            "A character constant holds exactly one character, as in 'a' or '\\n'.".into(),
        )
    };
    let (value, len) = match b.get(start + 1) {
        Some(b'\\') => {
            let (bytes, len) = unescape(src, start + 1)?;
            let v = match std::str::from_utf8(&bytes).ok().and_then(|s| {
                let mut it = s.chars();
                it.next().filter(|_| it.next().is_none())
            }) {
                Some(ch) if bytes.len() > 1 => ch as u32,
                _ => u32::from(*bytes.first().ok_or_else(bad)?),
            };
            (v, len)
        }
        Some(b'\'') | None => return Err(bad()),
        Some(_) => {
            let ch = src[start + 1..].chars().next().ok_or_else(bad)?;
            (ch as u32, ch.len_utf8())
        }
    };
    if b.get(start + 1 + len) != Some(&b'\'') {
        return Err(bad());
    }
    Ok((Tok::Char(value), len + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn operators_and_words() {
        assert_eq!(
            toks("tcp.port==80&&!udp"),
            vec![
                Tok::Word("tcp.port".into()),
                Tok::Cmp(CmpOp::AnyEq),
                Tok::Word("80".into()),
                Tok::And,
                Tok::Not,
                Tok::Word("udp".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("{1..1024}"),
            vec![
                Tok::LBrace,
                Tok::Word("1".into()),
                Tok::DotDot,
                Tok::Word("1024".into()),
                Tok::RBrace,
                Tok::Eof
            ]
        );
        assert_eq!(toks("a !== b")[1], Tok::Cmp(CmpOp::AnyNe));
        assert_eq!(toks("a ~= b")[1], Tok::Cmp(CmpOp::AnyNe));
        assert_eq!(toks("a === b")[1], Tok::Cmp(CmpOp::AllEq));
        assert_eq!(toks("eth.src[0:3]")[1], Tok::Slice("0:3".into()));
        assert_eq!(toks("ip.addr#2")[1], Tok::Layer(2));
    }

    #[test]
    fn strings_and_chars() {
        assert_eq!(
            toks(r#""a\"b\x41\101\n""#)[0],
            Tok::Str(b"a\"bAA\n".to_vec())
        );
        assert_eq!(toks(r#"r"a\d""#)[0], Tok::Str(b"a\\d".to_vec()));
        assert_eq!(toks("'G'")[0], Tok::Char(71));
        assert_eq!(toks(r"'\x41'")[0], Tok::Char(65));
        assert!(tokenize(r#""\q""#).is_err());
        assert!(tokenize(r#""open"#).is_err());
        assert!(tokenize("a = b").is_err());
        assert!(tokenize("''").is_err());
    }
}
