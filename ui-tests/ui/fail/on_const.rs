use server_timing_runtime::server_timing;

#[server_timing]
const DB: u8 = 1;

fn main() {
    let _ = DB;
}
