//! What a request's header says, the same behind both adapters: order, overlap, caps, errors,
//! and blocking work.

mod blocking;
mod caps;
mod errors;
mod order;
mod overlap;
