//! Timing one of several variants in blocks interleaved with the others', so that all of them
//! see the same load from the rest of the machine (a shared build box otherwise skews one
//! variant against another by tens of percent).

use std::time::{Duration, Instant};

/// Calls per block.
pub const BLOCK: u64 = 64;

/// One variant: runs its work the given number of times.
pub type Run<'a> = Box<dyn Fn(u64) + 'a>;

/// Time `runs[measured]` over `iters` calls, in blocks of [`BLOCK`]; between two of its
/// blocks, every other variant runs a block untimed.
pub fn interleaved(runs: &[Run<'_>], measured: usize, iters: u64) -> Duration {
    let mut spent = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let count = left.min(BLOCK);
        for (index, run) in runs.iter().enumerate() {
            if index == measured {
                let started = Instant::now();
                run(count);
                spent += started.elapsed();
            } else {
                run(count);
            }
        }
        left -= count;
    }
    spent
}
