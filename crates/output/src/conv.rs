//! Conversation tables, like `tshark -q -z conv,TYPE`: one row per pair of
//! endpoints (Ethernet, IPv4, IPv6) or per TCP/UDP stream, with frames and bytes
//! each way, the relative start and the duration, in tshark's text layout.
//! For TCP, a connection table follows: who opened each connection (the side
//! that sent the SYN), the server's service, and what became of it.
//!
//! Like every consumer, this module only reads the dissection tree. Memory grows
//! with the number of conversations and streams, never with the number of frames.

use rustc_hash::FxHashMap as HashMap;
use sonde_dissect::display::push_u64;
use sonde_dissect::registry::{lookup, FieldDef};
use sonde_dissect::tree::ROOT;
use sonde_dissect::{Dissection, NodeId, Value};
use std::fmt::Write as _;

/// The kind of conversation a table counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvType {
    /// Ethernet: pairs of MAC addresses.
    Eth,
    /// IPv4: pairs of addresses.
    Ip,
    /// IPv6: pairs of addresses.
    Ipv6,
    /// TCP: one row per stream (`tcp.stream`).
    Tcp,
    /// UDP: one row per stream (`udp.stream`).
    Udp,
}

impl ConvType {
    /// The name tshark prints in the title (`TCP Conversations`).
    pub fn title(self) -> &'static str {
        match self {
            ConvType::Eth => "Ethernet",
            ConvType::Ip => "IPv4",
            ConvType::Ipv6 => "IPv6",
            ConvType::Tcp => "TCP",
            ConvType::Udp => "UDP",
        }
    }

    /// The name used on the command line and in JSON (`tcp`).
    pub fn name(self) -> &'static str {
        match self {
            ConvType::Eth => "eth",
            ConvType::Ip => "ip",
            ConvType::Ipv6 => "ipv6",
            ConvType::Tcp => "tcp",
            ConvType::Udp => "udp",
        }
    }

    /// True when rows carry ports.
    pub fn has_ports(self) -> bool {
        matches!(self, ConvType::Tcp | ConvType::Udp)
    }
}

/// An endpoint address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    /// A MAC address.
    Mac([u8; 6]),
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6([u8; 16]),
}

impl Address {
    fn from_bytes(b: &[u8]) -> Option<Address> {
        Some(match b.len() {
            6 => Address::Mac(b.try_into().ok()?),
            4 => Address::V4(b.try_into().ok()?),
            16 => Address::V6(b.try_into().ok()?),
            _ => return None,
        })
    }

    /// Writes the address as tshark shows it in conversation tables: MAC
    /// addresses with their vendor name (`Dell_12:d6:a7`), IP addresses as
    /// numbers.
    pub fn write(&self, out: &mut String) {
        match self {
            Address::Mac(m) => sonde_dissect::oui::write_resolved(out, *m),
            Address::V4(a) => sonde_dissect::display::write_ipv4(out, a),
            Address::V6(a) => sonde_dissect::display::write_ipv6(out, a),
        }
    }

    /// The address as plain text, without vendor names.
    pub fn plain(&self) -> String {
        let mut s = String::new();
        match self {
            Address::Mac(m) => sonde_dissect::oui::write_plain(&mut s, *m),
            _ => self.write(&mut s),
        }
        s
    }

    /// The text of the address (with vendor names for MACs).
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

/// The field definitions the conversation, connection and follow consumers
/// read, looked up once.
#[derive(Debug, Clone)]
pub(crate) struct Defs {
    eth: &'static FieldDef,
    eth_src: &'static FieldDef,
    eth_dst: &'static FieldDef,
    ip: &'static FieldDef,
    ip_src: &'static FieldDef,
    ip_dst: &'static FieldDef,
    ipv6: &'static FieldDef,
    ipv6_src: &'static FieldDef,
    ipv6_dst: &'static FieldDef,
    icmp: &'static FieldDef,
    icmpv6: &'static FieldDef,
    tcp: &'static FieldDef,
    tcp_srcport: &'static FieldDef,
    tcp_dstport: &'static FieldDef,
    tcp_stream: &'static FieldDef,
    tcp_seq: &'static FieldDef,
    tcp_ack: &'static FieldDef,
    tcp_len: &'static FieldDef,
    tcp_flags: &'static FieldDef,
    tcp_payload: &'static FieldDef,
    udp: &'static FieldDef,
    udp_srcport: &'static FieldDef,
    udp_dstport: &'static FieldDef,
    udp_stream: &'static FieldDef,
    udp_payload: &'static FieldDef,
    ws_short: &'static FieldDef,
    ws_malformed: &'static FieldDef,
}

fn def(abbrev: &str) -> &'static FieldDef {
    lookup(abbrev).unwrap_or_else(|| panic!("field {abbrev} is not registered"))
}

