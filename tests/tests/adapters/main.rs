//! The adapters over real sockets: actix-web's `ServerTiming` (and the demo app built on it),
//! the tower layer in front of axum and bare hyper with the `http` helper and trailers, and
//! the semantics both adapters share, each checked behind both.

mod actix;
mod semantics;
mod tower;
