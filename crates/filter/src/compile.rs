//! Turning the syntax tree into a program: names resolved against the field
//! registry, literals read in the type of what they are compared with, and
//! every type mismatch reported here rather than at run time.

use crate::error::{suggest, FilterError};
use crate::lexer::{ArithOp, CmpOp};
use crate::literal;
use crate::parser::{Expr, Pos, Range, SetItem, Val};
use sonde_dissect::registry::{lookup, FieldDef, Kind};
use std::fmt;

/// The class of a value: decides how literals are read and values compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Bool,
    Float,
    RelTime,
    AbsTime,
    Ipv4,
    Ipv6,
    Ether,
    Bytes,
    Str,
    Protocol,
    NoValue,
}

impl Ty {
    pub(crate) fn of(def: &FieldDef) -> Ty {
        match def.kind {
            Kind::Protocol => Ty::Protocol,
            Kind::None => Ty::NoValue,
            Kind::Bool => Ty::Bool,
            Kind::U8 | Kind::U16 | Kind::U24 | Kind::U32 | Kind::U64 | Kind::I32 => Ty::Int,
            Kind::FrameNum => Ty::Int,
            Kind::Ether => Ty::Ether,
            Kind::Ipv4 => Ty::Ipv4,
            Kind::Ipv6 => Ty::Ipv6,
            Kind::Bytes => Ty::Bytes,
            Kind::Str => Ty::Str,
            // Wireshark's frame.time_epoch is a relative time (seconds).
            Kind::AbsTime if def.abbrev.ends_with("epoch") => Ty::RelTime,
            Kind::AbsTime => Ty::AbsTime,
            Kind::RelTime => Ty::RelTime,
            Kind::Double => Ty::Float,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Bool => "a boolean",
            Ty::Float => "a floating-point number",
            Ty::RelTime => "a time in seconds",
            Ty::AbsTime => "an absolute time",
            Ty::Ipv4 => "an IPv4 address",
            Ty::Ipv6 => "an IPv6 address",
            Ty::Ether => "a MAC address",
            Ty::Bytes => "a byte string",
            Ty::Str => "a character string",
            Ty::Protocol => "a protocol",
            Ty::NoValue => "a label with no value",
        }
    }

    fn bytes_like(self) -> bool {
        matches!(self, Ty::Bytes | Ty::Ether | Ty::Protocol | Ty::Str)
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Bool | Ty::Float | Ty::RelTime)
    }

    fn compatible(self, other: Ty) -> bool {
        self == other
            || (self.bytes_like() && other.bytes_like())
            || (matches!(self, Ty::Int | Ty::Bool | Ty::Float)
                && matches!(other, Ty::Int | Ty::Bool | Ty::Float))
    }
}

/// `field#N`: only occurrences inside the N-th layer of the field's protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer {
    pub n: u32,
    pub proto: &'static FieldDef,
}

/// A constant, already in the form values are compared in.
#[derive(Debug, Clone)]
pub(crate) enum Const {
    Int(i128),
    Float(f64),
    /// Nanoseconds; true for an absolute time.
    Time(i128, bool),
    Bytes(Vec<u8>),
    Str(Vec<u8>),
    V4(u32, u8),
    V6(u128, u8),
}

