//! The `Server-Timing` header: parsing as browsers do (the web-platform-tests suite), and
//! writing then parsing back whatever was recorded, hostile input included.

mod conformance;
mod properties;
mod round_trip;
