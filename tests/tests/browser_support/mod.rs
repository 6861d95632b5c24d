//! The browser test harness: headless Chromium, the pages it loads, the servers it talks to,
//! and the header values it is fed.

pub mod chromium;
pub mod demo_probe;
pub mod exchanges;
pub mod header_values;
pub mod hostile;
pub mod probe;
pub mod recorded;
pub mod screenshot_page;
pub mod server;
