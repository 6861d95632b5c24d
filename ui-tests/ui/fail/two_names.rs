use server_timing_runtime::server_timing;

#[server_timing("db", "cache")]
fn read() {}

fn main() {
    read();
}
