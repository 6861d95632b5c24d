use server_timing_runtime::server_timing;

#[server_timing("db", desc)]
fn read() {}

fn main() {
    read();
}
