use server_timing_runtime::server_timing;

trait Db {
    #[server_timing]
    fn read(&self) -> u8;
}

struct Pg;

impl Db for Pg {
    fn read(&self) -> u8 {
        1
    }
}

fn main() {
    let _ = Pg.read();
}
