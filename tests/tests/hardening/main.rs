//! Hardening: faults (panics, clients that go away, timeouts), hostile input on the wire, a
//! header's size under a flood of names, thread teardown, load, and memory, counted by the
//! binary's global allocator.
//!
//! [`TrackingAllocator`] counts for the whole process: the tests that read its counts hold
//! `memory::exclusive()`, every other test here holds `memory::shared()` (or their `_blocking`
//! forms off a runtime), so none runs while a count is taken.

use server_timing_tests::memory::TrackingAllocator;

mod faults;
mod injection;
mod load;
mod memory;
mod size;
mod teardown;

#[global_allocator]
static ALLOCATOR: TrackingAllocator = TrackingAllocator;
