//! Paired rounds: every variant runs one block per round, back to back, so that a change in
//! the machine's speed between rounds (a shared host moves by tens of percent) cancels out of
//! any figure taken within a round. Figures are medians over rounds.

use std::time::Instant;

/// ns per call of each variant (a fn running its work the given number of times), per round:
/// `rounds` rounds of one block of `block` calls per variant. The order within a round
/// rotates, so that no variant always runs right after the same other one.
pub fn rounds(runs: &[&dyn Fn(u64)], block: u64, rounds: usize) -> Vec<Vec<f64>> {
    (0..rounds)
        .map(|round| {
            let mut ns = vec![0.0; runs.len()];
            for offset in 0..runs.len() {
                let index = (round + offset) % runs.len();
                let started = Instant::now();
                runs[index](block);
                ns[index] = started.elapsed().as_secs_f64() * 1e9 / block as f64;
            }
            ns
        })
        .collect()
}

/// The median over rounds of `figure` of each round.
pub fn median(rounds: &[Vec<f64>], figure: impl Fn(&[f64]) -> f64) -> f64 {
    let mut values: Vec<f64> = rounds.iter().map(|round| figure(round)).collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
