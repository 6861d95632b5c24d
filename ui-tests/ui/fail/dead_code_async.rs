#![deny(dead_code)]

use server_timing_runtime::server_timing;

#[server_timing]
async fn never_called() {}

fn main() {}
