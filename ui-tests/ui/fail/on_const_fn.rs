use server_timing_runtime::server_timing;

#[server_timing]
const fn read() -> u8 {
    1
}

const READ: u8 = read();

fn main() {
    let _ = READ;
}
