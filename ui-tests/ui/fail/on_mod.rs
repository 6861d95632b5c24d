use server_timing_runtime::server_timing;

#[server_timing]
mod db {
    pub fn read() {}
}

fn main() {
    db::read();
}
