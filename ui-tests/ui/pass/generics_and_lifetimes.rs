//! Generic, lifetime-heavy signatures, where clauses, `impl Trait` in and out.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use server_timing_runtime::{server_timing, Timings};

#[server_timing]
fn longest<'a, 'b: 'a, T>(a: &'a [T], b: &'b [T]) -> &'a [T]
where
    T: Debug,
    [T]: Debug,
{
    if a.len() >= b.len() {
        a
    } else {
        b
    }
}

#[server_timing]
fn index<'m, K, V, const N: usize>(map: &'m HashMap<K, V>, keys: [&K; N]) -> [Option<&'m V>; N]
where
    K: Eq + Hash,
{
    keys.map(|k| map.get(k))
}

#[server_timing]
async fn first_word<'a>(text: &'a str, _unused: &'_ ()) -> &'a str {
    text.split(' ').next().unwrap_or_default()
}

#[server_timing]
async fn total<I>(items: I) -> u64
where
    I: IntoIterator<Item = u64> + Send,
    I::IntoIter: Send,
{
    items.into_iter().sum()
}

#[server_timing]
fn evens(limit: u32, filter: impl Fn(u32) -> bool) -> impl Iterator<Item = u32> {
    (0..limit).filter(move |n| n % 2 == 0 && filter(*n))
}

#[server_timing]
async fn joined(parts: impl IntoIterator<Item = impl AsRef<str>>) -> impl AsRef<str> + Debug {
    parts
        .into_iter()
        .map(|p| p.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join("-")
}

struct Wrapper<'w, T: ?Sized>(&'w T);

impl<'w, T: Debug + ?Sized> Wrapper<'w, T> {
    #[server_timing]
    fn get<'s>(&'s self) -> &'w T
    where
        'w: 's,
    {
        self.0
    }

    #[server_timing]
    async fn show(&self) -> String {
        format!("{:?}", self.0)
    }
}

fn main() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        assert_eq!(longest(&[1, 2], &[3]), &[1, 2]);
        let map = HashMap::from([(1, "one"), (2, "two")]);
        assert_eq!(index(&map, [&2, &3]), [Some(&"two"), None]);
        assert_eq!(first_word("hello world", &()).await, "hello");
        assert_eq!(total(vec![1, 2, 3]).await, 6);
        assert_eq!(evens(7, |n| n > 0).collect::<Vec<_>>(), [2, 4, 6]);
        assert_eq!(joined(["a", "b"]).await.as_ref(), "a-b");
        let text = String::from("text");
        let w = Wrapper(text.as_str());
        assert_eq!(w.get(), "text");
        assert_eq!(w.show().await, "\"text\"");
    }));
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(
        names,
        [
            "longest",
            "index",
            "first_word",
            "total",
            "evens",
            "joined",
            "get",
            "show"
        ]
    );
}