impl Defs {
    pub(crate) fn new() -> Defs {
        Defs {
            eth: def("eth"),
            eth_src: def("eth.src"),
            eth_dst: def("eth.dst"),
            ip: def("ip"),
            ip_src: def("ip.src"),
            ip_dst: def("ip.dst"),
            ipv6: def("ipv6"),
            ipv6_src: def("ipv6.src"),
            ipv6_dst: def("ipv6.dst"),
            icmp: def("icmp"),
            icmpv6: def("icmpv6"),
            tcp: def("tcp"),
            tcp_srcport: def("tcp.srcport"),
            tcp_dstport: def("tcp.dstport"),
            tcp_stream: def("tcp.stream"),
            tcp_seq: def("tcp.seq"),
            tcp_ack: def("tcp.ack"),
            tcp_len: def("tcp.len"),
            tcp_flags: def("tcp.flags"),
            tcp_payload: def("tcp.payload"),
            udp: def("udp"),
            udp_srcport: def("udp.srcport"),
            udp_dstport: def("udp.dstport"),
            udp_stream: def("udp.stream"),
            udp_payload: def("udp.payload"),
            ws_short: def("_ws.short"),
            ws_malformed: def("_ws.malformed"),
        }
    }
}

/// Reads the layers a [`ConvTable`] counts out of dissected frames.
#[derive(Debug, Clone)]
pub struct ConvScanner {
    defs: Defs,
    kind: LayerKind,
}

/// Layers scanned from frames, waiting to be counted ([`ConvTable::apply`]).
#[derive(Debug, Default, Clone)]
pub struct ConvBatch {
    /// Each layer with its frame's length and relative time.
    layers: Vec<(Layer, u64, i64)>,
    frames: usize,
}

impl ConvBatch {
    /// Frames scanned into the batch.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Empties the batch, keeping its memory.
    pub fn clear(&mut self) {
        self.layers.clear();
        self.frames = 0;
    }
}

impl ConvScanner {
    /// Adds the frame's layers of the table's kind to `batch`.
    pub fn scan(&self, d: &Dissection, data: &[u8], batch: &mut ConvBatch) {
        let len = u64::from(d.frame.orig_len);
        let ts = d.frame.rel_ns;
        batch.frames += 1;
        scan_layers(&self.defs, d, data, |l| {
            if l.kind == self.kind {
                batch.layers.push((*l, len, ts));
            }
        });
    }
}

/// Which layer a [`Layer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LayerKind {
    Eth,
    Ip,
    Ipv6,
    Tcp,
    Udp,
}

/// One occurrence of a layer the tables count, with the fields read from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer {
    pub kind: LayerKind,
    /// Source and destination: the layer's own (Ethernet, IP), or the
    /// enclosing IP layer's (TCP, UDP).
    pub src: Option<Address>,
    pub dst: Option<Address>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// `tcp.stream` / `udp.stream`: absent for the copy of a packet quoted in
    /// an ICMP error, which Wireshark does not count either.
    pub stream: Option<u32>,
    pub seq: Option<u32>,
    pub ack: Option<u32>,
    pub len: Option<u32>,
    pub flags: u16,
    pub payload: Option<NodeId>,
    /// The layer comes after an ICMP layer: part of a quoted packet.
    pub in_error: bool,
    /// The layer's header is cut short (snap length or malformed).
    pub truncated: bool,
}

impl Layer {
    fn new(kind: LayerKind, in_error: bool) -> Layer {
        Layer {
            kind,
            src: None,
            dst: None,
            sport: None,
            dport: None,
            stream: None,
            seq: None,
            ack: None,
            len: None,
            flags: 0,
            payload: None,
            in_error,
            truncated: false,
        }
    }
}

fn uint(d: &Dissection, id: NodeId) -> Option<u64> {
    match d.node(id).value {
        Value::U(v) => Some(v),
        Value::I(v) => u64::try_from(v).ok(),
        Value::Bool(b) => Some(u64::from(b)),
        _ => None,
    }
}

/// Walks the frame's nodes once and calls `each` for every Ethernet, IP,
/// IPv6, TCP and UDP layer, in the order they were dissected.
pub(crate) fn scan_layers(defs: &Defs, d: &Dissection, data: &[u8], mut each: impl FnMut(&Layer)) {
    // The layers whose header is cut short: those holding a truncation item.
    let mut cut = [ROOT; 4];
    let mut ncut = 0;
    for (id, n) in d.nodes.iter().enumerate().skip(1) {
        if (std::ptr::eq(n.def, defs.ws_short) || std::ptr::eq(n.def, defs.ws_malformed))
            && ncut < cut.len()
        {
            cut[ncut] = layer_of(d, id as NodeId);
            ncut += 1;
        }
    }
    let mut net: (Option<Address>, Option<Address>) = (None, None);
    let mut in_error = false;
    for layer in d.layers() {
        let def = d.node(layer).def;
        let kind = if std::ptr::eq(def, defs.eth) {
            LayerKind::Eth
        } else if std::ptr::eq(def, defs.ip) {
            LayerKind::Ip
        } else if std::ptr::eq(def, defs.ipv6) {
            LayerKind::Ipv6
        } else if std::ptr::eq(def, defs.tcp) {
            LayerKind::Tcp
        } else if std::ptr::eq(def, defs.udp) {
            LayerKind::Udp
        } else {
            if std::ptr::eq(def, defs.icmp) || std::ptr::eq(def, defs.icmpv6) {
                in_error = true;
            }
            continue;
        };
        let mut l = Layer::new(kind, in_error);
        l.truncated = cut[..ncut].contains(&layer);
        if matches!(kind, LayerKind::Tcp | LayerKind::Udp) {
            l.src = net.0;
            l.dst = net.1;
        }
        // The fields read are the layer's direct children.
        for id in d.children(layer) {
            read_field(defs, d, data, &mut l, id);
        }
        if matches!(kind, LayerKind::Ip | LayerKind::Ipv6) {
            net = (l.src, l.dst);
        }
        each(&l);
    }
}

