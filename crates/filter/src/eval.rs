//! Running a compiled filter on a dissection. Fields are found by scanning the
//! flat node arena and comparing definition pointers; values are read from the
//! nodes as they are met, without allocating (except for the few operations
//! that make new strings: `lower`, `upper`, `string`, multi-range slices).

use crate::compile::{Const, Layer, Operand, Prog, Ty};
use crate::lexer::{ArithOp, CmpOp};
use crate::parser::Range;
use sonde_dissect::registry::{FieldDef, Kind};
use sonde_dissect::tree::{Node, Value};
use sonde_dissect::Dissection;
use std::borrow::Cow;
use std::cmp::Ordering;

/// What evaluation reads: the dissection and the frame's bytes.
pub(crate) struct Cx<'a> {
    pub d: &'a Dissection,
    pub data: &'a [u8],
}

/// One value.
#[derive(Debug, Clone)]
pub(crate) enum V<'a> {
    Int(i128),
    Float(f64),
    Bytes(Cow<'a, [u8]>),
    Str(Cow<'a, [u8]>),
    V4(u32, u8),
    V6(u128, u8),
}

impl V<'_> {
    fn as_f64(&self) -> Option<f64> {
        match self {
            V::Int(i) => Some(*i as f64),
            V::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn bytes(&self) -> Option<&[u8]> {
        match self {
            V::Bytes(b) | V::Str(b) => Some(b),
            _ => None,
        }
    }

    fn is_zero(&self) -> bool {
        match self {
            V::Int(i) => *i == 0,
            V::Float(f) => *f == 0.0,
            V::Bytes(b) | V::Str(b) => b.iter().all(|&x| x == 0),
            V::V4(a, _) => *a == 0,
            V::V6(a, _) => *a == 0,
        }
    }
}

fn mask32(p: u8) -> u32 {
    if p == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(p))
    }
}

fn mask128(p: u8) -> u128 {
    if p == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(p))
    }
}

fn eq(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (V::Int(x), V::Int(y)) => x == y,
        (V::V4(x, p), V::V4(y, q)) => {
            let m = mask32(*p.min(q));
            x & m == y & m
        }
        (V::V6(x, p), V::V6(y, q)) => {
            let m = mask128(*p.min(q));
            x & m == y & m
        }
        _ => match (a.bytes(), b.bytes()) {
            (Some(x), Some(y)) => x == y,
            _ => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        },
    }
}

fn cmp(a: &V<'_>, b: &V<'_>) -> Option<Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::V4(x, _), V::V4(y, _)) => Some(x.cmp(y)),
        (V::V6(x, _), V::V6(y, _)) => Some(x.cmp(y)),
        (V::Str(x), V::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        _ => match (a.bytes(), b.bytes()) {
            // Wireshark orders byte strings by length first.
            (Some(x), Some(y)) => Some(x.len().cmp(&y.len()).then_with(|| x.cmp(y))),
            _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
        },
    }
}

fn contains(hay: &V<'_>, needle: &V<'_>) -> bool {
    match (hay.bytes(), needle.bytes()) {
        (Some(h), Some(n)) => n.is_empty() || memchr::memmem::find(h, n).is_some(),
        _ => false,
    }
}

/// The bytes of a node, clamped to what was captured.
fn node_bytes<'a>(cx: &Cx<'a>, n: &Node) -> &'a [u8] {
    let data: &'a [u8] = if n.src == 0 {
        cx.data
    } else {
        match cx.d.sources.get(n.src as usize - 1) {
            Some(s) => &s.1,
            None => return &[],
        }
    };
    let s = (n.start as usize).min(data.len());
    let e = (n.start as usize + n.len as usize).min(data.len());
    &data[s..e]
}

fn be_int(b: &[u8]) -> i128 {
    b.iter()
        .take(16)
        .fold(0i128, |a, &x| (a << 8) | i128::from(x))
}

