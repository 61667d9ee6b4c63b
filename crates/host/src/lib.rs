//! Host views.
