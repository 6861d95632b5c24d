use server_timing_runtime::server_timing;

#[server_timing(name = "db")]
fn read() {}

fn main() {
    read();
}