/// The top-level layer a node belongs to.
fn layer_of(d: &Dissection, mut id: NodeId) -> NodeId {
    while id != ROOT && d.node(id).parent != ROOT {
        id = d.node(id).parent;
    }
    id
}

/// Reads one child node of a layer into the layer's record.
fn read_field(defs: &Defs, d: &Dissection, data: &[u8], l: &mut Layer, id: NodeId) {
    let def = d.node(id).def;
    let eq = |f: &'static FieldDef| std::ptr::eq(def, f);
    let v = || uint(d, id);
    match l.kind {
        LayerKind::Eth | LayerKind::Ip | LayerKind::Ipv6 => {
            let (src, dst) = match l.kind {
                LayerKind::Eth => (defs.eth_src, defs.eth_dst),
                LayerKind::Ip => (defs.ip_src, defs.ip_dst),
                _ => (defs.ipv6_src, defs.ipv6_dst),
            };
            let slot = if eq(src) {
                &mut l.src
            } else if eq(dst) {
                &mut l.dst
            } else {
                return;
            };
            if slot.is_none() {
                *slot = Address::from_bytes(d.bytes(data, id));
            }
        }
        LayerKind::Tcp | LayerKind::Udp => {
            let tcp = l.kind == LayerKind::Tcp;
            let (sport, dport, stream, payload) = if tcp {
                (
                    defs.tcp_srcport,
                    defs.tcp_dstport,
                    defs.tcp_stream,
                    defs.tcp_payload,
                )
            } else {
                (
                    defs.udp_srcport,
                    defs.udp_dstport,
                    defs.udp_stream,
                    defs.udp_payload,
                )
            };
            if eq(sport) {
                l.sport = v().map(|p| p as u16);
            } else if eq(dport) {
                l.dport = v().map(|p| p as u16);
            } else if eq(stream) {
                l.stream = v().map(|p| p as u32);
            } else if eq(payload) {
                l.payload.get_or_insert(id);
            } else if !tcp {
                // The rest are TCP's.
            } else if eq(defs.tcp_seq) {
                l.seq = v().map(|p| p as u32);
            } else if eq(defs.tcp_ack) {
                l.ack = v().map(|p| p as u32);
            } else if eq(defs.tcp_len) {
                l.len = v().map(|p| p as u32);
            } else if eq(defs.tcp_flags) {
                l.flags = v().unwrap_or(0) as u16;
            }
        }
    }
}

/// One row of a conversation table. Side A is the source of the first frame
/// seen, as in tshark.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Address of side A.
    pub a: Address,
    /// Address of side B.
    pub b: Address,
    /// Port of side A (0 without ports).
    pub port_a: u16,
    /// Port of side B (0 without ports).
    pub port_b: u16,
    /// The TCP or UDP stream index.
    pub stream: Option<u32>,
    /// Frames from A to B (tshark's `->` column).
    pub frames_ab: u64,
    /// Bytes from A to B.
    pub bytes_ab: u64,
    /// Frames from B to A (tshark's `<-` column).
    pub frames_ba: u64,
    /// Bytes from B to A.
    pub bytes_ba: u64,
    /// Earliest frame, ns since the first frame of the capture.
    pub start_ns: i64,
    /// Latest frame, ns since the first frame of the capture.
    pub stop_ns: i64,
}

impl Conversation {
    /// Frames both ways.
    pub fn frames(&self) -> u64 {
        self.frames_ab + self.frames_ba
    }

    /// Bytes both ways.
    pub fn bytes(&self) -> u64 {
        self.bytes_ab + self.bytes_ba
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    lo: (Address, u16),
    hi: (Address, u16),
    stream: Option<u32>,
}

/// Accumulates one conversation table frame by frame.
pub struct ConvTable {
    kind: ConvType,
    defs: Defs,
    index: HashMap<Key, usize>,
    /// Conversation of each TCP/UDP stream (streams are numbered densely
    /// from 0): no hashing for the common case.
    by_stream: Vec<u32>,
    convs: Vec<Conversation>,
    conns: Option<Connections>,
    filter: Option<String>,
}

impl ConvTable {
    /// The fields the table reads from each frame (for a partial tree).
    pub fn fields(&self) -> Vec<&'static FieldDef> {
        let d = &self.defs;
        let mut f = vec![d.ws_short, d.ws_malformed];
        let ip = [d.ip_src, d.ip_dst, d.ipv6_src, d.ipv6_dst];
        match self.kind {
            ConvType::Eth => f.extend([d.eth_src, d.eth_dst]),
            ConvType::Ip => f.extend([d.ip_src, d.ip_dst]),
            ConvType::Ipv6 => f.extend([d.ipv6_src, d.ipv6_dst]),
            ConvType::Tcp => {
                f.extend(ip);
                f.extend([
                    d.tcp_srcport,
                    d.tcp_dstport,
                    d.tcp_stream,
                    d.tcp_len,
                    d.tcp_flags,
                ]);
            }
            ConvType::Udp => {
                f.extend(ip);
                f.extend([d.udp_srcport, d.udp_dstport, d.udp_stream]);
            }
        }
        f
    }

