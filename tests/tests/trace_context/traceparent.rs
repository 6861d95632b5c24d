//! `TraceParent` against the W3C trace-context rules for `traceparent`
//! (<https://www.w3.org/TR/trace-context/#traceparent-header>), and properties over arbitrary
//! input: what parses prints back the same (as version `00`), nothing panics, nothing invalid
//! is accepted.

use proptest::prelude::*;
use server_timing_runtime::{Options, Timings, TraceParent};

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn the_specifications_example_parses_into_its_fields() {
    let parent: TraceParent = VALID.parse().unwrap();
    assert_eq!(
        parent.trace_id(),
        [
            0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36
        ]
    );
    assert_eq!(
        parent.parent_id(),
        [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
    );
    assert_eq!(parent.flags(), 0x01);
    assert!(parent.sampled());
    assert_eq!(parent.to_string(), VALID);
    let unsampled: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
        .parse()
        .unwrap();
    assert!(!unsampled.sampled());
}

#[test]
fn every_flag_bit_is_kept_when_parsed() {
    let parent: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff"
        .parse()
        .unwrap();
    assert_eq!(parent.flags(), 0xff);
    assert!(parent.sampled());
}

/// The versioning rule: a higher version is read by its first fields, each followed by a
/// dash or the end of the value, and continued as version 00.
#[test]
fn a_higher_version_is_read_as_version_00() {
    for value in [
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
    ] {
        let parent: TraceParent = value.parse().unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(parent.to_string(), VALID, "{value:?}");
    }
}

#[test]
fn what_the_specification_rejects_is_rejected() {
    let invalid = [
        // version ff is forbidden outright
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        // a higher version: shorter than 55, or a field not followed by a dash or the end
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-012",
        // uppercase hex anywhere
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
        "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        // all-zero ids
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        // lengths
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "",
        // separators and characters
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\n",
        // a multi-byte character where a hex digit goes (55 bytes in all)
        "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01",
    ];
    for value in invalid {
        assert!(value.parse::<TraceParent>().is_err(), "{value:?} was accepted");
    }
}

#[test]
fn a_digit_of_each_field_is_accepted_only_as_lowercase_hex() {
    // Every ASCII byte, in each field: among them those just outside `0`-`9` and `a`-`f`
    // (`/`, `:`, `` ` ``, `g`), which a check by ranges could let through.
    for at in [1, 3, 36, 54] {
        for byte in 0..=0x7f_u8 {
            let mut value = VALID.as_bytes().to_vec();
            value[at] = byte;
            let value = String::from_utf8(value).unwrap();
            // Any lowercase hex digit, the version's too (`0x` is a higher version, read by
            // its first fields).
            let accepted = byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
            assert_eq!(value.parse::<TraceParent>().is_ok(), accepted, "{value:?}");
        }
    }
}

#[test]
fn errors_say_what_is_wrong() {
    let error = |value: &str| value.parse::<TraceParent>().unwrap_err().to_string();
    assert_eq!(
        error("00-ab"),
        "invalid traceparent: version 00 not 55 characters, or a later version shorter"
    );
    assert_eq!(
        error("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        "invalid traceparent: version ff is invalid"
    );
    assert_eq!(
        error("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
        "invalid traceparent: not lowercase hex"
    );
    assert_eq!(
        error("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        "invalid traceparent: an id is all zeros"
    );
}

#[test]
fn a_meta_tag_for_opentelemetry_js_document_load() {
    let timings = Timings::with_options(Options::new().trace_context(true));
    let parent = timings.trace_parent().unwrap();
    let tag = parent.meta_tag();
    assert_eq!(tag, format!("<meta name=\"traceparent\" content=\"{parent}\">"));
    let content = tag.split('"').nth(3).unwrap();
    assert_eq!(content.parse::<TraceParent>(), Ok(parent));
}

#[test]
fn the_header_value_for_outgoing_calls_is_the_printed_form() {
    let parent: TraceParent = VALID.parse().unwrap();
    assert_eq!(parent.to_header_value(), VALID);
}

fn lower_hex(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(b"0123456789abcdef".to_vec()), len)
        .prop_map(|digits| String::from_utf8(digits).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_ids_print_and_parse_back(trace in any::<[u8; 16]>(), parent in any::<[u8; 8]>(), flags in any::<u8>()) {
        match TraceParent::new(trace, parent, flags) {
            Some(made) => {
                let printed = made.to_string();
                prop_assert_eq!(printed.len(), 55);
                prop_assert_eq!(printed.parse::<TraceParent>(), Ok(made));
                prop_assert_eq!(made.trace_id(), trace);
                prop_assert_eq!(made.parent_id(), parent);
                prop_assert_eq!(made.flags(), flags);
            }
            None => prop_assert!(trace == [0; 16] || parent == [0; 8]),
        }
    }

    #[test]
    fn well_formed_lowercase_values_parse_and_print_back_exactly(
        trace in lower_hex(32), parent in lower_hex(16), flags in lower_hex(2),
    ) {
        let value = format!("00-{trace}-{parent}-{flags}");
        let zero = trace.bytes().all(|c| c == b'0') || parent.bytes().all(|c| c == b'0');
        match value.parse::<TraceParent>() {
            Ok(parsed) => {
                prop_assert!(!zero);
                prop_assert_eq!(parsed.to_string(), value);
            }
            Err(_) => prop_assert!(zero),
        }
    }

    #[test]
    fn any_input_is_rejected_or_printed_back_as_its_version_00_fields(value in "\\PC{0,70}") {
        if let Ok(parsed) = value.parse::<TraceParent>() {
            prop_assert_eq!(parsed.to_string(), format!("00{}", &value[2..55]));
        }
    }

    #[test]
    fn changing_one_character_of_a_valid_value_to_uppercase_or_junk_is_rejected(
        at in 0usize..55,
        junk in proptest::sample::select(b"ABCDEFGXYZ-_ +/.gz".to_vec()),
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        if bytes[at] == junk || (junk == b'-' && [2, 35, 52].contains(&at)) {
            return Ok(());
        }
        bytes[at] = junk;
        let value = String::from_utf8(bytes).unwrap();
        prop_assert!(value.parse::<TraceParent>().is_err(), "{:?}", value);
    }
}
