//! Re-recording downstream services' metrics.
