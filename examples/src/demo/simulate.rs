//! Simulated latency for the demo's pretend backends.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wait `base_ms` plus up to `jitter_ms` milliseconds, as a remote call or a query would.
///
/// The jitter comes from the clock's sub-second digits: enough to make successive requests
/// look different, with no random-number dependency.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// server_timing_examples::demo::simulate::latency(1, 2).await;
/// # });
/// ```
pub async fn latency(base_ms: u64, jitter_ms: u64) {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let jitter = u64::from(nanos / 1000) % (jitter_ms * 1000 + 1);
    actix_web::rt::time::sleep(Duration::from_millis(base_ms) + Duration::from_micros(jitter)).await;
}
