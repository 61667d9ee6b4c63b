//! Wireshark display filters: lex → parse → compile against the field registry →
//! evaluate on a [`sonde_dissect::Dissection`].
#![forbid(unsafe_code)]
