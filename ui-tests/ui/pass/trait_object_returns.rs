//! Bodies that return trait objects: the unsizing coercion still happens at the fn's return.

use std::fmt::Display;

use server_timing_runtime::{server_timing, Timings};

#[server_timing]
fn boxed(flag: bool) -> Box<dyn Display> {
    if flag {
        return Box::new(1);
    }
    Box::new("one")
}

#[server_timing]
async fn boxed_async(flag: bool) -> Box<dyn Display + Send> {
    if flag {
        return Box::new(2);
    }
    Box::new("two")
}

#[server_timing]
fn borrowed<'a>(items: &'a [u8]) -> &'a dyn std::fmt::Debug {
    &items[0]
}

#[server_timing]
async fn iter_of(items: &[u8]) -> Box<dyn Iterator<Item = u8> + '_> {
    Box::new(items.iter().copied())
}

fn main() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        assert_eq!(format!("{}{}", boxed(true), boxed(false)), "1one");
        assert_eq!(
            format!("{}{}", boxed_async(true).await, boxed_async(false).await),
            "2two"
        );
        assert_eq!(format!("{:?}", borrowed(&[9])), "9");
        assert_eq!(iter_of(&[1, 2]).await.sum::<u8>(), 3);
    }));
    let counts: Vec<_> = timings
        .metrics()
        .iter()
        .map(|m| (m.name().to_owned(), m.count()))
        .collect();
    assert_eq!(
        counts,
        [
            ("boxed".to_owned(), 2),
            ("boxed_async".to_owned(), 2),
            ("borrowed".to_owned(), 1),
            ("iter_of".to_owned(), 1),
        ]
    );
}
