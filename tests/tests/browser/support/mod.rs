//! What several engines' tests share: headless Chromium (also the reference the other engines
//! are compared with), browsers run in process groups and one at a time, the pages every
//! engine loads, the servers they talk to, and the header values they are fed.

pub mod chromium;
pub mod conformance;
pub mod demo_probe;
pub mod exchanges;
pub mod fixed_fields;
pub mod header_values;
pub mod hostile;
pub mod probe;
pub mod process_group;
pub mod recorded;
pub mod sdk_bundle;
pub mod server;
pub mod toolkit_values;

use std::sync::{Mutex, MutexGuard};

/// Held while a browser runs, whatever its engine: the tests run in parallel threads, and
/// one browser at a time keeps a small machine usable and each browser's time limit fair.
pub fn one_browser_at_a_time() -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