/// A node's value in type `ty`, if it has one.
fn node_value<'a>(cx: &Cx<'a>, id: usize, n: &Node, ty: Ty) -> Option<V<'a>> {
    let num = |v: &Value| -> Option<V<'a>> {
        Some(match *v {
            Value::U(u) => V::Int(i128::from(u)),
            Value::I(i) => V::Int(i128::from(i)),
            Value::Bool(b) => V::Int(i128::from(b)),
            Value::F(f) => V::Float(f),
            Value::Time(t) => V::Int(i128::from(t)),
            Value::Bytes => V::Int(be_int(node_bytes(cx, n))),
            _ => return None,
        })
    };
    match ty {
        Ty::Int | Ty::Float | Ty::RelTime | Ty::AbsTime => num(&n.value),
        Ty::Bool => num(&n.value).map(|v| V::Int(i128::from(!v.is_zero()))),
        Ty::Ipv4 => {
            let b = node_bytes(cx, n);
            let a: [u8; 4] = b.try_into().ok()?;
            Some(V::V4(u32::from_be_bytes(a), 32))
        }
        Ty::Ipv6 => {
            let b = node_bytes(cx, n);
            let a: [u8; 16] = b.try_into().ok()?;
            Some(V::V6(u128::from_be_bytes(a), 128))
        }
        Ty::Ether | Ty::Bytes | Ty::Protocol => Some(V::Bytes(Cow::Borrowed(node_bytes(cx, n)))),
        Ty::Str => Some(V::Str(str_bytes(cx, id, n))),
        Ty::NoValue => None,
    }
}

/// The text of a string node: its bytes, its arena text, or its display form.
fn str_bytes<'a>(cx: &Cx<'a>, id: usize, n: &Node) -> Cow<'a, [u8]> {
    match n.value {
        Value::Text(s) => Cow::Borrowed(cx.d.span_str(s).as_bytes()),
        Value::Bytes | Value::None => Cow::Borrowed(node_bytes(cx, n)),
        _ => {
            let mut s = String::new();
            sonde_dissect::display::write_value(&mut s, cx.d, cx.data, id as u32);
            Cow::Owned(s.into_bytes())
        }
    }
}

/// The bytes of a node for slicing and len(): strings' text, other nodes' bytes.
fn raw_bytes<'a>(cx: &Cx<'a>, id: usize, n: &Node) -> Cow<'a, [u8]> {
    if n.def.kind == Kind::Str {
        str_bytes(cx, id, n)
    } else {
        Cow::Borrowed(node_bytes(cx, n))
    }
}

/// The length Wireshark gives a field: its bytes, or its type's size when the
/// node has no bytes (generated numbers).
fn node_len(cx: &Cx<'_>, id: usize, n: &Node) -> usize {
    match n.value {
        Value::Text(_) => raw_bytes(cx, id, n).len(),
        _ if n.len > 0 => node_bytes(cx, n).len(),
        Value::U(_) | Value::I(_) | Value::Bool(_) => match n.def.kind.bits() {
            0 => 1,
            b => b as usize / 8,
        },
        Value::F(_) | Value::Time(_) => 8,
        _ => raw_bytes(cx, id, n).len(),
    }
}

fn in_layer(cx: &Cx<'_>, id: usize, l: &Layer) -> bool {
    let nodes = &cx.d.nodes;
    let mut a = id;
    // The nearest enclosing node of the field's protocol (or the node itself).
    loop {
        if std::ptr::eq(nodes[a].def, l.proto) {
            break;
        }
        let p = nodes[a].parent as usize;
        if a == 0 || p >= nodes.len() {
            return false;
        }
        a = p;
    }
    let index = nodes[1..=a]
        .iter()
        .filter(|n| std::ptr::eq(n.def, l.proto))
        .count();
    index == l.n as usize
}

/// Calls `f` with each occurrence of `def` until it returns true.
#[inline]
fn each_node<'a>(
    cx: &Cx<'a>,
    def: &'static FieldDef,
    layer: &Option<Layer>,
    f: &mut dyn FnMut(usize, &'a Node) -> bool,
) -> bool {
    let nodes: &'a [Node] = &cx.d.nodes;
    for (i, n) in nodes.iter().enumerate().skip(1) {
        if std::ptr::eq(n.def, def) {
            if let Some(l) = layer {
                if !in_layer(cx, i, l) {
                    continue;
                }
            }
            if f(i, n) {
                return true;
            }
        }
    }
    false
}

fn slice_range(len: usize, r: &Range) -> Option<std::ops::Range<usize>> {
    let len_i = len as i64;
    let start = |s: i64| if s < 0 { len_i + s } else { s };
    let (s, e) = match *r {
        Range::StartLen(s, n) => {
            let s = start(s);
            (s, n.map_or(len_i, |n| s + n))
        }
        Range::StartEnd(s, e) => (start(s), start(e) + 1),
        Range::One(s) => {
            let s = start(s);
            (s, s + 1)
        }
    };
    (s >= 0 && s <= e && e <= len_i).then_some(s as usize..e as usize)
}

