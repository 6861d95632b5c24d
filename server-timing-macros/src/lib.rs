//! The `#[server_timing]` attribute. Use it through `server_timing_runtime`, which re-exports it
//! and holds the collector it records into.
#![forbid(unsafe_code)]

mod args;
mod expand;

use proc_macro::TokenStream;

/// Time a fn into the current request's `Server-Timing` header.
///
/// ```
/// use server_timing_runtime::{server_timing, Timings};
///
/// #[server_timing]                              // named after the fn: `parse_body`
/// fn parse_body(raw: &str) -> usize { raw.len() }
///
/// #[server_timing("db", desc = "DB read")]      // a name and a description
/// async fn load_user(id: u64) -> Result<u64, std::io::Error> { Ok(id) }
///
/// # futures::executor::block_on(async {
/// let timings = Timings::new();
/// timings.scope(async {
///     parse_body("{}");
///     load_user(7).await.unwrap();
/// }).await;
/// let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(names, ["parse_body", "db"]);
/// # });
/// ```
///
/// # Forms
///
/// | attribute | metric |
/// |---|---|
/// | `#[server_timing]` | named after the fn (`r#` stripped) |
/// | `#[server_timing("db")]` | `db` |
/// | `#[server_timing("db", desc = "DB read")]` | `db;desc="DB read"` |
/// | `#[server_timing("db", crate = my::reexport)]` | generated code names `my::reexport::__private` instead of `::server_timing_runtime::__private` |
///
/// The name must be an HTTP token (ASCII letters, digits and ``!#$%&'*+-.^_`|~``, at most 64)
/// and the description printable ASCII (at most 256): both are checked at compile time. For
/// names or descriptions known only at run time use `server_timing_runtime::record`,
/// `describe` or `timer`, which sanitize them.
///
/// # What is timed
///
/// - A sync fn: from entry to every exit (`return`, `?`, the end of the body, and a panic
///   unwinding through it, which is marked `panicked`).
/// - An `async fn`, a fn whose body ends in `async move { .. }` or `Box::pin(async move { .. })`
///   (what `#[async_trait]` generates), and a fn returning `impl Future`: the future, from its
///   first poll to its completion, awaits included; not its construction. A future dropped
///   before it completes records the time so far, marked `cancelled`.
///
/// Works on free fns, methods (`self`, `&self`, `&mut self`), associated fns, trait default
/// methods and trait impls, generic and `unsafe` fns. Not on `const fn` (the clock is not
/// `const`) or on fns without a body. Outside a request's scope the fn costs one thread-local
/// read and reads no clock.
#[proc_macro_attribute]
pub fn server_timing(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::server_timing(args.into(), item.into()).into()
}
