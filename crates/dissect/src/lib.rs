//! Dissection.
