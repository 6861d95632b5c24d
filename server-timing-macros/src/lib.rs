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
/// let timings = Timings::new();                 // middleware does this per request
/// timings.scope(async {
///     parse_body("{}");
///     load_user(7).await.unwrap();
/// }).await;
/// let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(names, ["parse_body", "db"]);
/// # });
/// ```
///
/// # Arguments
///
/// | attribute | metric |
/// |---|---|
/// | `#[server_timing]` | named after the fn, `r#` stripped: `fn r#match` is `match` |
/// | `#[server_timing("db")]` | `db` |
/// | `#[server_timing("db", desc = "DB read")]` | `db;desc="DB read"` |
/// | `#[server_timing("db", crate = path)]` | `db`, with the runtime reached through `path` |
///
/// All arguments are optional; the name, when given, comes first; each key is set at most
/// once; a trailing comma is fine.
///
/// - **name**: a string literal that is an HTTP token (ASCII letters, digits and
///   ``!#$%&'*+-.^_`|~``), at most 64 characters. Browsers show it in DevTools and in
///   `PerformanceServerTiming.name`. Without it, the fn's name is used, which must be a token
///   too (a non-ASCII identifier is not).
/// - **`desc = "..."`**: a string literal of printable ASCII, at most 256 characters, written
///   as a token or a quoted-string with `"` and `\` escaped.
/// - **`crate = path`**: the path generated code uses instead of `::server_timing_runtime`,
///   for a crate or module that re-exports the runtime.
///
/// Both are checked at compile time, and the error points at the offending token. For names
/// or descriptions known only at run time use `server_timing_runtime::record`, `describe` or
/// `timer(..).description(..)`, which sanitize them.
///
/// ```
/// use server_timing_runtime::{server_timing, Timings};
///
/// #[server_timing]
/// fn r#match() {}
///
/// #[server_timing("cache.read", desc = r#"hit "hot" shard"#)]
/// fn read_cache() {}
///
/// mod framework {
///     // A framework built on the runtime re-exports it; its users need not depend on it.
///     pub use server_timing_runtime as timing;
/// }
///
/// #[server_timing("render", crate = framework::timing)]
/// fn render() {}
///
/// let timings = Timings::new();
/// timings.sync_scope(|| { r#match(); read_cache(); render(); });
/// let metrics = timings.metrics();
/// assert_eq!(metrics[0].name(), "match");
/// assert_eq!(metrics[1].description(), Some(r#"hit "hot" shard"#));
/// assert_eq!(metrics[2].name(), "render");
/// ```
///
/// # Forms
///
/// Any fn with a body: free fns, methods taking `self`, `&self` or `&mut self`, associated
/// fns, trait default methods and trait impls, generic fns with lifetimes and where clauses,
/// `impl Trait` arguments and returns, `unsafe fn`, recursive fns and fns returning `!`. The
/// fn keeps its attributes, doc comments, visibility and signature; only the body is
/// wrapped, so `Self`, `?`, `return` and closures mean what they meant.
///
/// ```
/// use server_timing_runtime::{server_timing, Timings};
///
/// struct Repo { rows: Vec<u32> }
///
/// impl Repo {
///     #[server_timing]
///     fn new() -> Self { Self { rows: vec![1, 2] } }
///
///     #[server_timing("repo_push")]
///     fn push(&mut self, row: u32) { self.rows.push(row) }
///
///     #[server_timing]
///     async fn find<'a, F>(&'a self, keep: F) -> Option<&'a u32>
///     where
///         F: Fn(&u32) -> bool,
///     {
///         self.rows.iter().find(|r| keep(r))
///     }
/// }
///
/// trait Render {
///     #[server_timing]                          // a default method
///     fn render(&self) -> String { "default".to_owned() }
/// }
///
/// impl Render for Repo {}
///
/// # futures::executor::block_on(async {
/// let timings = Timings::new();
/// timings.scope(async {
///     let mut repo = Repo::new();
///     repo.push(3);
///     assert_eq!(repo.find(|r| *r > 2).await, Some(&3));
///     assert_eq!(repo.render(), "default");
/// }).await;
/// let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(names, ["new", "repo_push", "find", "render"]);
/// # });
/// ```
///
/// # Futures: `async fn`, `#[async_trait]`, `impl Future`
///
/// An `async fn`, a fn whose body ends in `async move { .. }` or `Box::pin(async move { .. })`
/// (what `#[async_trait]` writes; put `#[server_timing]` on the method, in any order among
/// its other attributes), and a fn returning `impl Future` are timed while the future runs:
/// from its first poll to its completion, awaits included. Building the future is not timed,
/// nor the wait before it is first polled.
///
/// ```
/// use std::future::Future;
/// use async_trait::async_trait;
/// use server_timing_runtime::{server_timing, Timings};
///
/// #[async_trait]
/// trait Store {
///     async fn get(&self, key: u32) -> Option<u32>;
/// }
///
/// struct Memory;
///
/// #[async_trait]
/// impl Store for Memory {
///     #[server_timing("store_get")]
///     async fn get(&self, key: u32) -> Option<u32> { Some(key) }
/// }
///
/// #[server_timing]
/// fn fetch(url: &str) -> impl Future<Output = usize> + '_ {
///     // Runs when `fetch` is called, untimed; the block below is timed when awaited.
///     let url = url.trim();
///     async move { url.len() }
/// }
///
/// # futures::executor::block_on(async {
/// let timings = Timings::new();
/// timings.scope(async {
///     let later = fetch(" /users ");
///     assert_eq!(Memory.get(1).await, Some(1));
///     assert_eq!(later.await, 6);
/// }).await;
/// let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(names, ["store_get", "fetch"]);
/// # });
/// ```
///
/// # Every exit
///
/// A sync fn is timed from entry to every exit: `return`, `?`, the end of the body, and a
/// panic unwinding through it (counted in `Metric::panicked`). A future is timed to its
/// completion, to a panic in a poll (`panicked`) or, if it is dropped before it completes
/// (a timeout, a client that went away), to its drop (`Metric::cancelled`).
///
/// A fn whose return type is a `Result` (`Result<T, E>`, `io::Result<T>`, an alias named
/// `...Result`; for a future, its output) that returns an `Err(_)` is counted in
/// `Metric::failed` and marked `failed` in the description, in every form. The value is
/// returned as the body made it; other return types cost nothing more. (A sync fn with such
/// a return type runs its body as a closure called at once, so that the value can be seen.)
///
/// ```
/// use server_timing_runtime::{server_timing, Timings};
///
/// #[server_timing]
/// fn parse(raw: &str) -> Result<u32, std::num::ParseIntError> {
///     if raw.is_empty() {
///         return Ok(0);
///     }
///     let n = raw.parse()?;
///     Ok(n)
/// }
///
/// #[server_timing]
/// async fn pending() { std::future::pending::<()>().await }
///
/// # futures::executor::block_on(async {
/// let timings = Timings::new();
/// timings.scope(async {
///     let _ = (parse(""), parse("x"), parse("7"));
///     // Polled once, then dropped when the ready future wins: cancelled, still recorded.
///     let raced = futures::future::select(Box::pin(pending()), std::future::ready(())).await;
///     drop(raced);
/// }).await;
/// let metrics = timings.metrics();
/// assert_eq!((metrics[0].name(), metrics[0].count()), ("parse", 3));
/// assert_eq!(metrics[0].failed(), 1); // `parse("x")`
/// assert_eq!((metrics[1].name(), metrics[1].cancelled()), ("pending", 1));
/// # });
/// ```
///
/// Outside a collector's scope (see `Timings::scope` and `Timings::sync_scope`) the fn runs
/// as written, records nothing and reads no clock: one thread-local read per call.
///
/// # Compile errors
///
/// Each misuse gets one error, on the offending token; the item is still emitted as written,
/// so no second error follows from it.
///
/// ```compile_fail
/// # use server_timing_runtime::server_timing;
/// #[server_timing("db read")]                   // a space is not allowed in a name
/// fn read() {}
/// ```
///
/// ```compile_fail
/// # use server_timing_runtime::server_timing;
/// #[server_timing("db", desc = "caf\u{e9}")]    // non-ASCII: use `describe` at run time
/// fn read() {}
/// ```
///
/// ```compile_fail
/// # use server_timing_runtime::server_timing;
/// #[server_timing("db", description = "x")]     // unknown key: `desc` or `crate`
/// fn read() {}
/// ```
///
/// ```compile_fail
/// # use server_timing_runtime::server_timing;
/// #[server_timing]                              // a fn only
/// struct Db;
/// ```
///
/// ```compile_fail
/// # use server_timing_runtime::server_timing;
/// #[server_timing("db")]
/// #[server_timing("db_again")]                  // one timer per fn
/// fn read() {}
/// ```
///
/// ```compile_fail
/// # use server_timing_runtime::server_timing;
/// #[server_timing]                              // the clock is not `const`
/// const fn answer() -> u32 { 42 }
/// ```
///
/// ```compile_fail
/// # use server_timing_runtime::server_timing;
/// trait Db {
///     #[server_timing]                          // no body to time: put it on the impls
///     fn read(&self);
/// }
/// ```
#[proc_macro_attribute]
pub fn server_timing(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::server_timing(args.into(), item.into()).into()
}
