//! Any input as a `traceparent` string, and as a request's `traceparent` / `tracestate`
//! fields (split on `\n`, the first line the `traceparent`): no panic; what parses prints
//! back as its version `00` fields; the header written from it is valid, opens with the
//! `traceparent` entry, names the incoming trace only when the input was a valid
//! `traceparent`, and its `tracestate` entry (if any) reads back as a valid list.

#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use server_timing_runtime::{parse, Options, TraceParent, Timings};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(parsed) = text.parse::<TraceParent>() {
        assert_eq!(parsed.to_string(), format!("00{}", &text[2..55]));
    }

    let mut lines = data.split(|&b| b == b'\n');
    let mut request = HeaderMap::new();
    let incoming = lines.next().and_then(|line| {
        let value = HeaderValue::from_bytes(line).ok()?;
        request.append("traceparent", value);
        std::str::from_utf8(line).ok()?.trim_matches([' ', '\t']).parse::<TraceParent>().ok()
    });
    for line in lines {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            request.append("tracestate", value);
        }
    }
    let timings = Timings::for_request(Options::new().trace_context(true), &request);
    let parent = timings.trace_parent().expect("trace context is on");
    if let Some(incoming) = incoming {
        assert_eq!(parent.trace_id(), incoming.trace_id());
        assert_eq!(parent.sampled(), incoming.sampled());
    } else {
        assert!(timings.trace_state().is_none());
    }
    let value = timings.finish().expect("a header");
    let entries = parse(value.to_str().expect("visible ASCII"));
    assert_eq!(entries[0].name, "traceparent");
    let entry: TraceParent = entries[0].description.parse().expect("a valid traceparent");
    assert_eq!((entry.trace_id(), entry.parent_id()), (parent.trace_id(), parent.parent_id()));
    assert_eq!(entry.flags(), parent.flags() & 0x01, "the sampled flag alone");
    if let Some(state) = timings.trace_state() {
        assert_eq!(entries[1].name, "tracestate");
        assert_eq!(entries[1].description, state);
        assert!(state.len() <= 512 && !state.contains('\n'));
    }
});
