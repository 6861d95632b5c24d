use server_timing_runtime::server_timing;

#[server_timing]
fn count() -> u32 {
    "three"
}

fn main() {
    let _ = count();
}
