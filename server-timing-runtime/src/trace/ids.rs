//! Fresh trace and span ids: random, never zero, and never repeated across requests,
//! threads or restarts.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// A new 16-byte trace id, not all zeros.
pub(crate) fn random_trace_id() -> [u8; 16] {
    let mut id = 0;
    while id == 0 {
        id = (u128::from(next_random()) << 64) | u128::from(next_random());
    }
    id.to_be_bytes()
}

/// A new 8-byte span id, not all zeros.
pub(crate) fn random_parent_id() -> [u8; 8] {
    let mut id = 0;
    while id == 0 {
        id = next_random();
    }
    id.to_be_bytes()
}

thread_local! {
    // SplitMix64 state, seeded per thread from the standard library's per-process random
    // hash keys: ids need not resist an attacker (they are sent to the client anyway), so no
    // OS call per request.
    static RANDOM: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let thread = std::thread::current().id();
    let now = std::time::SystemTime::now();
    RandomState::new().hash_one((thread, now))
}

/// The next value of this thread's SplitMix64 sequence (a full-period generator: no value
/// repeats within 2^64 draws).
fn next_random() -> u64 {
    let step = |state: u64| state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let state = RANDOM
        .try_with(|cell| {
            let next = step(cell.get());
            cell.set(next);
            next
        })
        // Thread-locals are being torn down: a one-off seed.
        .unwrap_or_else(|_| step(seed()));
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_not_zero_and_do_not_repeat() {
        let spans: HashSet<[u8; 8]> = (0..10_000).map(|_| random_parent_id()).collect();
        assert_eq!(spans.len(), 10_000);
        assert!(!spans.contains(&[0; 8]));
        let traces: HashSet<[u8; 16]> = (0..1_000).map(|_| random_trace_id()).collect();
        assert_eq!(traces.len(), 1_000);
    }

    #[test]
    fn threads_draw_different_ids() {
        let draw = || std::thread::spawn(|| (0..100).map(|_| random_parent_id()).collect::<Vec<_>>());
        let (a, b) = (draw(), draw());
        let a: HashSet<_> = a.join().expect("drawn").into_iter().collect();
        let b: HashSet<_> = b.join().expect("drawn").into_iter().collect();
        assert!(a.is_disjoint(&b));
    }
}
