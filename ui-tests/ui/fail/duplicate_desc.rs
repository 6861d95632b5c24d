use server_timing_runtime::server_timing;

#[server_timing("db", desc = "DB read", desc = "cache read")]
fn read() {}

fn main() {
    read();
}
