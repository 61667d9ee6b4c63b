//! Statistics over many frames, with tshark's numbers and layouts:
//! protocol hierarchy (`-z io,phs`), endpoints (`-z endpoints,TYPE`) and
//! frames and bytes per time interval (`-z io,stat,INTERVAL`). Each table is
//! fed one dissection at a time (memory does not grow with the number of
//! frames, only with the number of protocols, endpoints or intervals) and
//! prints itself as tshark's text or as JSON.

pub mod endpoints;
pub mod io;
pub mod phs;

pub use endpoints::{EndpointKind, Endpoints};
pub use io::IoStat;
pub use phs::Phs;
