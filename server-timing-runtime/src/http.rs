//! Framework-free helpers for `http` types.
