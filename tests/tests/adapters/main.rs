//! The adapters over real sockets: actix-web's `ServerTiming` (and the demo app built on it),
//! the tower layer in front of axum and bare hyper with the `http` adapter and trailers, and
//! the semantics both adapters share, each checked behind both, and every adapter over the
//! whole matrix of its options.

mod actix;
mod option_matrix;
mod semantics;
mod tower;