fn slice<'a>(b: Cow<'a, [u8]>, ranges: &[Range]) -> Option<Cow<'a, [u8]>> {
    if let [r] = ranges {
        let r = slice_range(b.len(), r)?;
        return Some(match b {
            Cow::Borrowed(x) => Cow::Borrowed(&x[r]),
            Cow::Owned(x) => Cow::Owned(x[r].to_vec()),
        });
    }
    let mut out = Vec::new();
    for r in ranges {
        out.extend_from_slice(&b[slice_range(b.len(), r)?]);
    }
    Some(Cow::Owned(out))
}

fn arith<'a>(a: &V<'a>, op: ArithOp, b: &V<'a>) -> Option<V<'a>> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(V::Int(match op {
            ArithOp::Add => x.checked_add(*y)?,
            ArithOp::Sub => x.checked_sub(*y)?,
            ArithOp::Mul => x.checked_mul(*y)?,
            ArithOp::Div => x.checked_div(*y)?,
            ArithOp::Rem => x.checked_rem(*y)?,
            ArithOp::BitAnd => x & y,
        })),
        _ => {
            let (x, y) = (a.as_f64()?, b.as_f64()?);
            Some(V::Float(match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div if y != 0.0 => x / y,
                ArithOp::Rem if y != 0.0 => x % y,
                _ => return None,
            }))
        }
    }
}

impl Const {
    fn value(&self) -> V<'_> {
        match self {
            Const::Int(i) | Const::Time(i, _) => V::Int(*i),
            Const::Float(f) => V::Float(*f),
            Const::Bytes(b) => V::Bytes(Cow::Borrowed(b)),
            Const::Str(s) => V::Str(Cow::Borrowed(s)),
            Const::V4(a, p) => V::V4(*a, *p),
            Const::V6(a, p) => V::V6(*a, *p),
        }
    }
}

impl Operand {
    /// Calls `f` with each value until it returns true; returns whether it did.
    pub(crate) fn each<'a>(&'a self, cx: &Cx<'a>, f: &mut dyn FnMut(V<'a>) -> bool) -> bool {
        match self {
            Operand::Const(c) => f(c.value()),
            Operand::Field(def, ty, layer) => each_node(cx, def, layer, &mut |i, n| {
                node_value(cx, i, n, *ty).is_some_and(&mut *f)
            }),
            Operand::Raw(def, layer) => {
                each_node(cx, def, layer, &mut |i, n| f(V::Bytes(raw_bytes(cx, i, n))))
            }
            Operand::Slice(o, ranges) => o.each(cx, &mut |v| {
                let b = match v {
                    V::Bytes(b) | V::Str(b) => b,
                    _ => return false,
                };
                slice(b, ranges).is_some_and(|s| f(V::Bytes(s)))
            }),
            Operand::Len(o) => match &**o {
                Operand::Field(def, _, layer) => each_node(cx, def, layer, &mut |i, n| {
                    f(V::Int(node_len(cx, i, n) as i128))
                }),
                o => o.each(cx, &mut |v| match v.bytes() {
                    Some(b) => f(V::Int(b.len() as i128)),
                    None => false,
                }),
            },
            Operand::Count(def, layer) => {
                let mut c = 0i128;
                each_node(cx, def, layer, &mut |_, _| {
                    c += 1;
                    false
                });
                c > 0 && f(V::Int(c))
            }
            Operand::Case(o, upper) => o.each(cx, &mut |v| match v.bytes() {
                Some(b) => {
                    let t = if *upper {
                        b.to_ascii_uppercase()
                    } else {
                        b.to_ascii_lowercase()
                    };
                    f(V::Str(Cow::Owned(t)))
                }
                None => false,
            }),
            Operand::ToString(def, layer) => each_node(cx, def, layer, &mut |i, _| {
                let mut s = String::new();
                sonde_dissect::display::write_value(&mut s, cx.d, cx.data, i as u32);
                f(V::Str(Cow::Owned(s.into_bytes())))
            }),
            Operand::MinMax(ops, max) => {
                let mut best: Option<V<'a>> = None;
                for o in ops {
                    o.each(cx, &mut |v| {
                        let better = match &best {
                            None => true,
                            Some(b) => {
                                let c = cmp(&v, b);
                                if *max {
                                    c == Some(Ordering::Greater)
                                } else {
                                    c == Some(Ordering::Less)
                                }
                            }
                        };
                        if better {
                            best = Some(v);
                        }
                        false
                    });
                }
                best.is_some_and(f)
            }
            Operand::Abs(o) => o.each(cx, &mut |v| match v {
                V::Int(i) => f(V::Int(i.abs())),
                V::Float(x) => f(V::Float(x.abs())),
                _ => false,
            }),
            Operand::Neg(o) => o.each(cx, &mut |v| match v {
                V::Int(i) => f(V::Int(-i)),
                V::Float(x) => f(V::Float(-x)),
                _ => false,
            }),
            Operand::Arith(a, op, b) => a.each(cx, &mut |x| {
                b.each(cx, &mut |y| arith(&x, *op, &y).is_some_and(&mut *f))
            }),
        }
    }

    fn exists(&self, cx: &Cx<'_>) -> bool {
        match self {
            Operand::Field(def, _, layer) | Operand::Raw(def, layer) => {
                each_node(cx, def, layer, &mut |_, _| true)
            }
            o => o.each(cx, &mut |_| true),
        }
    }
}

