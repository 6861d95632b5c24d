use server_timing_runtime::server_timing;

#[server_timing("db", desc = 42)]
fn read() {}

fn main() {
    read();
}
