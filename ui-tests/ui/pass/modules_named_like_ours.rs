//! User items named like the runtime and its hidden module do not capture the generated paths.

#![allow(dead_code)]

mod server_timing_runtime {
    pub fn timed() {}
    pub mod __private {}
}

mod __private {
    pub fn guard() {}
    pub fn timed() {}
}

use self::__private::{guard, timed};
use ::server_timing_runtime::{server_timing, Timings};

#[server_timing]
fn sync_work() -> u32 {
    guard();
    1
}

#[server_timing]
async fn async_work() -> u32 {
    timed();
    self::server_timing_runtime::timed();
    2
}

fn main() {
    let timings = Timings::new();
    let total = futures::executor::block_on(timings.scope(async { sync_work() + async_work().await }));
    assert_eq!(total, 3);
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(names, ["sync_work", "async_work"]);
}
