//! The detail tree (`-V`): one line per visible node, indented by depth, with
//! Wireshark's labels, generated items in brackets and expert items.

use sonde_dissect::display::write_label;
use sonde_dissect::tree::NodeId;
use sonde_dissect::Dissection;

fn write_node(out: &mut String, d: &Dissection, data: &[u8], id: NodeId, depth: usize) {
    let n = d.node(id);
    if n.is_hidden() {
        return;
    }
    let indent = "    ".repeat(depth);
    if n.expert != u32::MAX {
        let e = &d.experts[n.expert as usize];
        let msg = d.span_str(e.message);
        out.push_str(&indent);
        out.push_str(&format!(
            "[Expert Info ({}/{}): {msg}]\n",
            e.severity.name(),
            e.group.name()
        ));
        out.push_str(&format!("{indent}    [{msg}]\n"));
        out.push_str(&format!(
            "{indent}    [Severity level: {}]\n",
            e.severity.name()
        ));
        out.push_str(&format!("{indent}    [Group: {}]\n", e.group.name()));
        return;
    }
    out.push_str(&indent);
    let start = out.len();
    write_label(out, d, data, id);
    truncate_label(out, start);
    out.push('\n');
    for c in d.children(id) {
        write_node(out, d, data, c, depth + 1);
    }
}

/// Wireshark keeps labels under 240 bytes: a longer one is cut and marked.
fn truncate_label(out: &mut String, start: usize) {
    const MAX: usize = 240;
    const KEEP: usize = 226;
    if out.len() - start < MAX {
        return;
    }
    let mut cut = start + KEEP;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    let kept = out[start..cut].to_string();
    out.truncate(start);
    out.push_str(" [truncated]");
    out.push_str(&kept);
}

/// Writes the whole detail tree of a frame.
pub fn write_tree(out: &mut String, d: &Dissection, data: &[u8]) {
    for layer in d.layers() {
        write_node(out, d, data, layer, 0);
    }
}
