//! The demo's in-process cache (moka) in front of the order totals, whose lookups say `hit`
//! or `miss`.

use std::time::Duration;

use server_timing_runtime::{describe, server_timing};

use super::db::Orders;

/// Cached order totals, each kept for a while: reload the page within that time and the
/// `cache` entry says `hit` and `db` is gone from the breakdown.
///
/// ```
/// use std::time::Duration;
/// use server_timing_examples::demo::cache::Cache;
/// use server_timing_examples::demo::db::Orders;
///
/// let cache = Cache::new(Duration::from_secs(5));
/// assert_eq!(cache.orders("today"), None);
/// cache.put_orders("today", Orders { open: 1, shipped: 2 });
/// assert_eq!(cache.orders("today"), Some(Orders { open: 1, shipped: 2 }));
/// ```
#[derive(Clone, Debug)]
pub struct Cache {
    orders: moka::sync::Cache<String, Orders>,
}

/// Far more than the demo's one key: a bound, so that no key pattern can grow it without end.
const CAPACITY: u64 = 1_000;

impl Cache {
    /// An empty cache whose entries live for `ttl`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_examples::demo::{cache::Cache, db::Orders};
    ///
    /// // Long enough that the read right after the write finds the entry on a busy machine.
    /// let ttl = Duration::from_millis(500);
    /// let cache = Cache::new(ttl);
    /// assert_eq!(cache.orders("today"), None, "empty");
    /// cache.put_orders("today", Orders { open: 1, shipped: 2 });
    /// assert!(cache.orders("today").is_some());
    /// std::thread::sleep(ttl + Duration::from_millis(100));
    /// assert_eq!(cache.orders("today"), None, "past its time to live");
    /// ```
    pub fn new(ttl: Duration) -> Self {
        Cache {
            orders: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The order totals cached under `key`, if still fresh: recorded as `cache`, described
    /// `hit` or `miss`.
    ///
    /// ```
    /// let cache = server_timing_examples::demo::cache::Cache::new(std::time::Duration::from_secs(5));
    /// assert_eq!(cache.orders("today"), None);
    /// ```
    #[server_timing("cache")]
    pub fn orders(&self, key: &str) -> Option<Orders> {
        let found = self.orders.get(key);
        describe("cache", if found.is_some() { "hit" } else { "miss" });
        found
    }

    /// Cache `orders` under `key` from now.
    ///
    /// ```
    /// use server_timing_examples::demo::{cache::Cache, db::Orders};
    /// let cache = Cache::new(std::time::Duration::from_secs(5));
    /// cache.put_orders("today", Orders { open: 1, shipped: 2 });
    /// cache.put_orders("today", Orders { open: 3, shipped: 4 });
    /// assert_eq!(cache.orders("today"), Some(Orders { open: 3, shipped: 4 }), "the latest");
    /// ```
    pub fn put_orders(&self, key: &str, orders: Orders) {
        self.orders.insert(key.to_owned(), orders);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use server_timing_runtime::Timings;

    fn lookup(cache: &Cache) -> (Option<Orders>, Option<String>) {
        let timings = Timings::new();
        let found = timings.sync_scope(|| cache.orders("k"));
        let metrics = timings.metrics();
        assert_eq!(metrics.len(), 1);
        assert_eq!(metrics[0].name(), "cache");
        assert!(metrics[0].duration().is_some());
        (found, metrics[0].description().map(str::to_owned))
    }

    #[test]
    fn a_lookup_is_timed_and_says_hit_or_miss() {
        let cache = Cache::new(Duration::from_secs(3600));
        assert_eq!(lookup(&cache), (None, Some("miss".to_owned())));
        let orders = Orders { open: 1, shipped: 2 };
        cache.put_orders("k", orders);
        assert_eq!(lookup(&cache), (Some(orders), Some("hit".to_owned())));
    }

    #[test]
    fn stale_entries_are_misses() {
        let cache = Cache::new(Duration::from_millis(1));
        cache.put_orders("k", Orders { open: 1, shipped: 2 });
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(lookup(&cache), (None, Some("miss".to_owned())));
    }
}
