//! The dissection of one frame: a flat arena of nodes, each pointing at its field
//! definition, with its absolute byte range, its value and its place in the tree.
//! The arena is reused from frame to frame (cleared, not freed).

use crate::registry::{FieldDef, Kind};
use std::fmt::Write as _;

/// Index of a node in [`Dissection::nodes`].
pub type NodeId = u32;

/// The invisible root every top-level protocol hangs from.
pub const ROOT: NodeId = 0;
const NONE: u32 = u32::MAX;

/// A span of [`Dissection::text`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    /// Start offset.
    pub start: u32,
    /// End offset (exclusive).
    pub end: u32,
}

impl Span {
    /// True when the span holds no text.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// No value (protocols, text items).
    None,
    /// An unsigned integer (already masked and shifted for bitfields).
    U(u64),
    /// A signed integer.
    I(i64),
    /// A boolean.
    Bool(bool),
    /// A floating-point number.
    F(f64),
    /// The value is the node's bytes (addresses, byte strings, strings).
    Bytes,
    /// A string produced by the dissector, held in [`Dissection::text`].
    Text(Span),
    /// A time in nanoseconds (absolute since the epoch, or relative).
    Time(i64),
    /// A name derived from the node's bytes when it is shown (MAC vendor
    /// names, address text), so dissection does not pay for it per frame.
    Resolved(Resolve),
}

/// How a [`Value::Resolved`] string is derived from the node's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// A MAC address as Wireshark names it (`Dell_12:d6:a7`).
    MacName,
    /// The organisation owning the MAC address's OUI (`Dell Inc.`).
    OuiName,
    /// An IPv4 or IPv6 address as text (the `*_host` fields, without DNS).
    AddrText,
}

/// How bad an expert item is, after Wireshark's severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A normal event worth noting (a SYN, a request).
    Chat,
    /// Unusual but not a problem.
    Note,
    /// A likely problem (retransmission, zero window).
    Warning,
    /// A definite problem (malformed, bad checksum).
    Error,
}

impl Severity {
    /// The name Wireshark prints.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Chat => "Chat",
            Severity::Note => "Note",
            Severity::Warning => "Warning",
            Severity::Error => "Error",
        }
    }
}

/// What an expert item is about, after Wireshark's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Checksum problems.
    Checksum,
    /// Sequence-number analysis.
    Sequence,
    /// Protocol-level responses and codes.
    ResponseCode,
    /// Requests.
    RequestCode,
    /// Data that does not decode.
    Malformed,
    /// A field has an unexpected value.
    Protocol,
    /// Something was not dissected.
    Undecoded,
    /// Reassembly.
    Reassemble,
    /// Comments.
    Comment,
}

impl Group {
    /// The name Wireshark prints.
    pub fn name(self) -> &'static str {
        match self {
            Group::Checksum => "Checksum",
            Group::Sequence => "Sequence",
            Group::ResponseCode => "Response",
            Group::RequestCode => "Request",
            Group::Malformed => "Malformed",
            Group::Protocol => "Protocol",
            Group::Undecoded => "Undecoded",
            Group::Reassemble => "Reassemble",
            Group::Comment => "Comment",
        }
    }
}

/// An expert item: a problem or notable event attached to a node.
#[derive(Debug, Clone, Copy)]
pub struct Expert {
    /// The node the item is about.
    pub node: NodeId,
    /// The item's own node in the tree (a child of `node`).
    pub item: NodeId,
    /// Severity.
    pub severity: Severity,
    /// Group.
    pub group: Group,
    /// The message.
    pub message: Span,
}

/// Node flag: derived by analysis, not read from the bytes (shown in brackets).
pub const GENERATED: u8 = 1;
/// Node flag: not shown in the tree, but usable in fields and filters.
pub const HIDDEN: u8 = 2;