    /// An empty table of the given type. TCP tables also track connections.
    pub fn new(kind: ConvType) -> ConvTable {
        ConvTable {
            kind,
            defs: Defs::new(),
            index: HashMap::default(),
            by_stream: Vec::new(),
            convs: Vec::new(),
            conns: (kind == ConvType::Tcp).then(Connections::default),
            filter: None,
        }
    }

    /// Sets the display filter shown on the `Filter:` line.
    pub fn set_filter(&mut self, filter: Option<String>) {
        self.filter = filter;
    }

    /// The table's type.
    pub fn kind(&self) -> ConvType {
        self.kind
    }

    /// The conversations, in the order they were first seen.
    pub fn conversations(&self) -> &[Conversation] {
        &self.convs
    }

    /// The TCP connections (TCP tables only).
    pub fn connections(&self) -> Option<&Connections> {
        self.conns.as_ref()
    }

    /// What reads frames for this table, apart from the table itself: scan
    /// frames into a [`ConvBatch`] on one thread, [`ConvTable::apply`] it on
    /// another.
    pub fn scanner(&self) -> ConvScanner {
        ConvScanner {
            defs: self.defs.clone(),
            kind: match self.kind {
                ConvType::Eth => LayerKind::Eth,
                ConvType::Ip => LayerKind::Ip,
                ConvType::Ipv6 => LayerKind::Ipv6,
                ConvType::Tcp => LayerKind::Tcp,
                ConvType::Udp => LayerKind::Udp,
            },
        }
    }

    /// Counts the layers of a batch of scanned frames.
    pub fn apply(&mut self, batch: &ConvBatch) {
        for (l, len, ts) in &batch.layers {
            self.add_layer(l, *len, *ts);
        }
    }

    fn add_layer(&mut self, l: &Layer, len: u64, ts: i64) {
        let ports = self.kind.has_ports();
        let (index, by_stream, convs, conns) = (
            &mut self.index,
            &mut self.by_stream,
            &mut self.convs,
            &mut self.conns,
        );
        {
            let (Some(src), Some(dst)) = (l.src, l.dst) else {
                return;
            };
            // Wireshark counts neither the addresses nor the streams of the
            // packet an ICMP error quotes (quoted TCP/UDP get no stream).
            // A header cut short stops Wireshark's dissector before its tap.
            if l.in_error || l.truncated || (ports && l.stream.is_none()) {
                return;
            }
            let (sp, dp) = if ports {
                match (l.sport, l.dport) {
                    (Some(s), Some(d)) => (s, d),
                    _ => return,
                }
            } else {
                (0, 0)
            };
            let same = |c: &Conversation| {
                (c.a == src && c.port_a == sp && c.b == dst && c.port_b == dp)
                    || (c.a == dst && c.port_a == dp && c.b == src && c.port_b == sp)
            };
            let cached = l
                .stream
                .map(|st| *stream_slot(by_stream, st))
                .filter(|&i| convs.get(i as usize).is_some_and(same));
            let i = match cached {
                Some(i) => i as usize,
                None => {
                    let (lo, hi) = if (src, sp) <= (dst, dp) {
                        ((src, sp), (dst, dp))
                    } else {
                        ((dst, dp), (src, sp))
                    };
                    let key = Key {
                        lo,
                        hi,
                        stream: l.stream,
                    };
                    let i = *index.entry(key).or_insert_with(|| {
                        convs.push(Conversation {
                            a: src,
                            b: dst,
                            port_a: sp,
                            port_b: dp,
                            stream: l.stream,
                            frames_ab: 0,
                            bytes_ab: 0,
                            frames_ba: 0,
                            bytes_ba: 0,
                            start_ns: ts,
                            stop_ns: ts,
                        });
                        convs.len() - 1
                    });
                    if let Some(st) = l.stream {
                        *stream_slot(by_stream, st) = i as u32;
                    }
                    i
                }
            };
            let c = &mut convs[i];
            if c.a == src && c.port_a == sp && c.b == dst && c.port_b == dp {
                c.frames_ab += 1;
                c.bytes_ab += len;
            } else {
                c.frames_ba += 1;
                c.bytes_ba += len;
            }
            if ts > c.stop_ns {
                c.stop_ns = ts;
            } else if ts < c.start_ns {
                c.start_ns = ts;
            }
            if let (Some(conns), Some(stream)) = (conns.as_mut(), l.stream) {
                conns.add(stream, src, sp, dst, dp, l.flags, l.len.unwrap_or(0));
            }
        }
    }