/// Something that yields values for a frame (none, one or several).
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// The values of a field's occurrences, in its type.
    Field(&'static FieldDef, Ty, Option<Layer>),
    /// The bytes of a field's occurrences (for slices).
    Raw(&'static FieldDef, Option<Layer>),
    /// A slice of byte values.
    Slice(Box<Operand>, Vec<Range>),
    /// The length of each value.
    Len(Box<Operand>),
    /// The number of occurrences of a field.
    Count(&'static FieldDef, Option<Layer>),
    /// Strings in lower (false) or upper (true) case.
    Case(Box<Operand>, bool),
    /// The field's values as text.
    ToString(&'static FieldDef, Option<Layer>),
    /// The largest (true) or smallest value over all arguments.
    MinMax(Vec<Operand>, bool),
    /// Absolute values.
    Abs(Box<Operand>),
    /// Arithmetic.
    Arith(Box<Operand>, ArithOp, Box<Operand>),
    /// Negation.
    Neg(Box<Operand>),
    /// A constant.
    Const(Const),
}

/// The compiled filter.
#[derive(Debug, Clone)]
pub(crate) enum Prog {
    Or(Box<Prog>, Box<Prog>),
    Xor(Box<Prog>, Box<Prog>),
    And(Box<Prog>, Box<Prog>),
    Not(Box<Prog>),
    /// True when the operand yields at least one value (a field is present).
    Exists(Operand),
    /// True when some value is not zero (`tcp.flags & 0x02`).
    NonZero(Operand),
    Cmp(Operand, CmpOp, Operand),
    Contains(Operand, Operand),
    Matches(Operand, regex::bytes::Regex),
    In(Operand, Vec<(Operand, Option<Operand>)>),
}

pub(crate) struct Compiler<'a> {
    pub src: &'a str,
}

fn looks_like_name(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && w.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        && !literal::parse_bytes(w).is_some_and(|b| b.len() > 1 || w.len() <= 2)
}

fn field(w: &str) -> Option<&'static FieldDef> {
    lookup(w).or_else(|| w.strip_prefix('.').and_then(lookup))
}

const FUNCTIONS: &str = "len, count, lower, upper, string, min, max and abs";

impl Compiler<'_> {
    fn err(&self, pos: Pos, msg: String) -> FilterError {
        FilterError::new(self.src, pos.0, pos.1, msg)
    }

    fn text(&self, pos: Pos) -> &str {
        &self.src[pos.0..pos.1]
    }

    fn unknown(&self, w: &str, pos: Pos) -> FilterError {
        let proto = w.split('.').next().unwrap_or(w);
        let msg = if w.contains('.') && lookup(proto).is_none() {
            format!(
                "\"{w}\" is neither a field nor a protocol name: sonde has no protocol \"{proto}\" (`sonde fields` lists what it knows)."
            )
        } else {
            format!("\"{w}\" is neither a field nor a protocol name (`sonde fields` lists them).")
        };
        self.err(pos, msg).with_suggestions(suggest(w))
    }

    pub(crate) fn expr(&self, e: &Expr) -> Result<Prog, FilterError> {
        Ok(match e {
            Expr::Or(a, b) => Prog::Or(Box::new(self.expr(a)?), Box::new(self.expr(b)?)),
            Expr::Xor(a, b) => Prog::Xor(Box::new(self.expr(a)?), Box::new(self.expr(b)?)),
            Expr::And(a, b) => Prog::And(Box::new(self.expr(a)?), Box::new(self.expr(b)?)),
            Expr::Not(a) => Prog::Not(Box::new(self.expr(a)?)),
            Expr::Test(v) => self.test(v)?,
            Expr::Cmp(l, op, r, pos) => {
                let (lo, lt) = self.lhs(l, self.text(*pos))?;
                let (ro, rt) = self.operand(r, Some((lt, self.def_of(&lo))))?;
                self.check_compatible(lt, rt, r.pos())?;
                if matches!(op, CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le) && lt == Ty::Protocol
                {
                    return Err(self.err(
                        *pos,
                        format!(
                            "\"{}\" cannot order protocols: compare a field or a slice of the protocol instead.",
                            self.text(*pos)
                        ),
                    ));
                }
                Prog::Cmp(lo, *op, ro)
            }
            Expr::Contains(l, r, pos) => {
                let (lo, lt) = self.lhs(l, "contains")?;
                if !lt.bytes_like() {
                    return Err(self.err(
                        *pos,
                        format!(
                            "\"contains\" applies to strings, byte strings and protocols, but {} is {}.",
                            self.text(l.pos()),
                            lt.describe()
                        ),
                    ));
                }
                let want = if lt == Ty::Str { Ty::Str } else { Ty::Bytes };
                let (ro, rt) = self.operand(r, Some((want, None)))?;
                self.check_compatible(lt, rt, r.pos())?;
                Prog::Contains(lo, ro)
            }
            Expr::Matches(l, r, pos) => {
                let (lo, lt) = self.lhs(l, "matches")?;
                if !matches!(lt, Ty::Str | Ty::Bytes | Ty::Protocol) {
                    return Err(self.err(
                        *pos,
                        format!(
                            "\"matches\" applies to strings, byte strings and protocols, but {} is {}.",
                            self.text(l.pos()),
                            lt.describe()
                        ),
                    ));
                }
                let Val::Str(pat, ppos) = r else {
                    return Err(self.err(
                        r.pos(),
                        "The right side of \"matches\" must be a regular expression in double quotes."
                            .into(),
                    ));
                };
                let pat = String::from_utf8_lossy(pat);
                // Wireshark 4.0 matches without regard to case; (?-i) turns that off.
                let re = regex::bytes::RegexBuilder::new(&pat)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| {
                        let why = e.to_string();
                        let last = why.lines().last().unwrap_or("").trim().to_string();
                        self.err(
                            *ppos,
                            format!("This is not a valid regular expression: {last}."),
                        )
                    })?;
                Prog::Matches(lo, re)
            }
            Expr::In(l, items, negated) => {
                let (lo, lt) = self.lhs(l, "in")?;
                let def = self.def_of(&lo);
                let mut set = Vec::new();
                for it in items {
                    match it {
                        SetItem::One(v) => {
                            let (o, t) = self.operand(v, Some((lt, def)))?;
                            self.check_compatible(lt, t, v.pos())?;
                            set.push((o, None));
                        }
                        SetItem::Range(a, b) => {
                            let (oa, ta) = self.operand(a, Some((lt, def)))?;
                            self.check_compatible(lt, ta, a.pos())?;
                            let (ob, tb) = self.operand(b, Some((lt, def)))?;
                            self.check_compatible(lt, tb, b.pos())?;
                            set.push((oa, Some(ob)));
                        }
                    }
                }
                let p = Prog::In(lo, set);
                if *negated {
                    Prog::Not(Box::new(p))
                } else {
                    p
                }
            }
        })
    }

    fn def_of(&self, o: &Operand) -> Option<&'static FieldDef> {
        match o {
            Operand::Field(d, _, _) => Some(d),
            Operand::Arith(a, _, _) => self.def_of(a),
            _ => None,
        }
    }

    fn check_compatible(&self, a: Ty, b: Ty, pos: Pos) -> Result<(), FilterError> {
        if a.compatible(b) {
            Ok(())
        } else {
            Err(self.err(
                pos,
                format!(
                    "{} is {}, which cannot be compared with {}.",
                    self.text(pos),
                    b.describe(),
                    a.describe()
                ),
            ))
        }
    }

    /// A value alone, as a test.
    fn test(&self, v: &Val) -> Result<Prog, FilterError> {
        match v {
            Val::Word(w, pos) => match field(w) {
                Some(def) => Ok(Prog::Exists(Operand::Field(def, Ty::of(def), None))),
                None if looks_like_name(w) => Err(self.unknown(w, *pos)),
                None => Err(self.err(
                    *pos,
                    format!("\"{w}\" is a value, not a test: compare a field with it, as in tcp.port == 80."),
                )),
            },
            Val::Str(_, pos) | Val::Char(_, pos) => Err(self.err(
                *pos,
                "A string alone is not a test: compare a field with it, as in http.host == \"example.com\"."
                    .into(),
            )),
            Val::Arith(..) | Val::Neg(..) => {
                let (o, _) = self.operand(v, None)?;
                Ok(Prog::NonZero(o))
            }
            _ => {
                let (o, _) = self.operand(v, None)?;
                Ok(Prog::Exists(o))
            }
        }
    }

    /// The left side of a relation: a field, a slice or a function, not a literal.
    fn lhs(&self, v: &Val, op: &str) -> Result<(Operand, Ty), FilterError> {
        let is_literal = match v {
            Val::Word(w, _) => field(w).is_none(),
            Val::Str(..) | Val::Char(..) => true,
            _ => false,
        };
        if is_literal {
            if let Val::Word(w, pos) = v {
                if looks_like_name(w) {
                    return Err(self.unknown(w, *pos));
                }
            }
            return Err(self.err(
                v.pos(),
                format!(
                    "The left side of \"{op}\" must be a field, a slice or a function, not the value {}: write the field first, as in tcp.port == 80.",
                    self.text(v.pos())
                ),
            ));
        }
        let (o, t) = self.operand(v, None)?;
        if t == Ty::NoValue {
            return Err(self.err(
                v.pos(),
                format!(
                    "{} is {}: it can only be tested for presence (write it alone).",
                    self.text(v.pos()),
                    Ty::NoValue.describe()
                ),
            ));
        }
        Ok((o, t))
    }

    /// A value. With `want`, words that are not fields are literals of that type
    /// (value names come from the field, when there is one).
    fn operand(
        &self,
        v: &Val,
        want: Option<(Ty, Option<&'static FieldDef>)>,
    ) -> Result<(Operand, Ty), FilterError> {
        match v {
            Val::Word(w, pos) => {
                if let Some(def) = field(w) {
                    return Ok((Operand::Field(def, Ty::of(def), None), Ty::of(def)));
                }
                match want {
                    Some((ty, def)) => self.literal(v, ty, def).map(|c| (Operand::Const(c), ty)),
                    None if looks_like_name(w) => Err(self.unknown(w, *pos)),
                    None => Err(self.err(
                        *pos,
                        format!("\"{w}\" is neither a field nor a protocol name."),
                    )),
                }
            }
            Val::Str(..) | Val::Char(..) => match want {
                Some((ty, def)) => self.literal(v, ty, def).map(|c| (Operand::Const(c), ty)),
                None => Err(self.err(
                    v.pos(),
                    "A constant cannot stand here: this needs a field or a function.".into(),
                )),
            },
            Val::Reference(name, pos) => Err(self.err(
                *pos,
                format!(
                    "Field references such as ${{{name}}} need a reference frame, which sonde does not support."
                ),
            )),
            Val::Layer(base, n, pos) => {
                let Val::Word(w, wpos) = &**base else {
                    return Err(self.err(*pos, "A layer number (#N) follows a field name, as in ip.addr#2.".into()));
                };
                let def = field(w).ok_or_else(|| self.unknown(w, *wpos))?;
                let proto = lookup(def.protocol()).unwrap_or(def);
                let layer = Some(Layer { n: *n, proto });
                Ok((Operand::Field(def, Ty::of(def), layer), Ty::of(def)))
            }
            Val::Slice(base, ranges, _) => {
                let o = self.bytes_source(base)?;
                Ok((Operand::Slice(Box::new(o), ranges.clone()), Ty::Bytes))
            }
            Val::Call(name, args, pos) => self.call(name, args, *pos),
            Val::Neg(inner, pos) => {
                let (o, t) = self.operand(inner, want)?;
                if !t.numeric() {
                    return Err(self.err(*pos, format!("Only numbers can be negated, and this is {}.", t.describe())));
                }
                Ok((Operand::Neg(Box::new(o)), t))
            }
            Val::Arith(a, op, b, pos) => {
                let is_const = |v: &Val| match v {
                    Val::Word(w, _) => field(w).is_none(),
                    Val::Str(..) | Val::Char(..) => true,
                    _ => false,
                };
                let (oa, ta, ob, tb) = match (is_const(a), is_const(b)) {
                    (true, true) => {
                        if let Some(w) = want {
                            // Constant arithmetic: fold it into the literal.
                            let (oa, _) = self.operand(a, Some(w))?;
                            let (ob, _) = self.operand(b, Some(w))?;
                            (oa, w.0, ob, w.0)
                        } else {
                            return Err(self.err(v.pos(), "This arithmetic has only constants: one side must be a field.".into()));
                        }
                    }
                    (false, _) => {
                        let (oa, ta) = self.operand(a, want)?;
                        let def = self.def_of(&oa);
                        let (ob, tb) = self.operand(b, Some((Ty::Int.max_with(ta), def)))?;
                        (oa, ta, ob, tb)
                    }
                    (true, false) => {
                        let (ob, tb) = self.operand(b, want)?;
                        let def = self.def_of(&ob);
                        let (oa, ta) = self.operand(a, Some((Ty::Int.max_with(tb), def)))?;
                        (oa, ta, ob, tb)
                    }
                };
                for t in [ta, tb] {
                    let ok = if *op == ArithOp::BitAnd {
                        matches!(t, Ty::Int | Ty::Bool)
                    } else {
                        t.numeric()
                    };
                    if !ok {
                        return Err(self.err(
                            *pos,
                            format!(
                                "\"{}\" applies to {}, not to {}.",
                                op.symbol(),
                                if *op == ArithOp::BitAnd { "integers" } else { "numbers" },
                                t.describe()
                            ),
                        ));
                    }
                }
                let t = if ta == Ty::Float || tb == Ty::Float {
                    Ty::Float
                } else if ta == Ty::RelTime || tb == Ty::RelTime {
                    Ty::RelTime
                } else {
                    Ty::Int
                };
                Ok((Operand::Arith(Box::new(oa), *op, Box::new(ob)), t))
            }
        }
    }

    /// The base of a slice: a field's bytes, or a byte or string value.
    fn bytes_source(&self, base: &Val) -> Result<Operand, FilterError> {
        let (o, t) = self.operand(base, None)?;
        match (o, t) {
            (Operand::Field(def, t, layer), _) => {
                if matches!(
                    t,
                    Ty::Int | Ty::Bool | Ty::Float | Ty::RelTime | Ty::AbsTime | Ty::NoValue
                ) {
                    return Err(self.err(
                        base.pos(),
                        format!(
                            "{} is {} and cannot be sliced into bytes: slices apply to protocols, byte strings, strings and addresses.",
                            def.abbrev,
                            t.describe()
                        ),
                    ));
                }
                Ok(Operand::Raw(def, layer))
            }
            (o, t) if t.bytes_like() => Ok(o),
            (_, t) => Err(self.err(
                base.pos(),
                format!("This is {} and cannot be sliced into bytes.", t.describe()),
            )),
        }
    }

    fn field_arg(
        &self,
        name: &str,
        args: &[Val],
        pos: Pos,
    ) -> Result<(&'static FieldDef, Option<Layer>), FilterError> {
        let bad = || {
            self.err(
                pos,
                format!("{name}() takes one field, as in {name}(ip.addr)."),
            )
        };
        let [arg] = args else { return Err(bad()) };
        match self.operand(arg, None)? {
            (Operand::Field(def, _, layer), _) => Ok((def, layer)),
            _ => Err(bad()),
        }
    }

    fn call(&self, name: &str, args: &[Val], pos: Pos) -> Result<(Operand, Ty), FilterError> {
        match name {
            "count" => {
                let (def, layer) = self.field_arg(name, args, pos)?;
                Ok((Operand::Count(def, layer), Ty::Int))
            }
            "string" => {
                let (def, layer) = self.field_arg(name, args, pos)?;
                Ok((Operand::ToString(def, layer), Ty::Str))
            }
            "len" => {
                let [arg] = args else {
                    return Err(self.err(
                        pos,
                        "len() takes one field or slice, as in len(tcp.payload).".into(),
                    ));
                };
                let (o, t) = self.operand(arg, None)?;
                if t == Ty::NoValue {
                    return Err(self.err(
                        arg.pos(),
                        format!("{} has no value, so no length.", self.text(arg.pos())),
                    ));
                }
                Ok((Operand::Len(Box::new(o)), Ty::Int))
            }
            "lower" | "upper" => {
                let [arg] = args else {
                    return Err(self.err(
                        pos,
                        format!("{name}() takes one string field, as in {name}(http.host)."),
                    ));
                };
                let (o, t) = self.operand(arg, None)?;
                if t != Ty::Str {
                    return Err(self.err(
                        arg.pos(),
                        format!(
                            "{name}() applies to character strings, but {} is {}.",
                            self.text(arg.pos()),
                            t.describe()
                        ),
                    ));
                }
                Ok((Operand::Case(Box::new(o), name == "upper"), Ty::Str))
            }
            "min" | "max" | "abs" => {
                if args.is_empty() || (name == "abs" && args.len() != 1) {
                    return Err(self.err(
                        pos,
                        format!(
                            "{name}() needs {}.",
                            if name == "abs" {
                                "one number"
                            } else {
                                "one or more numbers"
                            }
                        ),
                    ));
                }
                let mut ops = Vec::new();
                let mut ty = None;
                for a in args {
                    let (o, t) = self.operand(a, None)?;
                    if !t.numeric() {
                        return Err(self.err(
                            a.pos(),
                            format!(
                                "{name}() applies to numbers, but {} is {}.",
                                self.text(a.pos()),
                                t.describe()
                            ),
                        ));
                    }
                    ty.get_or_insert(t);
                    ops.push(o);
                }
                let ty = ty.unwrap_or(Ty::Int);
                if name == "abs" {
                    Ok((Operand::Abs(Box::new(ops.remove(0))), ty))
                } else {
                    Ok((Operand::MinMax(ops, name == "max"), ty))
                }
            }
            _ => Err(self.err(
                (pos.0, pos.0 + name.len()),
                format!("There is no function \"{name}\": the functions are {FUNCTIONS}."),
            )),
        }
    }

    /// Reads a literal in type `ty`.
    fn literal(
        &self,
        v: &Val,
        ty: Ty,
        def: Option<&'static FieldDef>,
    ) -> Result<Const, FilterError> {
        let pos = v.pos();
        let shown = self.text(pos).to_string();
        let for_field = def
            .map(|d| format!(" for {}", d.abbrev))
            .unwrap_or_default();
        let fail = |why: String| -> FilterError {
            if let Val::Word(w, _) = v {
                if w.contains('.') && looks_like_name(w) {
                    let sugg = suggest(w);
                    if !sugg.is_empty() {
                        return self.unknown(w, pos);
                    }
                }
            }
            self.err(pos, why)
        };
        let text: Option<String> = match v {
            Val::Word(w, _) => Some(w.clone()),
            _ => None,
        };
        match (ty, v) {
            (Ty::Int | Ty::Bool | Ty::Float, Val::Char(c, _)) => Ok(Const::Int(i128::from(*c))),
            (Ty::Int | Ty::Bool, Val::Str(s, _)) => {
                let s = String::from_utf8_lossy(s);
                let named = def.and_then(|d| literal::value_by_name(d, &s));
                let named = named.or_else(|| {
                    (ty == Ty::Bool).then(|| literal::parse_bool(&s).filter(|_| s.parse::<i64>().is_err()).map(i128::from)).flatten()
                });
                named.map(Const::Int).ok_or_else(|| {
                    self.err(pos, format!("{shown} is a string, but a number is expected{for_field}: write it without quotes."))
                })
            }
            (Ty::Int, Val::Word(w, _)) => {
                if let Some(n) = literal::parse_int(w) {
                    if let Some(d) = def {
                        let bits = d.kind.bits();
                        // Like Wireshark, the type's width bounds a literal, not the mask.
                        let max: i128 = if d.kind == Kind::I32 {
                            i128::from(i32::MAX)
                        } else if bits > 0 {
                            (1i128 << bits) - 1
                        } else {
                            i128::MAX
                        };
                        if n > max {
                            return Err(self.err(pos, format!("{n} is too big for {}, whose largest value is {max}.", d.abbrev)));
                        }
                    }
                    return Ok(Const::Int(n));
                }
                if let Some(n) = def.and_then(|d| literal::value_by_name(d, w)) {
                    return Ok(Const::Int(n));
                }
                Err(fail(format!(
                    "\"{w}\" is not a valid number{for_field}: write it in decimal (80), hex (0x50), octal (0120) or binary (0b1010000){}.",
                    if def.is_some_and(|d| !matches!(d.vals, sonde_dissect::registry::Vals::None)) { ", or use one of its value names" } else { "" }
                )))
            }
            (Ty::Bool, Val::Word(w, _)) => literal::parse_bool(w)
                .map(|b| Const::Int(i128::from(b)))
                .or_else(|| def.and_then(|d| literal::value_by_name(d, w)).map(|n| Const::Int(i128::from(n != 0))))
                .ok_or_else(|| fail(format!("\"{w}\" is not a boolean{for_field}: use 1 or 0, True or False."))),
            (Ty::Float, Val::Word(w, _)) => w
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Const::Float)
                .ok_or_else(|| fail(format!("\"{w}\" is not a valid number{for_field}."))),
            (Ty::RelTime, Val::Word(w, _)) => literal::parse_secs(w)
                .map(|ns| Const::Time(ns, false))
                .ok_or_else(|| fail(format!("\"{w}\" is not a time in seconds{for_field}: write it like 1.5 or 0.000200."))),
            (Ty::AbsTime, Val::Str(s, _)) => literal::parse_abs_time(&String::from_utf8_lossy(s))
                .map(|ns| Const::Time(ns, true))
                .ok_or_else(|| self.err(pos, format!(
                    "{shown} is not a valid absolute time{for_field}: write it like \"Oct  5, 2021 14:12:31.5\" or \"2021-10-05 14:12:31\" (UTC)."
                ))),
            (Ty::AbsTime, Val::Word(w, _)) => Err(fail(format!(
                "\"{w}\" is not a valid absolute time{for_field}: write it in quotes, like \"2021-10-05 14:12:31\" (UTC)."
            ))),
            (Ty::Ipv4, Val::Word(_, _) | Val::Str(..)) => {
                let t = text.unwrap_or_else(|| lossy(v));
                literal::parse_ipv4(&t).map(|(a, p)| Const::V4(a, p)).ok_or_else(|| fail(format!(
                    "\"{t}\" is not a valid IPv4 address{for_field}: write a.b.c.d, with a prefix length such as /16 for a network (sonde does not look up host names in filters)."
                )))
            }
            (Ty::Ipv6, Val::Word(_, _) | Val::Str(..)) => {
                let t = text.unwrap_or_else(|| lossy(v));
                literal::parse_ipv6(&t).map(|(a, p)| Const::V6(a, p)).ok_or_else(|| fail(format!(
                    "\"{t}\" is not a valid IPv6 address{for_field}: write it like 2001:db8::1, with a prefix length such as /64 for a network."
                )))
            }
            (Ty::Ether, Val::Word(_, _) | Val::Str(..)) => {
                let t = text.unwrap_or_else(|| lossy(v));
                literal::parse_ether(&t).map(Const::Bytes).ok_or_else(|| fail(format!(
                    "\"{t}\" is not a valid MAC address{for_field}: write six bytes in hex, like d8:9e:f3:12:d6:a7."
                )))
            }
            (Ty::Bytes | Ty::Protocol, Val::Word(w, _)) => literal::parse_bytes(w)
                .map(Const::Bytes)
                .ok_or_else(|| fail(format!(
                    "\"{w}\" is not a valid byte string{for_field}: write bytes in hex like aa:bb:cc, or a string in quotes."
                ))),
            (Ty::Bytes | Ty::Protocol, Val::Str(s, _)) => Ok(Const::Bytes(s.clone())),
            (Ty::Bytes | Ty::Protocol, Val::Char(c, _)) => u8::try_from(*c)
                .map(|b| Const::Bytes(vec![b]))
                .map_err(|_| self.err(pos, format!("{shown} is not a single byte."))),
            (Ty::Str, Val::Str(s, _)) => Ok(Const::Str(s.clone())),
            (Ty::Str, Val::Word(w, _)) => Ok(Const::Str(w.as_bytes().to_vec())),
            (Ty::Str, Val::Char(c, _)) => Ok(Const::Str(
                char::from_u32(*c).unwrap_or('?').to_string().into_bytes(),
            )),
            (Ty::NoValue, _) => Err(self.err(pos, "A label with no value cannot be compared.".into())),
            (t, _) => Err(self.err(
                pos,
                format!("{shown} cannot be read as {}{for_field}.", t.describe()),
            )),
        }
    }
}

