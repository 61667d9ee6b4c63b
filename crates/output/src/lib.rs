//! Consumers of a dissection: the summary line, the detail tree, the hex dump,
//! `-T fields`, JSON and `explain`. They only read the tree; none parses bytes.
#![forbid(unsafe_code)]

pub mod conv;
pub mod explain;
pub mod fields;
pub mod follow;
pub mod hex;
pub mod json;
pub mod stats;
pub mod summary;
pub mod tree;

pub use fields::{FieldsOptions, FieldsPrinter, Occurrence, Quote};
pub use summary::{SummaryOptions, TimeFormat};
