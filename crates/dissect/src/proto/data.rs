//! Data: bytes no dissector claimed.

use super::Ctx;
use crate::field_table;
use crate::registry::{FieldDef, Kind};
use crate::tree::{NodeId, Value};

static DATA: FieldDef = FieldDef::new("data", "Data", Kind::Protocol)
    .blurb("Bytes that no sonde dissector decodes (an unknown protocol or payload).");
static DATA_DATA: FieldDef = FieldDef::new("data.data", "Data", Kind::Bytes);
static DATA_LEN: FieldDef = FieldDef::new("data.len", "Length", Kind::U32);
field_table!(FIELDS = [DATA, DATA_DATA, DATA_LEN]);

/// Shows `off..end` as undecoded data.
pub fn dissect(cx: &mut Ctx<'_>, parent: NodeId, off: usize, end: usize) -> usize {
    let end = end.min(cx.data.len());
    if off >= end {
        return 0;
    }
    let len = end - off;
    let _ = parent;
    let top = cx.d.add(crate::tree::ROOT, &DATA, off, len, Value::None);
    cx.d.set_label(top, format_args!("Data ({len} bytes)"));
    cx.d.push_protocol("data");
    let n = cx.d.add(top, &DATA_DATA, off, len, Value::Bytes);
    if cx.d.want_labels {
        let preview: String = cx.data[off..end.min(off + 24)]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let more = if len > 24 { "…" } else { "" };
        cx.d.set_label(n, format_args!("Data: {preview}{more}"));
    }
    let n = cx.d.add(top, &DATA_LEN, 0, 0, Value::U(len as u64));
    cx.d.set_generated(n);
    if cx.d.cols.protocol.is_empty() {
        cx.d.cols.protocol = "DATA";
    }
    len
}