fn lossy(v: &Val) -> String {
    match v {
        Val::Str(s, _) => String::from_utf8_lossy(s).into_owned(),
        Val::Word(w, _) => w.clone(),
        _ => String::new(),
    }
}

impl Ty {
    /// The type to read the other side of arithmetic in.
    fn max_with(self, other: Ty) -> Ty {
        match other {
            Ty::Float | Ty::RelTime | Ty::Bool => other,
            _ => self,
        }
    }
}

// ---- the canonical form ----

fn write_escaped(f: &mut fmt::Formatter<'_>, s: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for &c in s {
        match c {
            b'"' => f.write_str("\\\"")?,
            b'\\' => f.write_str("\\\\")?,
            b'\n' => f.write_str("\\n")?,
            b'\r' => f.write_str("\\r")?,
            b'\t' => f.write_str("\\t")?,
            0x20..=0x7e => write!(f, "{}", c as char)?,
            _ => write!(f, "\\x{c:02x}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Const {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Const::Int(v) => write!(f, "{v}"),
            Const::Float(v) => write!(f, "{v}"),
            Const::Time(ns, false) => {
                let sign = if *ns < 0 { "-" } else { "" };
                let a = ns.unsigned_abs();
                write!(f, "{sign}{}.{:09}", a / 1_000_000_000, a % 1_000_000_000)
            }
            Const::Time(ns, true) => {
                let mut s = String::new();
                sonde_dissect::display::write_abs_time(
                    &mut s,
                    i64::try_from(*ns).unwrap_or(i64::MAX),
                );
                write_escaped(f, s.as_bytes())
            }
            Const::Bytes(b) => {
                for (i, x) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_str(":")?;
                    }
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
            Const::Str(s) => write_escaped(f, s),
            Const::V4(a, p) => {
                write!(f, "{}", std::net::Ipv4Addr::from(*a))?;
                if *p < 32 {
                    write!(f, "/{p}")?;
                }
                Ok(())
            }
            Const::V6(a, p) => {
                write!(f, "{}", std::net::Ipv6Addr::from(*a))?;
                if *p < 128 {
                    write!(f, "/{p}")?;
                }
                Ok(())
            }
        }
    }
}

