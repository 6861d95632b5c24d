use server_timing_runtime::server_timing;

const DESC: &str = "DB read";

#[server_timing("db", desc = DESC)]
fn read() {}

fn main() {
    read();
}
