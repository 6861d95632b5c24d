use server_timing_runtime::server_timing;

#[server_timing("café")]
fn read() {}

fn main() {
    read();
}
