//! The names of the header fields the crate writes.

/// The `Server-Timing` header name.
///
/// ```
/// assert_eq!(server_timing_runtime::SERVER_TIMING, "server-timing");
/// ```
pub const SERVER_TIMING: http::HeaderName = http::HeaderName::from_static("server-timing");

/// The `Timing-Allow-Origin` header name.
///
/// ```
/// assert_eq!(server_timing_runtime::TIMING_ALLOW_ORIGIN, "timing-allow-origin");
/// ```
pub const TIMING_ALLOW_ORIGIN: http::HeaderName = http::HeaderName::from_static("timing-allow-origin");
