//! `crate = path`: the runtime reached through a module that re-exports it, as a framework
//! built on top of it would.

mod framework {
    pub mod timing {
        pub use ::server_timing_runtime as runtime;
    }
}

// No direct use of the runtime by name below: everything goes through the re-export.
use framework::timing::runtime::{server_timing, Timings};

#[server_timing("load", crate = framework::timing::runtime)]
async fn load() -> u32 {
    7
}

#[server_timing("parse", desc = "JSON", crate = crate::framework::timing::runtime)]
fn parse() -> u32 {
    1
}

mod nested {
    use super::framework::timing::runtime::server_timing;

    #[server_timing(crate = super::framework::timing::runtime)]
    pub fn inner() -> u32 {
        2
    }
}

fn main() {
    let timings = Timings::new();
    let total =
        futures::executor::block_on(timings.scope(async { load().await + parse() + nested::inner() }));
    assert_eq!(total, 10);
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(names, ["load", "parse", "inner"]);
}