fn layer_suffix(f: &mut fmt::Formatter<'_>, l: &Option<Layer>) -> fmt::Result {
    match l {
        Some(l) => write!(f, "#{}", l.n),
        None => Ok(()),
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(d, _, l) | Operand::Raw(d, l) => {
                f.write_str(d.abbrev)?;
                layer_suffix(f, l)
            }
            Operand::Slice(o, r) => {
                write!(f, "{o}[")?;
                for (i, x) in r.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            Operand::Len(o) => write!(f, "len({o})"),
            Operand::Count(d, l) => {
                write!(f, "count({}", d.abbrev)?;
                layer_suffix(f, l)?;
                f.write_str(")")
            }
            Operand::Case(o, up) => write!(f, "{}({o})", if *up { "upper" } else { "lower" }),
            Operand::ToString(d, l) => {
                write!(f, "string({}", d.abbrev)?;
                layer_suffix(f, l)?;
                f.write_str(")")
            }
            Operand::MinMax(ops, max) => {
                write!(f, "{}(", if *max { "max" } else { "min" })?;
                for (i, o) in ops.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{o}")?;
                }
                f.write_str(")")
            }
            Operand::Abs(o) => write!(f, "abs({o})"),
            Operand::Arith(a, op, b) => write!(f, "{{{a} {} {b}}}", op.symbol()),
            Operand::Neg(o) => write!(f, "-{o}"),
            Operand::Const(c) => write!(f, "{c}"),
        }
    }
}