    /// The conversations in tshark's order: most frames first, ties in the
    /// order they were first seen.
    pub fn sorted(&self) -> Vec<&Conversation> {
        let mut v: Vec<&Conversation> = self.convs.iter().collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.frames()));
        v
    }

    /// Writes the table in tshark's `-z conv,TYPE` layout, then for TCP the
    /// connection table.
    pub fn write_text(&self, out: &mut String) {
        let mut v = Vec::new();
        let _ = self.write_text_to(&mut v);
        out.push_str(&String::from_utf8_lossy(&v));
    }

    /// Writes [`ConvTable::write_text`]'s text to `w` as it is formatted, in
    /// 64 KiB pieces: a big capture's tables (hundreds of thousands of rows)
    /// are never held whole in memory. The connection table is formatted
    /// on a second thread meanwhile, at most [`AHEAD_CHUNKS`] pieces ahead.
    pub fn write_text_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<String>(AHEAD_CHUNKS);
            let conns = self.conns.as_ref().map(|c| {
                scope.spawn(move || {
                    c.write_chunks(&mut |chunk| tx.send(chunk).is_ok());
                })
            });
            let mut result = self.write_conversations(&mut |chunk| w.write_all(chunk.as_bytes()));
            // The connection table's pieces, in order (the thread ends when
            // the receiver goes, should writing have failed).
            if result.is_ok() {
                for chunk in &rx {
                    if let Err(e) = w.write_all(chunk.as_bytes()) {
                        result = Err(e);
                        break;
                    }
                }
            }
            drop(rx);
            if let Some(h) = conns {
                if let Err(e) = h.join() {
                    std::panic::resume_unwind(e);
                }
            }
            result
        })
    }

    /// Formats the conversation table, handing `emit` 64 KiB pieces.
    fn write_conversations(
        &self,
        emit: &mut dyn FnMut(&str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut buf = String::with_capacity(CHUNK + 512);
        let out = &mut buf;
        let ports = self.kind.has_ports();
        let pad = if ports { "            " } else { "" };
        out.push_str(RULE);
        let _ = writeln!(out, "{} Conversations", self.kind.title());
        let _ = writeln!(
            out,
            "Filter:{}",
            self.filter.as_deref().unwrap_or("<No Filter>")
        );
        let _ = writeln!(out, "{pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |");
        let _ = writeln!(out, "{pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |");
        let w = if ports { 26 } else { 20 };
        // "{:<w$} <-> {:<w$}  {:>6} {:<9}  {:>6} {:<9}  {:>6} {:<9}  {:>14.9}   {:>12.4}",
        // written piece by piece: tens of thousands of rows on a big capture.
        fn left(out: &mut String, w: usize, f: impl FnOnce(&mut String)) {
            let at = out.len();
            f(out);
            for _ in out[at..].chars().count()..w {
                out.push(' ');
            }
        }
        fn right(out: &mut String, w: usize, f: impl FnOnce(&mut String)) {
            let at = out.len();
            f(out);
            let n = out[at..].chars().count();
            if n < w {
                out.insert_str(at, &" ".repeat(w - n));
            }
        }
        let endpoint = |out: &mut String, a: Address, p: u16| {
            a.write(out);
            if ports {
                out.push(':');
                push_u64(out, u64::from(p));
            }
        };
        for c in self.sorted() {
            left(out, w, |o| endpoint(o, c.a, c.port_a));
            out.push_str(" <-> ");
            left(out, w, |o| endpoint(o, c.b, c.port_b));
            for (frames, bytes) in [
                (c.frames_ba, c.bytes_ba),
                (c.frames_ab, c.bytes_ab),
                (c.frames(), c.bytes()),
            ] {
                out.push_str("  ");
                right(out, 6, |o| push_u64(o, frames));
                out.push(' ');
                left(out, 9, |o| write_size(o, bytes));
            }
            let _ = writeln!(
                out,
                "  {:>14.9}   {:>12.4}",
                secs(c.start_ns),
                secs(c.stop_ns) - secs(c.start_ns),
            );
            if out.len() >= CHUNK {
                emit(out)?;
                out.clear();
            }
        }
        out.push_str(RULE);
        emit(out)
    }

    /// Writes the table as one JSON object, for scripts.
    pub fn write_json(&self, out: &mut String) {
        let ports = self.kind.has_ports();
        let convs: Vec<serde_json::Value> = self
            .sorted()
            .into_iter()
            .map(|c| {
                let mut o = serde_json::json!({
                    "a": c.a.plain(),
                    "b": c.b.plain(),
                    "frames_a_to_b": c.frames_ab,
                    "bytes_a_to_b": c.bytes_ab,
                    "frames_b_to_a": c.frames_ba,
                    "bytes_b_to_a": c.bytes_ba,
                    "frames": c.frames(),
                    "bytes": c.bytes(),
                    "rel_start": secs(c.start_ns),
                    "duration": secs(c.stop_ns) - secs(c.start_ns),
                });
                if let Address::Mac(_) = c.a {
                    o["a_resolved"] = c.a.text().into();
                    o["b_resolved"] = c.b.text().into();
                }
                if ports {
                    o["port_a"] = c.port_a.into();
                    o["port_b"] = c.port_b.into();
                    o["stream"] = c.stream.into();
                }
                o
            })
            .collect();
        let mut top = serde_json::json!({
            "type": self.kind.name(),
            "filter": self.filter,
            "conversations": convs,
        });
        if let Some(conns) = &self.conns {
            top["connections"] = conns.json();
            top["established"] = conns.established().into();
            top["streams"] = conns.len().into();
        }
        out.push_str(&serde_json::to_string_pretty(&top).unwrap_or_default());
        out.push('\n');
    }
}

