use server_timing_runtime::server_timing;

#[server_timing("db", desc = "DB\r\nread")]
fn read() {}

fn main() {
    read();
}
