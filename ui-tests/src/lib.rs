//! The `#[server_timing]` ui suite (`tests/ui.rs`, cases in `ui/`): what compiles and runs,
//! and the one error each misuse gets. This library holds nothing.
