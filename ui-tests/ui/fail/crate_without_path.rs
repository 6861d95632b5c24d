use server_timing_runtime::server_timing;

#[server_timing("db", crate = )]
fn read() {}

fn main() {
    read();
}
