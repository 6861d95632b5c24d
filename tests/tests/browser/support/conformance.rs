//! The browser parsing suite (`tests/conformance/server-timing-parsing.json`, see its
//! README), as cases a browser can be served, and what a browser reads for them.

use std::sync::Arc;

use serde_json::Value;
use server_timing_runtime::ParsedMetric;

use super::fixed_fields::read_fixed;

const VECTORS: &str = include_str!("../../../conformance/server-timing-parsing.json");

/// How many cases the suite has.
pub const CASES: usize = 85;

/// One case: a `Server-Timing` field value and what a browser exposes for it.
#[derive(Debug)]
pub struct Case {
    pub header: String,
    /// What Chromium and `parse` read.
    pub expected: Vec<ParsedMetric>,
    /// For the cases with a `note`: what the suite's 2018 generator expected instead.
    pub wpt_expected: Option<Vec<ParsedMetric>>,
}

/// Every case of the suite, in its order.
pub fn cases() -> Vec<Case> {
    let cases: Value = serde_json::from_str(VECTORS).expect("the vectors file is JSON");
    let cases = cases.as_array().expect("the vectors file is an array of cases");
    assert_eq!(cases.len(), CASES, "the vectors file has {CASES} cases");
    cases
        .iter()
        .map(|case| Case {
            header: case["header"].as_str().expect("a case has a header").to_owned(),
            expected: metrics(&case["expected"]),
            wpt_expected: case.get("wpt_expected").map(metrics),
        })
        .collect()
}

fn metrics(list: &Value) -> Vec<ParsedMetric> {
    list.as_array()
        .expect("an expectation is an array")
        .iter()
        .map(|entry| ParsedMetric {
            name: entry["name"].as_str().expect("a name").to_owned(),
            duration: entry["duration"].as_f64().expect("a duration"),
            description: entry["description"].as_str().expect("a description").to_owned(),
        })
        .collect()
}

/// What `browser` (`dump_dom` gives a page's DOM once its report is written) reads for each
/// of `cases`, each served as a response's only `Server-Timing` field.
pub async fn read_cases<B: Send + 'static>(
    browser: B,
    dump_dom: fn(&B, &str) -> String,
    cases: &[Case],
) -> Vec<Vec<ParsedMetric>> {
    let responses: Vec<Vec<Vec<u8>>> = cases
        .iter()
        .map(|case| vec![case.header.as_bytes().to_vec()])
        .collect();
    read_fixed(browser, dump_dom, &Arc::new(responses)).await
}