impl Prog {
    fn write_child(&self, f: &mut fmt::Formatter<'_>, parent: u8) -> fmt::Result {
        let mine = match self {
            Prog::Or(..) => 1,
            Prog::Xor(..) => 2,
            Prog::And(..) => 3,
            _ => 0,
        };
        if mine != 0 && mine != parent {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for Prog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bin = |f: &mut fmt::Formatter<'_>, a: &Prog, op: &str, b: &Prog, k: u8| {
            a.write_child(f, k)?;
            write!(f, " {op} ")?;
            b.write_child(f, k)
        };
        match self {
            Prog::Or(a, b) => bin(f, a, "or", b, 1),
            Prog::Xor(a, b) => bin(f, a, "xor", b, 2),
            Prog::And(a, b) => bin(f, a, "and", b, 3),
            Prog::Not(a) => {
                f.write_str("not ")?;
                a.write_child(f, 0)
            }
            Prog::Exists(o) => write!(f, "{o}"),
            Prog::NonZero(o) => write!(f, "{o}"),
            Prog::Cmp(a, op, b) => write!(f, "{a} {} {b}", op.symbol()),
            Prog::Contains(a, b) => write!(f, "{a} contains {b}"),
            Prog::Matches(a, re) => {
                write!(f, "{a} matches ")?;
                write_escaped(f, re.as_str().as_bytes())
            }
            Prog::In(a, set) => {
                write!(f, "{a} in {{")?;
                for (i, (lo, hi)) in set.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{lo}")?;
                    if let Some(hi) = hi {
                        write!(f, "..{hi}")?;
                    }
                }
                f.write_str("}")
            }
        }
    }
}

