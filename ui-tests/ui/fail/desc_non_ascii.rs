use server_timing_runtime::server_timing;

#[server_timing("db", desc = "lecture de la base de données")]
fn read() {}

fn main() {
    read();
}