/// One node of the dissection tree.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    /// The field this node is an occurrence of.
    pub def: &'static FieldDef,
    /// Start of the node's bytes in its data source.
    pub start: u32,
    /// Length of the node's bytes.
    pub len: u32,
    /// Data source: 0 is the frame, n > 0 is `Dissection::sources[n - 1]`.
    pub src: u8,
    /// [`GENERATED`], [`HIDDEN`].
    pub flags: u8,
    /// The value.
    pub value: Value,
    /// A label that replaces the default `Name: value` text, if not empty.
    pub label: Span,
    /// Parent node.
    pub parent: NodeId,
    first_child: NodeId,
    last_child: NodeId,
    next_sibling: NodeId,
    /// Index into [`Dissection::experts`] for expert-item nodes.
    pub expert: u32,
}

impl Node {
    /// True for generated (analysis-derived) nodes.
    pub fn is_generated(&self) -> bool {
        self.flags & GENERATED != 0
    }

    /// True for hidden nodes.
    pub fn is_hidden(&self) -> bool {
        self.flags & HIDDEN != 0
    }

    /// The byte range in its data source.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// An address shown in the Source and Destination columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addr {
    /// None.
    #[default]
    None,
    /// A MAC address.
    Mac([u8; 6]),
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6([u8; 16]),
}

/// The frame's facts, copied from the capture source.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameInfo {
    /// 1-based number.
    pub number: u64,
    /// Timestamp, ns since the epoch.
    pub ts_ns: i64,
    /// Captured length.
    pub cap_len: u32,
    /// Length on the wire.
    pub orig_len: u32,
    /// Link type.
    pub link_type: u32,
    /// Interface id.
    pub interface_id: u32,
    /// Time since the first frame, ns.
    pub rel_ns: i64,
    /// Time since the previous frame, ns.
    pub delta_ns: i64,
    /// Time since the previous displayed frame, ns.
    pub delta_displayed_ns: i64,
}

/// The summary columns, filled in by the dissectors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Columns {
    /// Protocol column (the topmost protocol that set it).
    pub protocol: &'static str,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Info column.
    pub info: Span,
}