/// Size of the pieces the tables are written in.
const CHUNK: usize = 64 * 1024;
/// Pieces of the connection table formatted ahead of the writer (4 MiB).
pub const AHEAD_CHUNKS: usize = 64;

const RULE: &str =
    "================================================================================\n";

/// Seconds as tshark computes them for these tables (`nstime_to_sec`).
fn secs(ns: i64) -> f64 {
    (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9
}

/// A byte count as tshark's `format_size` prints it in these tables:
/// `658 bytes`, then `12 kB`, `34 MB`... (SI prefixes, whole numbers, from
/// ten units up).
pub fn format_size(n: u64) -> String {
    let mut s = String::new();
    write_size(&mut s, n);
    s
}

/// Appends [`format_size`]'s text.
pub fn write_size(out: &mut String, n: u64) {
    const P: u64 = 1000;
    let (v, unit) = if n / P / P / P / P >= 10 {
        (n / P / P / P / P, " TB")
    } else if n / P / P / P >= 10 {
        (n / P / P / P, " GB")
    } else if n / P / P >= 10 {
        (n / P / P, " MB")
    } else if n / P >= 10 {
        (n / P, " kB")
    } else {
        (n, " bytes")
    };
    push_u64(out, v);
    out.push_str(unit);
}

/// The slot of a stream in a dense stream-indexed table (`u32::MAX`: none).
fn stream_slot(v: &mut Vec<u32>, stream: u32) -> &mut u32 {
    let i = stream as usize;
    if i >= v.len() {
        v.resize(i + 1, u32::MAX);
    }
    &mut v[i]
}

/// TCP flag bits.
const FIN: u16 = 0x01;
const SYN: u16 = 0x02;
const RST: u16 = 0x04;
const ACK: u16 = 0x10;

/// What became of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The server answered the SYN with a RST: nothing listens on the port.
    Refused,
    /// The handshake completed, then one side reset the connection.
    Reset {
        /// The client sent the RST.
        by_client: bool,
    },
    /// The handshake completed, then one side closed with a FIN.
    Closed {
        /// The client sent the first FIN.
        by_client: bool,
        /// Both sides sent a FIN.
        both: bool,
    },
    /// The handshake completed; no FIN or RST was seen.
    Open,
    /// A SYN went unanswered.
    NoAnswer,
    /// The capture does not show the whole handshake (it started later, or
    /// a segment was lost).
    NoHandshake,
}

impl Fate {
    /// A short English description.
    pub fn describe(self) -> &'static str {
        match self {
            Fate::Refused => "refused (RST answering the SYN)",
            Fate::Reset { by_client: true } => "reset by the client",
            Fate::Reset { by_client: false } => "reset by the server",
            Fate::Closed {
                by_client: true,
                both: true,
            } => "closed by FIN from the client, then the server",
            Fate::Closed {
                by_client: false,
                both: true,
            } => "closed by FIN from the server, then the client",
            Fate::Closed {
                by_client: true,
                both: false,
            } => "closed by FIN from the client (half-closed)",
            Fate::Closed {
                by_client: false,
                both: false,
            } => "closed by FIN from the server (half-closed)",
            Fate::Open => "established, close not seen",
            Fate::NoAnswer => "incomplete: SYN not answered",
            Fate::NoHandshake => "incomplete: handshake not seen",
        }
    }

    /// A one-word name for JSON.
    pub fn name(self) -> &'static str {
        match self {
            Fate::Refused => "refused",
            Fate::Reset { .. } => "reset",
            Fate::Closed { .. } => "closed",
            Fate::Open => "established",
            Fate::NoAnswer | Fate::NoHandshake => "incomplete",
        }
    }
}

/// One TCP stream as a connection. Side 0 is the source of the stream's
/// first frame.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `tcp.stream`.
    pub stream: u32,
    ends: [(Address, u16); 2],
    /// The side that sent the SYN (or received the SYN-ACK), if seen.
    client: Option<usize>,
    syn: [bool; 2],
    synack: [bool; 2],
    /// The client's ACK that completes the handshake.
    hs_ack: bool,
    fin: [bool; 2],
    /// First FIN or RST: (side, is_rst, established then).
    first_close: Option<(usize, bool, bool)>,
    /// RST from this side before the handshake completed.
    early_rst: [bool; 2],
    /// Payload bytes sent by each side.
    pub payload: [u64; 2],
}

impl Connection {
    /// True when the three-way handshake was seen: SYN, SYN-ACK, ACK.
    pub fn established(&self) -> bool {
        match self.client {
            Some(c) => self.syn[c] && self.synack[1 - c] && self.hs_ack,
            None => false,
        }
    }

    /// True when the client was identified by the handshake, false when it
    /// is a guess (the side with the higher port).
    pub fn client_known(&self) -> bool {
        self.client.is_some()
    }

