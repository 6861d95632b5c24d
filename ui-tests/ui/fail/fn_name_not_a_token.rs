use server_timing_runtime::server_timing;

#[server_timing]
fn lecture_données() {}

fn main() {
    lecture_données();
}
