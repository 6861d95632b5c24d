//! The demo's in-memory cache, whose lookups say `hit` or `miss`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use server_timing_runtime::{describe, server_timing};

use super::db::Orders;

/// Cached orders, each kept for a while: reload the page within that time and the `cache`
/// entry says `hit` and `db` is gone from the breakdown.
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
#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    orders: Mutex<HashMap<String, (Instant, Orders)>>,
}

impl Cache {
    /// An empty cache whose entries live for `ttl`.
    ///
    /// ```
    /// let cache = server_timing_examples::demo::cache::Cache::new(std::time::Duration::from_secs(5));
    /// # let _ = cache;
    /// ```
    pub fn new(ttl: Duration) -> Self {
        Cache {
            ttl,
            orders: Mutex::new(HashMap::new()),
        }
    }

    /// The orders cached under `key`, if still fresh: recorded as `cache`, described `hit`
    /// or `miss`.
    ///
    /// ```
    /// let cache = server_timing_examples::demo::cache::Cache::new(std::time::Duration::ZERO);
    /// assert_eq!(cache.orders("today"), None);
    /// ```
    #[server_timing("cache")]
    pub fn orders(&self, key: &str) -> Option<Orders> {
        let found = self
            .orders
            .lock()
            // A panic elsewhere while holding the lock leaves the map usable.
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .filter(|(stored, _)| stored.elapsed() < self.ttl)
            .map(|&(_, orders)| orders);
        describe("cache", if found.is_some() { "hit" } else { "miss" });
        found
    }

    /// Cache `orders` under `key` from now.
    ///
    /// ```
    /// use server_timing_examples::demo::{cache::Cache, db::Orders};
    /// let cache = Cache::new(std::time::Duration::from_secs(5));
    /// cache.put_orders("today", Orders { open: 1, shipped: 2 });
    /// ```
    pub fn put_orders(&self, key: &str, orders: Orders) {
        self.orders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned(), (Instant::now(), orders));
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
        let cache = Cache::new(Duration::ZERO);
        cache.put_orders("k", Orders { open: 1, shipped: 2 });
        assert_eq!(lookup(&cache), (None, Some("miss".to_owned())));
    }
}