    fn client_side(&self) -> usize {
        self.client.unwrap_or({
            // No SYN seen: guess the side with the higher (ephemeral) port.
            if self.ends[0].1 >= self.ends[1].1 {
                0
            } else {
                1
            }
        })
    }

    /// The client's address and port.
    pub fn client(&self) -> (Address, u16) {
        self.ends[self.client_side()]
    }

    /// The server's address and port.
    pub fn server(&self) -> (Address, u16) {
        self.ends[1 - self.client_side()]
    }

    /// What became of the connection.
    pub fn fate(&self) -> Fate {
        let c = self.client_side();
        if self.established() {
            return match self.first_close {
                Some((s, true, _)) => Fate::Reset { by_client: s == c },
                Some((s, false, _)) => Fate::Closed {
                    by_client: s == c,
                    both: self.fin[0] && self.fin[1],
                },
                None => Fate::Open,
            };
        }
        if self.client.is_some() && self.syn[c] {
            if self.early_rst[1 - c] && !self.synack[1 - c] {
                return Fate::Refused;
            }
            if !self.synack[1 - c] {
                return Fate::NoAnswer;
            }
        }
        Fate::NoHandshake
    }

    #[allow(clippy::too_many_arguments)]
    fn update(&mut self, s: usize, flags: u16, len: u32) {
        self.payload[s] += u64::from(len);
        if flags & SYN != 0 {
            if flags & ACK != 0 {
                self.synack[s] = true;
                self.client.get_or_insert(1 - s);
            } else {
                self.syn[s] = true;
                self.client.get_or_insert(s);
            }
        } else if flags & ACK != 0
            && flags & RST == 0
            && self.client == Some(s)
            && self.syn[s]
            && self.synack[1 - s]
        {
            self.hs_ack = true;
        }
        if flags & (FIN | RST) != 0 {
            let established = self.established();
            if flags & RST != 0 && !established {
                self.early_rst[s] = true;
            }
            if flags & FIN != 0 {
                self.fin[s] = true;
            }
            if self.first_close.is_none() && (established || flags & FIN != 0) {
                self.first_close = Some((s, flags & RST != 0, established));
            }
        }
    }
}

/// The TCP connections of a capture, one per stream.
#[derive(Debug, Default)]
pub struct Connections {
    /// Index in `conns` of each stream.
    index: Vec<u32>,
    conns: Vec<Connection>,
}

/// How an ephemeral client port is classified.
pub fn ephemeral_class(port: u16) -> Option<&'static str> {
    match port {
        49152..=65535 => Some("IANA"),
        // Linux's range is 32768-60999; its upper part is IANA's too.
        32768..=49151 => Some("Linux"),
        _ => None,
    }
}

