use server_timing_runtime::server_timing;

unsafe extern "C" {
    #[server_timing]
    fn abs(input: i32) -> i32;
}

fn main() {
    let _ = unsafe { abs(-1) };
}
