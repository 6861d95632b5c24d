use server_timing_runtime::server_timing;

#[server_timing]
async fn count() -> u32 {
    "three"
}

fn main() {
    drop(count());
}