fn any_pair<'a>(
    cx: &Cx<'a>,
    a: &'a Operand,
    b: &'a Operand,
    pred: &dyn Fn(&V<'a>, &V<'a>) -> bool,
) -> bool {
    a.each(cx, &mut |x| b.each(cx, &mut |y| pred(&x, &y)))
}

impl Prog {
    /// True when the frame passes.
    pub(crate) fn eval(&self, cx: &Cx<'_>) -> bool {
        match self {
            Prog::Or(a, b) => a.eval(cx) || b.eval(cx),
            Prog::And(a, b) => a.eval(cx) && b.eval(cx),
            Prog::Xor(a, b) => a.eval(cx) != b.eval(cx),
            Prog::Not(a) => !a.eval(cx),
            Prog::Exists(o) => o.exists(cx),
            Prog::NonZero(o) => o.each(cx, &mut |v| !v.is_zero()),
            Prog::Cmp(a, op, b) => match op {
                CmpOp::AnyEq => any_pair(cx, a, b, &|x, y| eq(x, y)),
                CmpOp::AnyNe => any_pair(cx, a, b, &|x, y| !eq(x, y)),
                // "All differ" and "all equal" need at least one value each side.
                CmpOp::AllNe => {
                    a.exists(cx) && b.exists(cx) && !any_pair(cx, a, b, &|x, y| eq(x, y))
                }
                CmpOp::AllEq => {
                    a.exists(cx) && b.exists(cx) && !any_pair(cx, a, b, &|x, y| !eq(x, y))
                }
                CmpOp::Gt => any_pair(cx, a, b, &|x, y| cmp(x, y) == Some(Ordering::Greater)),
                CmpOp::Ge => any_pair(cx, a, b, &|x, y| {
                    matches!(cmp(x, y), Some(Ordering::Greater | Ordering::Equal))
                }),
                CmpOp::Lt => any_pair(cx, a, b, &|x, y| cmp(x, y) == Some(Ordering::Less)),
                CmpOp::Le => any_pair(cx, a, b, &|x, y| {
                    matches!(cmp(x, y), Some(Ordering::Less | Ordering::Equal))
                }),
            },
            Prog::Contains(a, b) => any_pair(cx, a, b, &|x, y| contains(x, y)),
            Prog::Matches(a, re) => a.each(cx, &mut |v| v.bytes().is_some_and(|b| re.is_match(b))),
            Prog::In(a, set) => a.each(cx, &mut |x| {
                set.iter().any(|(lo, hi)| match hi {
                    None => lo.each(cx, &mut |y| eq(&x, &y)),
                    Some(hi) => lo.each(cx, &mut |l| {
                        hi.each(cx, &mut |h| {
                            matches!(cmp(&x, &l), Some(Ordering::Greater | Ordering::Equal))
                                && matches!(cmp(&x, &h), Some(Ordering::Less | Ordering::Equal))
                        })
                    }),
                })
            }),
        }
    }
}
