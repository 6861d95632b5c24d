use server_timing_runtime::server_timing;

#[server_timing("")]
fn read() {}

fn main() {
    read();
}
