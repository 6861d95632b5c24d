//! `Self` and `self` inside timed bodies, nested closures and async blocks.

use server_timing_runtime::{server_timing, Timings};

#[derive(Clone, Debug, PartialEq)]
struct Counter {
    n: u32,
}

impl Counter {
    const STEP: u32 = 2;

    #[server_timing]
    fn new() -> Self {
        let make = || Self { n: Self::STEP };
        make()
    }

    #[server_timing]
    fn doubled(&self) -> Self {
        let double = |c: &Self| -> Self { Self { n: c.n * Self::STEP } };
        double(self)
    }

    #[server_timing]
    async fn bumped(mut self) -> Self {
        let bump = |s: &mut Self| s.n += Self::STEP;
        bump(&mut self);
        async move { Self { n: self.n + 1 } }.await
    }

    #[server_timing]
    fn sum(items: &[Self]) -> u32 {
        items
            .iter()
            .map(|c| c.n)
            .map(|n| Self { n })
            .map(|c: Self| c.n)
            .sum()
    }
}

trait Named {
    fn label() -> String;

    #[server_timing]
    fn describe(&self) -> String {
        let own = || Self::label();
        own()
    }
}

impl Named for Counter {
    #[server_timing]
    fn label() -> String {
        std::any::type_name::<Self>()
            .rsplit("::")
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

fn main() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        let c = Counter::new();
        assert_eq!(c, Counter { n: 2 });
        assert_eq!(c.doubled(), Counter { n: 4 });
        assert_eq!(c.clone().bumped().await, Counter { n: 5 });
        assert_eq!(Counter::sum(&[Counter { n: 1 }, Counter { n: 2 }]), 3);
        assert_eq!(c.describe(), "Counter");
    }));
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    // In the order the calls started: `describe` calls `label`.
    assert_eq!(names, ["new", "doubled", "bumped", "sum", "describe", "label"]);
}
