use async_trait::async_trait;
use server_timing_runtime::server_timing;

#[async_trait]
trait Repo {
    async fn load(&self) -> u32;
}

struct Pg;

// `#[async_trait]` expands first and keeps `#[server_timing]` on the impl, which it rejects.
#[async_trait]
#[server_timing]
impl Repo for Pg {
    async fn load(&self) -> u32 {
        7
    }
}

fn main() {
    drop(Pg.load());
}
