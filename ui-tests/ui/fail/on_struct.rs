use server_timing_runtime::server_timing;

#[server_timing]
struct Db;

fn main() {
    let _ = Db;
}
