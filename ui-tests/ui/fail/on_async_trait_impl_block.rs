use async_trait::async_trait;
use server_timing_runtime::server_timing;

#[async_trait]
trait Repo {
    async fn load(&self) -> u32;
}

struct Pg;

// `#[server_timing]` goes on each method inside the `#[async_trait]` impl, not on the impl.
#[server_timing]
#[async_trait]
impl Repo for Pg {
    async fn load(&self) -> u32 {
        7
    }
}

fn main() {
    drop(Pg.load());
}
