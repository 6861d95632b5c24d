use server_timing_runtime::server_timing;

struct Db;

#[server_timing]
impl Db {
    fn read(&self) {}
}

fn main() {
    Db.read();
}
