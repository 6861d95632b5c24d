//! `#[server_timing]` on `#[async_trait]` methods: `#[async_trait]` on the trait or impl expands
//! first and leaves the method's attributes, in whatever order, on the fn it writes (whose
//! body ends in `Box::pin(async move { .. })`); the future is timed, not its construction.

use async_trait::async_trait;
use server_timing_runtime::{server_timing, Timings};

#[async_trait]
trait Repo {
    async fn load(&self, id: u32) -> u32;

    async fn store(&mut self, id: u32) -> Result<(), String>;

    /// A default method, timed where it is written.
    #[server_timing("repo_ping")]
    async fn ping(&self) -> bool {
        self.load(0).await == 0
    }
}

struct Pg {
    stored: Vec<u32>,
}

#[async_trait]
impl Repo for Pg {
    /// The attribute first, then other attributes.
    #[server_timing("pg_load", desc = "SELECT")]
    #[allow(clippy::unused_async)]
    #[inline]
    async fn load(&self, id: u32) -> u32 {
        id * 2
    }

    /// Other attributes first, then the attribute.
    #[inline]
    #[allow(clippy::unused_async)]
    #[server_timing("pg_store")]
    async fn store(&mut self, id: u32) -> Result<(), String> {
        if id == 0 {
            return Err("zero".to_owned());
        }
        self.stored.push(id);
        Ok(())
    }
}

fn main() {
    let timings = Timings::new();
    let mut pg = Pg { stored: Vec::new() };
    futures::executor::block_on(timings.scope(async {
        assert_eq!(pg.load(3).await, 6);
        assert!(pg.ping().await);
        assert_eq!(pg.store(0).await, Err("zero".to_owned()));
        pg.store(5).await.unwrap();
        // Built but never polled: nothing is timed.
        drop(pg.load(1));
    }));
    assert_eq!(pg.stored, [5]);
    let metrics: Vec<_> = timings
        .metrics()
        .iter()
        .map(|m| (m.name().to_owned(), m.count(), m.cancelled()))
        .collect();
    assert_eq!(
        metrics,
        [
            ("pg_load".to_owned(), 2, 0),
            ("repo_ping".to_owned(), 1, 0),
            ("pg_store".to_owned(), 2, 0),
        ]
    );
    let pg_load = &timings.metrics()[0];
    assert_eq!(pg_load.description(), Some("SELECT"));
}
