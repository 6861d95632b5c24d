//! Criterion settings for benches re-run several times on a shared machine.

use std::time::Duration;

use criterion::Criterion;

/// One second of warm-up and three of measurement: short enough to re-run several times on a
/// shared machine, while the baselines in each group are measured under the same load as what
/// they are compared with.
pub fn short_runs() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}
