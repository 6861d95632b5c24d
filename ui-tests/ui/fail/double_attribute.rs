use server_timing_runtime::server_timing;

#[server_timing("db")]
#[server_timing("db_again")]
fn read() {}

fn main() {
    read();
}
