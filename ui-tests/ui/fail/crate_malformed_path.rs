use server_timing_runtime::server_timing;

#[server_timing("db", crate = server_timing_runtime::)]
fn read() {}

fn main() {
    read();
}