impl Operand {
    /// Adds the fields this operand reads to `out`.
    /// True when the operand selects a layer (`ip.src#2`).
    pub(crate) fn layered(&self) -> bool {
        match self {
            Operand::Field(_, _, l)
            | Operand::Raw(_, l)
            | Operand::Count(_, l)
            | Operand::ToString(_, l) => l.is_some(),
            Operand::Slice(o, _)
            | Operand::Len(o)
            | Operand::Case(o, _)
            | Operand::Abs(o)
            | Operand::Neg(o) => o.layered(),
            Operand::MinMax(ops, _) => ops.iter().any(|o| o.layered()),
            Operand::Arith(a, _, b) => a.layered() || b.layered(),
            Operand::Const(_) => false,
        }
    }

    pub(crate) fn fields(&self, out: &mut Vec<&'static FieldDef>) {
        match self {
            Operand::Field(d, _, l)
            | Operand::Raw(d, l)
            | Operand::Count(d, l)
            | Operand::ToString(d, l) => {
                out.push(d);
                if let Some(l) = l {
                    out.push(l.proto);
                }
            }
            Operand::Slice(o, _)
            | Operand::Len(o)
            | Operand::Case(o, _)
            | Operand::Abs(o)
            | Operand::Neg(o) => o.fields(out),
            Operand::MinMax(ops, _) => ops.iter().for_each(|o| o.fields(out)),
            Operand::Arith(a, _, b) => {
                a.fields(out);
                b.fields(out);
            }
            Operand::Const(_) => {}
        }
    }
}

