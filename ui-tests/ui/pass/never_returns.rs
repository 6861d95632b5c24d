//! Fns returning `!`, sync and async: timed up to the panic that ends them.

use std::panic::{catch_unwind, AssertUnwindSafe};

use server_timing_runtime::{server_timing, Timings};

#[server_timing]
fn fail(reason: &str) -> ! {
    panic!("{reason}")
}

#[server_timing]
async fn fail_async(reason: &str) -> ! {
    async {}.await;
    panic!("{reason}")
}

#[server_timing]
fn spin(limit: u32) -> ! {
    let mut n = 0;
    loop {
        n += 1;
        if n == limit {
            fail("spun out");
        }
    }
}

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let timings = Timings::new();
    let first = catch_unwind(AssertUnwindSafe(|| timings.sync_scope(|| fail("sync"))));
    let second = catch_unwind(AssertUnwindSafe(|| {
        futures::executor::block_on(timings.scope(fail_async("async")))
    }));
    let third = catch_unwind(AssertUnwindSafe(|| timings.sync_scope(|| spin(3))));
    assert!(first.is_err() && second.is_err() && third.is_err());
    let metrics: Vec<_> = timings
        .metrics()
        .iter()
        .map(|m| (m.name().to_owned(), m.count(), m.panicked()))
        .collect();
    assert_eq!(
        metrics,
        [
            ("fail".to_owned(), 2, 2),
            ("fail_async".to_owned(), 1, 1),
            ("spin".to_owned(), 1, 1),
        ]
    );
}
