use std::future::Future;

use server_timing_runtime::server_timing;

#[server_timing]
fn count() -> impl Future<Output = u32> {
    async move { "three" }
}

fn main() {
    drop(count());
}
