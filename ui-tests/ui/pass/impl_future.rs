//! Fns returning `impl Future`: the future's execution is timed, not its construction.

use std::future::Future;
use std::time::Duration;

use server_timing_runtime::{server_timing, Timings};

/// A body ending in an `async move` block.
#[server_timing]
fn tail_async(n: u32) -> impl Future<Output = u32> {
    let doubled = n * 2;
    async move { doubled + 1 }
}

/// A body that is not an `async` block, with an early `return`.
#[server_timing]
fn ready(n: u32) -> impl Future<Output = u32> + Send + 'static {
    if n == 0 {
        return futures::future::ready(0);
    }
    futures::future::ready(n)
}

/// A borrowing future.
#[server_timing]
fn borrowed<'a>(text: &'a str) -> impl Future<Output = usize> + 'a {
    async move { text.len() }
}

fn main() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        let a = tail_async(1);
        let b = ready(0);
        let c = ready(4);
        let d = borrowed("four");
        // Construction recorded nothing: only execution is timed.
        assert!(Timings::current().unwrap().metrics().is_empty());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(a.await, 3);
        assert_eq!(b.await + c.await, 4);
        assert_eq!(d.await, 4);
    }));
    let metrics = timings.metrics();
    let names: Vec<_> = metrics.iter().map(|m| (m.name(), m.count())).collect();
    assert_eq!(names, [("tail_async", 1), ("ready", 2), ("borrowed", 1)]);
    for metric in &metrics {
        // The 20 ms sleep happened between construction and the first poll.
        assert!(
            metric.duration().unwrap() < Duration::from_millis(20),
            "{metric:?}"
        );
    }
}
