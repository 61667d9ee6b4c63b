//! Protocol hierarchy statistics, like `tshark -q -z io,phs`: for each chain
//! of top-level protocols (eth → ip → tcp ...), how many frames and bytes.

use sonde_dissect::Dissection;
use std::fmt::Write as _;

#[derive(Debug, Clone)]
struct Level {
    name: &'static str,
    frames: u64,
    bytes: u64,
    children: Vec<usize>,
}

/// The protocol hierarchy of the frames added so far.
#[derive(Debug, Clone, Default)]
pub struct Phs {
    levels: Vec<Level>,
    roots: Vec<usize>,
}

impl Phs {
    /// An empty hierarchy.
    pub fn new() -> Phs {
        Phs::default()
    }

    /// Counts one frame: every top-level layer but the Frame pseudo-protocol,
    /// each under the one before it, up to ICMP; bytes are the frame's length
    /// on the wire.
    pub fn add(&mut self, d: &Dissection) {
        let bytes = u64::from(d.frame.orig_len);
        let mut parent: Option<usize> = None;
        for id in d.layers() {
            let def = d.node(id).def;
            if def.abbrev == "frame" {
                continue;
            }
            let siblings = match parent {
                Some(p) => &self.levels[p].children,
                None => &self.roots,
            };
            let found = siblings
                .iter()
                .copied()
                .find(|&i| self.levels[i].name == def.abbrev);
            let i = match found {
                Some(i) => i,
                None => {
                    let i = self.levels.len();
                    self.levels.push(Level {
                        name: def.abbrev,
                        frames: 0,
                        bytes: 0,
                        children: Vec::new(),
                    });
                    match parent {
                        Some(p) => self.levels[p].children.push(i),
                        None => self.roots.push(i),
                    }
                    i
                }
            };
            self.levels[i].frames += 1;
            self.levels[i].bytes += bytes;
            parent = Some(i);
            // What follows ICMP (echo data, a quoted packet) is inside the
            // ICMP layer in Wireshark's tree, not a layer of its own.
            if matches!(def.abbrev, "icmp" | "icmpv6") {
                break;
            }
        }
    }

    /// tshark's text layout; `filter` is shown on the Filter: line.
    pub fn write_text(&self, out: &mut String, filter: Option<&str>) {
        out.push('\n');
        out.push_str(&"=".repeat(67));
        out.push_str("\nProtocol Hierarchy Statistics\n");
        let _ = write!(out, "Filter: {}\n\n", filter.unwrap_or(""));
        self.write_level(out, &self.roots, 0);
        out.push_str(&"=".repeat(67));
        out.push('\n');
    }

    fn write_level(&self, out: &mut String, ids: &[usize], depth: usize) {
        for &i in ids {
            let l = &self.levels[i];
            let mut name = String::new();
            for k in 0..depth {
                if k > 15 {
                    name.push_str("...");
                    break;
                }
                name.push_str("  ");
            }
            name.push_str(l.name);
            let _ = writeln!(out, "{name:<40} frames:{} bytes:{}", l.frames, l.bytes);
            self.write_level(out, &l.children, depth + 1);
        }
    }

    /// The hierarchy as JSON: `{"filter", "protocols": [{"protocol", "frames",
    /// "bytes", "children": [...]}]}`.
    pub fn to_json(&self, filter: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "filter": filter,
            "protocols": self.json_level(&self.roots),
        })
    }

    fn json_level(&self, ids: &[usize]) -> serde_json::Value {
        ids.iter()
            .map(|&i| {
                let l = &self.levels[i];
                serde_json::json!({
                    "protocol": l.name,
                    "frames": l.frames,
                    "bytes": l.bytes,
                    "children": self.json_level(&l.children),
                })
            })
            .collect()
    }
}
