use server_timing_runtime::server_timing;

#[server_timing]
enum Db {
    Read,
}

fn main() {
    let _ = Db::Read;
}