impl Prog {
    /// True when some operand selects a layer (`ip.src#2`).
    pub(crate) fn layered(&self) -> bool {
        match self {
            Prog::Or(a, b) | Prog::Xor(a, b) | Prog::And(a, b) => a.layered() || b.layered(),
            Prog::Not(a) => a.layered(),
            Prog::Exists(o) | Prog::NonZero(o) | Prog::Matches(o, _) => o.layered(),
            Prog::Cmp(a, _, b) | Prog::Contains(a, b) => a.layered() || b.layered(),
            Prog::In(a, set) => {
                a.layered()
                    || set
                        .iter()
                        .any(|(lo, hi)| lo.layered() || hi.as_ref().is_some_and(|h| h.layered()))
            }
        }
    }

    /// Adds the fields this program reads to `out`.
    pub(crate) fn fields(&self, out: &mut Vec<&'static FieldDef>) {
        match self {
            Prog::Or(a, b) | Prog::Xor(a, b) | Prog::And(a, b) => {
                a.fields(out);
                b.fields(out);
            }
            Prog::Not(a) => a.fields(out),
            Prog::Exists(o) | Prog::NonZero(o) | Prog::Matches(o, _) => o.fields(out),
            Prog::Cmp(a, _, b) | Prog::Contains(a, b) => {
                a.fields(out);
                b.fields(out);
            }
            Prog::In(a, set) => {
                a.fields(out);
                for (lo, hi) in set {
                    lo.fields(out);
                    if let Some(hi) = hi {
                        hi.fields(out);
                    }
                }
            }
        }
    }
}
