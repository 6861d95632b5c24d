//! `#[server_timing]`: every fn form it takes, every way out of a fn it times, the futures it
//! times from their first poll, the item it keeps as written, the lints its code passes, and
//! what it does outside any collector's scope.

mod exits;
mod forms;
mod future_returns;
// Public: `missing_docs`, denied inside it, checks the items reachable from outside.
pub mod keeps_item;
mod lint_clean;
mod outside_scope;
