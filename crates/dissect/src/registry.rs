//! The field registry: one static definition per field, with Wireshark's display
//! name and filter abbreviation. It is the vocabulary of `-e`, of JSON keys, of
//! display filters and of `sonde fields`.

/// The type of a field's value, after Wireshark's `ftenum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A protocol layer (the node spans the whole header or PDU).
    Protocol,
    /// A label with no value (text item).
    None,
    /// A boolean (often a single flag bit under a mask).
    Bool,
    /// Unsigned integers of 8..64 bits.
    U8,
    /// 16-bit unsigned.
    U16,
    /// 24-bit unsigned.
    U24,
    /// 32-bit unsigned.
    U32,
    /// 64-bit unsigned.
    U64,
    /// Signed 32-bit integer.
    I32,
    /// A 6-byte MAC address.
    Ether,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A byte string.
    Bytes,
    /// A character string.
    Str,
    /// An absolute time (nanoseconds since the epoch).
    AbsTime,
    /// A relative time (nanoseconds).
    RelTime,
    /// A frame number (reference to another frame).
    FrameNum,
    /// A floating-point number.
    Double,
}

impl Kind {
    /// Wireshark's name for the type, as `tshark -G fields` prints it.
    pub fn ft_name(self) -> &'static str {
        match self {
            Kind::Protocol => "FT_PROTOCOL",
            Kind::None => "FT_NONE",
            Kind::Bool => "FT_BOOLEAN",
            Kind::U8 => "FT_UINT8",
            Kind::U16 => "FT_UINT16",
            Kind::U24 => "FT_UINT24",
            Kind::U32 => "FT_UINT32",
            Kind::U64 => "FT_UINT64",
            Kind::I32 => "FT_INT32",
            Kind::Ether => "FT_ETHER",
            Kind::Ipv4 => "FT_IPv4",
            Kind::Ipv6 => "FT_IPv6",
            Kind::Bytes => "FT_BYTES",
            Kind::Str => "FT_STRING",
            Kind::AbsTime => "FT_ABSOLUTE_TIME",
            Kind::RelTime => "FT_RELATIVE_TIME",
            Kind::FrameNum => "FT_FRAMENUM",
            Kind::Double => "FT_DOUBLE",
        }
    }

    /// Width in bits of an unsigned integer kind (0 for the others).
    pub fn bits(self) -> u32 {
        match self {
            Kind::U8 => 8,
            Kind::U16 => 16,
            Kind::U24 => 24,
            Kind::U32 | Kind::I32 | Kind::FrameNum => 32,
            Kind::U64 => 64,
            _ => 0,
        }
    }

    /// True for the integer kinds (value held as an integer).
    pub fn is_integer(self) -> bool {
        self.bits() > 0
    }
}

/// How an integer is shown, after Wireshark's `field_display_e`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Not applicable.
    None,
    /// Decimal.
    Dec,
    /// Hexadecimal, zero-padded to the field's width.
    Hex,
    /// Decimal, then hexadecimal in parentheses.
    DecHex,
    /// Hexadecimal, then decimal in parentheses.
    HexDec,
    /// Octal.
    Oct,
}

impl Base {
    /// Wireshark's name for the base.
    pub fn name(self) -> &'static str {
        match self {
            Base::None => "BASE_NONE",
            Base::Dec => "BASE_DEC",
            Base::Hex => "BASE_HEX",
            Base::DecHex => "BASE_DEC_HEX",
            Base::HexDec => "BASE_HEX_DEC",
            Base::Oct => "BASE_OCT",
        }
    }
}

/// Names for a field's values.
#[derive(Debug, Clone, Copy)]
pub enum Vals {
    /// No names.
    None,
    /// Exact values and their names.
    Pairs(&'static [(u64, &'static str)]),
    /// Inclusive ranges and their names.
    Ranges(&'static [(u64, u64, &'static str)]),
    /// Names for true and false.
    TrueFalse(&'static str, &'static str),
}

/// The static definition of one field.
#[derive(Debug)]
pub struct FieldDef {
    /// Filter abbreviation, e.g. `tcp.srcport`.
    pub abbrev: &'static str,
    /// Display name, e.g. `Source Port`.
    pub name: &'static str,
    /// Value type.
    pub kind: Kind,
    /// Display base for integers.
    pub base: Base,
    /// Bit mask within the field's bytes (0 when the whole bytes are the value).
    pub mask: u64,
    /// Value names.
    pub vals: Vals,
    /// What the field means, in a sentence, for `sonde explain` and `sonde fields`.
    pub blurb: &'static str,
    /// Width in bits of the bit pattern shown for a masked boolean (0: the
    /// node's bytes), as Wireshark's `FT_BOOLEAN` display width.
    pub bits: u8,
}

