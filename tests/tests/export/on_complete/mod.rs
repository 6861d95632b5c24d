//! `on_complete` and `send_when`: under actix-web, the tower layer and the `http` adapter, under
//! load, and with a hook that panics.

mod actix_middleware;
mod http_adapter;
mod load;
mod panicking_hook;
mod tower_layer;
