//! Bounded waiting: every network wait, poll loop and runtime of the tests ends within a
//! deadline, failing the test instead of hanging it.

use std::future::Future;
use std::time::{Duration, Instant};

/// Every network wait of a test is bounded by this.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// `future`'s output; fails the test unless it finished within [`DEADLINE`].
pub async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .expect("finished within the deadline")
}

/// Poll `done` every few milliseconds until it is true or `limit` has passed; whether it
/// became true.
pub async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Run `future` on its own multi-thread runtime with two workers, bounded to 30 s.
pub fn run<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(30), future)
                .await
                .expect("the test finished within 30 s")
        })
}