impl Connections {
    /// Counts one TCP segment of `stream`.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        stream: u32,
        src: Address,
        sp: u16,
        dst: Address,
        dp: u16,
        flags: u16,
        len: u32,
    ) {
        let slot = stream_slot(&mut self.index, stream);
        if *slot == u32::MAX {
            *slot = self.conns.len() as u32;
            self.conns.push(Connection {
                stream,
                ends: [(src, sp), (dst, dp)],
                client: None,
                syn: [false; 2],
                synack: [false; 2],
                hs_ack: false,
                fin: [false; 2],
                first_close: None,
                early_rst: [false; 2],
                payload: [0; 2],
            });
        }
        let c = &mut self.conns[*slot as usize];
        let s = usize::from(c.ends[0] != (src, sp));
        c.update(s, flags, len);
    }

    /// The connections in stream order.
    pub fn iter(&self) -> impl Iterator<Item = &Connection> {
        self.conns.iter()
    }

    /// Number of streams.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True when no TCP stream was seen.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Number of connections whose three-way handshake was seen.
    pub fn established(&self) -> usize {
        self.conns.iter().filter(|c| c.established()).count()
    }

    /// The closing sentence: how many connections were established.
    pub fn summary(&self) -> String {
        let n = self.established();
        let m = self.len();
        format!(
            "{n} TCP connection{} established in this capture ({m} stream{} in all)",
            if n == 1 { "" } else { "s" },
            if m == 1 { "" } else { "s" }
        )
    }

    /// Writes the connection table and its closing sentence.
    pub fn write_text(&self, out: &mut String) {
        self.write_chunks(&mut |chunk| {
            out.push_str(&chunk);
            true
        });
    }

    /// Formats the connection table, handing `emit` pieces of about 64 KiB
    /// until it returns false.
    pub fn write_chunks(&self, emit: &mut dyn FnMut(String) -> bool) {
        let mut buf = String::with_capacity(CHUNK + 512);
        let out = &mut buf;
        out.push_str("TCP Connections\n");
        out.push_str("Client: the side that sent the SYN (guessed from the ports, marked ?, when no handshake was seen).\n");
        out.push_str("Ephemeral client ports: IANA's dynamic range 49152-65535 (Windows, macOS, BSD), or Linux's 32768-60999.\n");
        // The endpoints' text, formatted twice (once for the column widths)
        // rather than held for every connection.
        let client = |s: &mut String, c: &Connection| {
            s.clear();
            let (a, p) = c.client();
            let _ = write!(s, "{}", Endpoint(a, p));
            if !c.client_known() {
                s.push('?');
            }
        };
        let server = |s: &mut String, c: &Connection| {
            s.clear();
            let (a, p) = c.server();
            let _ = write!(s, "{}", Endpoint(a, p));
        };
        let (mut cs, mut ss) = (String::new(), String::new());
        let (mut cw, mut sw) = (6, 6);
        for c in &self.conns {
            client(&mut cs, c);
            server(&mut ss, c);
            cw = cw.max(cs.len());
            sw = sw.max(ss.len());
        }
        let _ = writeln!(
            out,
            "{:>6}  {:<cw$}  {:<9}  {:<sw$}  {:<14}  {:<9}  Fate",
            "Stream", "Client", "Ephemeral", "Server", "Service", "Handshake"
        );
        for c in &self.conns {
            client(&mut cs, c);
            server(&mut ss, c);
            let eph = ephemeral_class(c.client().1).unwrap_or("no");
            let service = sonde_dissect::ports::tcp_name(c.server().1).unwrap_or("-");
            let _ = writeln!(
                out,
                "{:>6}  {cs:<cw$}  {eph:<9}  {ss:<sw$}  {service:<14}  {:<9}  {}",
                c.stream,
                if c.established() { "yes" } else { "no" },
                c.fate().describe()
            );
            if out.len() >= CHUNK
                && !emit(std::mem::replace(out, String::with_capacity(CHUNK + 512)))
            {
                return;
            }
        }
        out.push_str(RULE);
        out.push_str(&self.summary());
        out.push('\n');
        emit(buf);
    }

    fn json(&self) -> serde_json::Value {
        self.conns
            .iter()
            .map(|c| {
                let (ca, cp) = c.client();
                let (sa, sp) = c.server();
                let fate = c.fate();
                serde_json::json!({
                    "stream": c.stream,
                    "client": ca.plain(),
                    "client_port": cp,
                    "client_known": c.client_known(),
                    "ephemeral": ephemeral_class(cp),
                    "server": sa.plain(),
                    "server_port": sp,
                    "service": sonde_dissect::ports::tcp_name(sp),
                    "established": c.established(),
                    "fate": fate.name(),
                    "fate_text": fate.describe(),
                    "client_bytes": c.payload[c.client_side()],
                    "server_bytes": c.payload[1 - c.client_side()],
                })
            })
            .collect()
    }
}

/// `addr:port`, IPv6 addresses in brackets.
struct Endpoint(Address, u16);

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Address::V6(_) => write!(f, "[{}]:{}", self.0.text(), self.1),
            _ => write!(f, "{}:{}", self.0.text(), self.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_tshark() {
        assert_eq!(format_size(0), "0 bytes");
        assert_eq!(format_size(9999), "9999 bytes");
        assert_eq!(format_size(10_000), "10 kB");
        assert_eq!(format_size(15_999), "15 kB");
        assert_eq!(format_size(10_000_000), "10 MB");
    }

    #[test]
    fn secs_split_like_nstime() {
        assert_eq!(format!("{:14.9}", secs(5_130_190_000)), "   5.130190000");
        assert_eq!(format!("{:12.4}", secs(0)), "      0.0000");
    }

    fn v4(n: u8) -> Address {
        Address::V4([10, 0, 0, n])
    }

    #[test]
    fn handshake_then_fin_is_established_and_closed() {
        let mut c = Connections::default();
        let (cl, sv) = (v4(1), v4(2));
        c.add(0, cl, 50000, sv, 80, SYN, 0);
        c.add(0, sv, 80, cl, 50000, SYN | ACK, 0);
        c.add(0, cl, 50000, sv, 80, ACK, 0);
        c.add(0, sv, 80, cl, 50000, FIN | ACK, 0);
        let k = c.iter().next().unwrap();
        assert!(k.established());
        assert_eq!(
            k.fate(),
            Fate::Closed {
                by_client: false,
                both: false
            }
        );
        assert_eq!(
            c.summary(),
            "1 TCP connection established in this capture (1 stream in all)"
        );
    }

    #[test]
    fn rst_to_syn_is_refused() {
        let mut c = Connections::default();
        let (cl, sv) = (v4(1), v4(2));
        c.add(0, cl, 40000, sv, 23, SYN, 0);
        c.add(0, sv, 23, cl, 40000, RST | ACK, 0);
        let k = c.iter().next().unwrap();
        assert!(!k.established());
        assert_eq!(k.fate(), Fate::Refused);
        assert_eq!(ephemeral_class(40000), Some("Linux"));
        assert_eq!(ephemeral_class(50000), Some("IANA"));
    }

    #[test]
    fn mid_stream_capture_guesses_the_client() {
        let mut c = Connections::default();
        let (cl, sv) = (v4(1), v4(2));
        c.add(0, sv, 443, cl, 51000, ACK, 100);
        let k = c.iter().next().unwrap();
        assert!(!k.client_known());
        assert_eq!(k.client(), (cl, 51000));
        assert_eq!(k.fate(), Fate::NoHandshake);
    }
}
