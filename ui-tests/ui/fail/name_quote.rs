use server_timing_runtime::server_timing;

#[server_timing("db\"read")]
fn read() {}

fn main() {
    read();
}
