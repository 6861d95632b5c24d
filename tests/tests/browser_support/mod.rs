//! The browser test harness: headless Chromium, the pages every engine loads, the servers
//! they talk to, and the header values they are fed.

pub mod chromium;
pub mod conformance;
pub mod demo_probe;
pub mod exchanges;
pub mod fixed_fields;
pub mod header_values;
pub mod hostile;
pub mod probe;
pub mod recorded;
pub mod screenshot_page;
pub mod server;
pub mod toolkit_values;
