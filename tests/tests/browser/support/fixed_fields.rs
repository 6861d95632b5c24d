//! What a browser reads for header fields fixed in advance, served as they are.

use std::sync::Arc;

use server_timing_runtime::ParsedMetric;

use super::demo_probe::{in_browser, seen};
use super::probe::{Kind, read_report};
use super::server::{response_path, serve_header_fields};

/// What `browser` (`dump_dom` gives a page's DOM once its report is written) reads for each
/// of `responses`: the `serverTiming` entries of response `i`, whose `Server-Timing` fields
/// are `responses[i]`, in order.
pub async fn read_fixed<B: Send + 'static>(
    browser: B,
    dump_dom: fn(&B, &str) -> String,
    responses: &Arc<Vec<Vec<Vec<u8>>>>,
) -> Vec<Vec<ParsedMetric>> {
    let server = serve_header_fields(responses.clone());
    let url = server.url("/probe");
    let dom = in_browser(move || dump_dom(&browser, &url)).await;
    server.stop().await;
    let observed = read_report(&dom);
    (0..responses.len())
        .map(|i| {
            seen(&observed, 0, Kind::Resource, &response_path(i))
                .server_timing
                .clone()
        })
        .collect()
}