impl FieldDef {
    /// A field with the defaults for its kind (decimal integers, no mask).
    pub const fn new(abbrev: &'static str, name: &'static str, kind: Kind) -> FieldDef {
        let base = match kind {
            Kind::U8 | Kind::U16 | Kind::U24 | Kind::U32 | Kind::U64 | Kind::I32 => Base::Dec,
            _ => Base::None,
        };
        FieldDef {
            abbrev,
            name,
            kind,
            base,
            mask: 0,
            vals: Vals::None,
            blurb: "",
            bits: 0,
        }
    }

    /// Sets the width of a boolean's bit pattern.
    pub const fn bits(mut self, bits: u8) -> FieldDef {
        self.bits = bits;
        self
    }

    /// Sets the display base.
    pub const fn base(mut self, base: Base) -> FieldDef {
        self.base = base;
        self
    }

    /// Sets the bit mask.
    pub const fn mask(mut self, mask: u64) -> FieldDef {
        self.mask = mask;
        self
    }

    /// Sets value names.
    pub const fn vals(mut self, vals: &'static [(u64, &'static str)]) -> FieldDef {
        self.vals = Vals::Pairs(vals);
        self
    }

    /// Sets range value names.
    pub const fn ranges(mut self, r: &'static [(u64, u64, &'static str)]) -> FieldDef {
        self.vals = Vals::Ranges(r);
        self
    }

    /// Sets names for true and false.
    pub const fn tfs(mut self, t: &'static str, f: &'static str) -> FieldDef {
        self.vals = Vals::TrueFalse(t, f);
        self
    }

    /// Sets the explanation.
    pub const fn blurb(mut self, b: &'static str) -> FieldDef {
        self.blurb = b;
        self
    }

    /// The protocol prefix of the abbreviation (`tcp` for `tcp.srcport`).
    pub fn protocol(&self) -> &'static str {
        match self.abbrev.find('.') {
            Some(i) => &self.abbrev[..i],
            None => self.abbrev,
        }
    }

    /// The name for an integer value, if the field has value names.
    pub fn value_name(&self, v: u64) -> Option<&'static str> {
        match self.vals {
            Vals::Pairs(p) => p.iter().find(|(k, _)| *k == v).map(|(_, n)| *n),
            Vals::Ranges(r) => r
                .iter()
                .find(|(lo, hi, _)| (*lo..=*hi).contains(&v))
                .map(|(_, _, n)| *n),
            Vals::TrueFalse(t, f) => Some(if v != 0 { t } else { f }),
            Vals::None => None,
        }
    }

    /// Number of bits to shift a masked value right.
    pub fn shift(&self) -> u32 {
        if self.mask == 0 {
            0
        } else {
            self.mask.trailing_zeros()
        }
    }
}

/// Every registered field, protocol by protocol.
pub fn all_fields() -> impl Iterator<Item = &'static FieldDef> {
    crate::proto::FIELD_TABLES
        .iter()
        .flat_map(|t| t.iter().copied())
}

/// Looks a field up by its abbreviation.
pub fn lookup(abbrev: &str) -> Option<&'static FieldDef> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static MAP: OnceLock<HashMap<&'static str, &'static FieldDef>> = OnceLock::new();
    MAP.get_or_init(|| all_fields().map(|f| (f.abbrev, f)).collect())
        .get(abbrev)
        .copied()
}

/// Declares a list of field statics for a protocol module's table.
#[macro_export]
macro_rules! field_table {
    ($name:ident = [$($f:ident),* $(,)?]) => {
        /// Every field this protocol registers.
        pub static $name: &[&$crate::registry::FieldDef] = &[$(&$f),*];
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn abbrevs_are_unique_and_prefixed_by_their_protocol() {
        let mut seen = HashSet::new();
        let protocols: HashSet<&str> = all_fields()
            .filter(|f| f.kind == Kind::Protocol)
            .map(|f| f.abbrev)
            .collect();
        for f in all_fields() {
            assert!(seen.insert(f.abbrev), "duplicate abbrev {}", f.abbrev);
            assert!(
                protocols.contains(f.protocol()),
                "{} is not under a registered protocol",
                f.abbrev
            );
            assert!(!f.name.is_empty(), "{} has no display name", f.abbrev);
            if f.mask != 0 {
                assert!(f.kind.is_integer() || f.kind == Kind::Bool, "{}", f.abbrev);
            }
        }
        assert!(seen.len() > 150, "only {} fields", seen.len());
    }

    #[test]
    fn lookup_finds_fields() {
        assert_eq!(lookup("tcp.srcport").unwrap().name, "Source Port");
        assert!(lookup("tcp.nonexistent").is_none());
    }
}