/// The dissection of one frame.
#[derive(Debug)]
pub struct Dissection {
    /// The nodes; index 0 is the root.
    pub nodes: Vec<Node>,
    /// Text arena for labels, messages and the Info column.
    pub text: String,
    /// Expert items, in the order they were raised.
    pub experts: Vec<Expert>,
    /// Extra data sources (reassembled payloads), each with its name.
    pub sources: Vec<(&'static str, Vec<u8>)>,
    /// The frame.
    pub frame: FrameInfo,
    /// The summary columns.
    pub cols: Columns,
    /// Protocols seen, outermost first (`frame.protocols`).
    pub protocols: Vec<&'static str>,
    /// Whether dissectors should write labels (only the detail tree needs them).
    pub want_labels: bool,
    /// Whether to build the whole tree. Without it only the columns, the Info
    /// text, the protocol list and the fields named with
    /// [`Dissection::keep_only`] are kept: enough for summary lines, filters,
    /// `-T fields` and statistics, at a fraction of the cost.
    pub want_tree: bool,
    /// Whether to write the Info column (true unless a consumer says it
    /// does not read it; TCP then skips the application layer too, unless a
    /// kept field is there).
    pub want_info: bool,
    /// The partial tree's fields, when `want_tree` is false.
    keep: Keep,
    /// In a partial tree, the protocol node being dissected.
    cur_proto: NodeId,
    /// Buffers of earlier frames' sources, reused (a reassembled message
    /// costs no allocation, nor fresh pages, each time).
    spare_sources: Vec<Vec<u8>>,
}

/// Guard groups: blocks of dissector work that only matter when the tree, or
/// some field of one protocol, is wanted (see [`Dissection::builds`]).
pub mod build {
    /// The items under a MAC address (`eth.addr`, vendor names, OUI, LG/IG).
    pub const ETH: u8 = 1;
    /// TCP's analysis, flag string, connection and reassembly items.
    pub const TCP: u8 = 2;
    /// HTTP and its text body: the full HTTP dissection.
    pub const HTTP: u8 = 4;
    /// A field of what TCP hands on (HTTP, data, reassembly, the protocol
    /// list): TCP payload goes to the application layer.
    pub const APP: u8 = 8;
    /// Every group.
    pub const ALL: u8 = 0xff;
}

/// The set of fields a partial tree keeps (with every protocol layer): a
/// 256-bit filter on their addresses that turns most other fields away with
/// one bit test, then an open-addressing hash set of the addresses, at most
/// a quarter full, so that a lookup is one or two probes.
#[derive(Debug, Clone)]
struct Keep {
    bloom: [u64; 4],
    /// Addresses of the kept definitions; 0 is an empty slot.
    slots: Vec<usize>,
    /// `slots.len() - 1` (a power of two minus one); 0 when nothing is kept.
    mask: usize,
    /// A partial tree is wanted (something beyond the columns is kept).
    partial: bool,
    groups: u8,
}

impl Keep {
    #[inline]
    fn start(&self, addr: usize) -> usize {
        ((addr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & self.mask
    }

    #[inline(always)]
    fn bloom_bit(addr: usize) -> (usize, u64) {
        let b = (addr >> 3) & 255;
        (b >> 6, 1 << (b & 63))
    }

    #[inline(always)]
    fn has(&self, def: &'static FieldDef) -> bool {
        let addr = def as *const FieldDef as usize;
        let (w, bit) = Keep::bloom_bit(addr);
        if self.bloom[w] & bit == 0 {
            return false;
        }
        let mut i = self.start(addr);
        loop {
            match self.slots[i] {
                0 => return false,
                a if a == addr => return true,
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    fn insert(&mut self, def: &'static FieldDef) {
        let addr = def as *const FieldDef as usize;
        let (w, bit) = Keep::bloom_bit(addr);
        self.bloom[w] |= bit;
        let mut i = self.start(addr);
        while self.slots[i] != 0 && self.slots[i] != addr {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = addr;
    }
}

static ROOT_DEF: FieldDef = FieldDef::new("_root", "Root", Kind::None);

/// A protocol layer (not one of Wireshark's `_ws` pseudo-protocols): always
/// kept in a partial tree, as the parent of its kept fields.
#[inline]
fn is_layer(def: &FieldDef) -> bool {
    def.kind == Kind::Protocol && !def.abbrev.starts_with('_')
}

impl Default for Dissection {
    fn default() -> Self {
        Self::new()
    }
}

impl Dissection {
    /// An empty dissection.
    pub fn new() -> Dissection {
        let mut d = Dissection {
            nodes: Vec::with_capacity(256),
            text: String::with_capacity(4096),
            experts: Vec::new(),
            sources: Vec::new(),
            frame: FrameInfo::default(),
            cols: Columns::default(),
            protocols: Vec::with_capacity(16),
            want_labels: true,
            want_tree: true,
            want_info: true,
            cur_proto: ROOT,
            spare_sources: Vec::new(),
            keep: Keep {
                bloom: [0; 4],
                slots: Vec::new(),
                mask: 0,
                partial: false,
                groups: 0,
            },
        };
        d.clear(FrameInfo::default());
        d
    }

    /// Builds a partial tree from now on: no labels, and only the nodes of
    /// `defs` (and of the fields their dissectors read back) and the
    /// protocol layers, each field under its nearest kept ancestor or its
    /// protocol. Filters, `-T fields` and statistics name what they read;
    /// everything else is skipped. An expert item whose anchor field is not
    /// kept has no bytes (its value, the message, stays). With no `defs`,
    /// only the columns are built.
    pub fn keep_only(&mut self, defs: &[&'static FieldDef]) {
        self.want_tree = false;
        self.want_labels = false;
        let mut all: Vec<&'static FieldDef> = defs.to_vec();
        crate::proto::keep_dependencies(&mut all);
        let layers: Vec<&'static FieldDef> = crate::registry::all_fields()
            .filter(|d| is_layer(d))
            .collect();
        let size = ((all.len() + layers.len()) * 4)
            .next_power_of_two()
            .max(256);
        self.keep = Keep {
            bloom: [0; 4],
            slots: vec![0; size],
            mask: size - 1,
            partial: !all.is_empty(),
            groups: 0,
        };
        for def in all {
            self.keep.groups |= crate::proto::groups_of(def);
            self.keep.insert(def);
        }
        if self.keep.partial {
            // Protocol layers are always kept: the parents of their fields.
            for def in layers {
                self.keep.insert(def);
            }
        }
    }

    /// True when nodes of `def` are built: always with the whole tree, and
    /// for the fields named with [`Dissection::keep_only`] otherwise.
    #[inline(always)]
    pub fn keeps(&self, def: &'static FieldDef) -> bool {
        self.want_tree || (self.keep.partial && self.keep.has(def))
    }

    /// True when any node is built (the whole tree or a partial one).
    #[inline]
    pub fn builds_nodes(&self) -> bool {
        self.want_tree || self.keep.partial
    }

    /// True when the dissector work guarded by `group` (a [`build`] constant)
    /// is needed: with the whole tree, or when a kept field belongs to it.
    #[inline]
    pub fn builds(&self, group: u8) -> bool {
        self.want_tree || self.keep.groups & group != 0
    }

    /// Adds a data source (a reassembled message) holding a copy of `bytes`;
    /// returns its number for [`Node::src`]. A frame holds at most 255: the
    /// caller bounds how many it adds.
    pub fn push_source(&mut self, name: &'static str, bytes: &[u8]) -> u8 {
        debug_assert!(
            self.sources.len() < usize::from(u8::MAX),
            "too many sources"
        );
        let mut b = self.spare_sources.pop().unwrap_or_default();
        b.extend_from_slice(bytes);
        self.sources.push((name, b));
        self.sources.len() as u8
    }

    /// Empties the arena for the next frame, keeping its capacity.
    pub fn clear(&mut self, frame: FrameInfo) {
        self.nodes.clear();
        self.text.clear();
        self.experts.clear();
        for (_, mut b) in self.sources.drain(..) {
            if self.spare_sources.len() < 4 {
                b.clear();
                self.spare_sources.push(b);
            }
        }
        self.protocols.clear();
        self.cols = Columns::default();
        self.frame = frame;
        self.cur_proto = ROOT;
        self.nodes.push(Node {
            def: &ROOT_DEF,
            start: 0,
            len: 0,
            src: 0,
            flags: 0,
            value: Value::None,
            label: Span::default(),
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            expert: NONE,
        });
    }

    /// Appends a node under `parent` and returns its id.
    #[inline]
    pub fn add(
        &mut self,
        parent: NodeId,
        def: &'static FieldDef,
        start: usize,
        len: usize,
        value: Value,
    ) -> NodeId {
        if !self.keeps(def) {
            return ROOT;
        }
        self.push_node(parent, def, start, len, value)
    }

    /// [`Dissection::add`] once the node is known to be kept.
    #[inline(never)]
    fn push_node(
        &mut self,
        mut parent: NodeId,
        def: &'static FieldDef,
        start: usize,
        len: usize,
        value: Value,
    ) -> NodeId {
        let id = self.nodes.len() as NodeId;
        if !self.want_tree {
            // Partial tree: a field whose parent was not kept hangs under
            // its protocol; protocols are always kept.
            if is_layer(def) {
                self.cur_proto = id;
            } else if parent == ROOT {
                parent = self.cur_proto;
            }
        }
        self.nodes.push(Node {
            def,
            start: start as u32,
            len: len as u32,
            src: 0,
            flags: 0,
            value,
            label: Span::default(),
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            expert: NONE,
        });
        let p = &mut self.nodes[parent as usize];
        if p.last_child == NONE {
            p.first_child = id;
            p.last_child = id;
        } else {
            let last = p.last_child;
            p.last_child = id;
            self.nodes[last as usize].next_sibling = id;
        }
        id
    }

    /// Appends a generated node (derived by analysis, shown in brackets).
    #[inline]
    pub fn add_generated(
        &mut self,
        parent: NodeId,
        def: &'static FieldDef,
        value: Value,
    ) -> NodeId {
        let id = self.add(parent, def, 0, 0, value);
        self.set_generated(id);
        id
    }

    /// Appends a hidden node (for filters and fields, not shown in the tree).
    #[inline]
    pub fn add_hidden(
        &mut self,
        parent: NodeId,
        def: &'static FieldDef,
        start: usize,
        len: usize,
        value: Value,
    ) -> NodeId {
        let id = self.add(parent, def, start, len, value);
        if id != ROOT {
            self.nodes[id as usize].flags |= HIDDEN;
        }
        id
    }

    /// Sets a node's length (a protocol's extent is known after its children).
    pub fn set_len(&mut self, id: NodeId, len: usize) {
        if id != ROOT {
            self.nodes[id as usize].len = len as u32;
        }
    }

    /// Marks a node generated.
    pub fn set_generated(&mut self, id: NodeId) {
        if id != ROOT {
            self.nodes[id as usize].flags |= GENERATED;
        }
    }

    /// Writes text into the arena and returns its span.
    pub fn push_text(&mut self, args: std::fmt::Arguments<'_>) -> Span {
        let start = self.text.len() as u32;
        let _ = self.text.write_fmt(args);
        Span {
            start,
            end: self.text.len() as u32,
        }
    }

    /// Text of a span.
    pub fn span_str(&self, s: Span) -> &str {
        &self.text[s.start as usize..s.end as usize]
    }

    /// Sets a node's label (only when labels are wanted).
    pub fn set_label(&mut self, id: NodeId, args: std::fmt::Arguments<'_>) {
        if self.want_labels && id != ROOT {
            let s = self.push_text(args);
            self.nodes[id as usize].label = s;
        }
    }

    /// The Info column text.
    pub fn info(&self) -> &str {
        self.span_str(self.cols.info)
    }

    /// Replaces the Info column.
    pub fn set_info(&mut self, args: std::fmt::Arguments<'_>) {
        if !self.want_info {
            return;
        }
        self.cols.info = self.push_text(args);
    }

    /// Appends to the Info column (it must be the last text written, or is copied).
    pub fn append_info(&mut self, args: std::fmt::Arguments<'_>) {
        if !self.want_info {
            return;
        }
        if self.cols.info.end as usize != self.text.len() {
            let (s, e) = (self.cols.info.start as usize, self.cols.info.end as usize);
            let start = self.text.len();
            self.text.extend_from_within(s..e);
            self.cols.info = Span {
                start: start as u32,
                end: self.text.len() as u32,
            };
        }
        let _ = self.text.write_fmt(args);
        self.cols.info.end = self.text.len() as u32;
    }

    /// Raises an expert item on `node`.
    pub fn expert(
        &mut self,
        node: NodeId,
        def: &'static FieldDef,
        severity: Severity,
        group: Group,
        args: std::fmt::Arguments<'_>,
    ) -> NodeId {
        if !self.keeps(def) {
            return ROOT;
        }
        let message = self.push_text(args);
        let (start, len, src) = {
            let n = &self.nodes[node as usize];
            (n.start as usize, n.len as usize, n.src)
        };
        let item = self.add(node, def, start, len, Value::Text(message));
        let idx = self.experts.len() as u32;
        let n = &mut self.nodes[item as usize];
        n.flags |= GENERATED;
        n.expert = idx;
        n.src = src;
        self.experts.push(Expert {
            node,
            item,
            severity,
            group,
            message,
        });
        item
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The children of a node, in order.
    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            d: self,
            next: self.nodes[id as usize].first_child,
        }
    }

    /// True when the node has children.
    pub fn has_children(&self, id: NodeId) -> bool {
        self.nodes[id as usize].first_child != NONE
    }

    /// The top-level protocol nodes.
    pub fn layers(&self) -> Children<'_> {
        self.children(ROOT)
    }

    /// All nodes (but the root) in tree order, with their depth (0 = layer).
    pub fn walk(&self) -> Walk<'_> {
        let first = self.nodes[0].first_child;
        Walk {
            d: self,
            stack: if first == NONE {
                Vec::new()
            } else {
                vec![(first, 0)]
            },
        }
    }

    /// Every node that is an occurrence of `def`, in tree order.
    pub fn find_all<'a>(&'a self, def: &'static FieldDef) -> impl Iterator<Item = NodeId> + 'a {
        self.walk()
            .map(|(id, _)| id)
            .filter(move |&id| std::ptr::eq(self.nodes[id as usize].def, def))
    }

    /// The first occurrence of `def`.
    pub fn find(&self, def: &'static FieldDef) -> Option<NodeId> {
        (1..self.nodes.len() as u32).find(|&id| std::ptr::eq(self.nodes[id as usize].def, def))
    }

    /// The bytes of a node, given the frame's bytes.
    pub fn bytes<'a>(&'a self, frame: &'a [u8], id: NodeId) -> &'a [u8] {
        let n = &self.nodes[id as usize];
        let data: &[u8] = if n.src == 0 {
            frame
        } else {
            &self.sources[n.src as usize - 1].1
        };
        data.get(n.range()).unwrap_or(&[])
    }

    /// Records that a protocol was found (for `frame.protocols`).
    pub fn push_protocol(&mut self, name: &'static str) {
        self.protocols.push(name);
    }
}

/// Iterator over a node's children.
pub struct Children<'a> {
    d: &'a Dissection,
    next: NodeId,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.d.nodes[id as usize].next_sibling;
        Some(id)
    }
}

/// Depth-first walk over the tree.
pub struct Walk<'a> {
    d: &'a Dissection,
    stack: Vec<(NodeId, u32)>,
}

impl Iterator for Walk<'_> {
    type Item = (NodeId, u32);
    fn next(&mut self) -> Option<(NodeId, u32)> {
        let (id, depth) = self.stack.pop()?;
        let n = &self.d.nodes[id as usize];
        if n.next_sibling != NONE {
            self.stack.push((n.next_sibling, depth));
        }
        if n.first_child != NONE {
            self.stack.push((n.first_child, depth + 1));
        }
        Some((id, depth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    static P: FieldDef = FieldDef::new("p", "P", Kind::Protocol);
    static A: FieldDef = FieldDef::new("p.a", "A", Kind::U8);
    static B: FieldDef = FieldDef::new("p.b", "B", Kind::U8);

    #[test]
    fn tree_links_and_walk_order() {
        let mut d = Dissection::new();
        let p = d.add(ROOT, &P, 0, 2, Value::None);
        let a = d.add(p, &A, 0, 1, Value::U(1));
        let b = d.add(p, &B, 1, 1, Value::U(2));
        let a2 = d.add(a, &B, 0, 1, Value::U(3));
        let walk: Vec<_> = d.walk().collect();
        assert_eq!(walk, vec![(p, 0), (a, 1), (a2, 2), (b, 1)]);
        assert_eq!(d.children(p).collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(d.find_all(&B).collect::<Vec<_>>(), vec![a2, b]);
        assert_eq!(d.bytes(&[7, 8], b), &[8]);
        d.clear(FrameInfo::default());
        assert_eq!(d.nodes.len(), 1);
    }

    #[test]
    fn info_append_survives_interleaved_text() {
        let mut d = Dissection::new();
        d.set_info(format_args!("a"));
        let n = d.add(ROOT, &P, 0, 0, Value::None);
        d.set_label(n, format_args!("label"));
        d.append_info(format_args!("b"));
        assert_eq!(d.info(), "ab");
    }
}
