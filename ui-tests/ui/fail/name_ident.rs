use server_timing_runtime::server_timing;

#[server_timing(db)]
fn read() {}

fn main() {
    read();
}
