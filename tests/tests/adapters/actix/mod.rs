//! `actix::ServerTiming` end to end: the middleware, each builder option, one collector per
//! request, and the demo app.

mod collector_per_request;
mod demo;
mod middleware;
mod options;
