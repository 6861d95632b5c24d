//! The W3C trace-context `tracestate` value: read with the specification's rules, so that a
//! broken one is never passed on.

/// The most `tracestate` members the specification allows.
const MAX_MEMBERS: usize = 32;

/// The longest `tracestate` passed on: the length the specification requires vendors to
/// propagate, and what fits a header budget next to the metrics.
pub(crate) const MAX_TRACESTATE_LEN: usize = 512;

/// A `tracestate` from its header fields (combined as one comma-separated list, as the
/// specification says), if it has at most 32 members, every one valid, and is at most
/// [`MAX_TRACESTATE_LEN`] long: otherwise `None`, so a broken value is never passed on. A key
/// that repeats keeps the value whole (the specification lets a vendor pass both on). Empty
/// members and the blanks around members are dropped; `None` also when nothing is left.
pub(crate) fn trace_state<'a>(fields: impl Iterator<Item = &'a [u8]>) -> Option<Box<str>> {
    // Sized to the fields, so that a value that needs no trimming is allocated once.
    let mut out = Vec::new();
    let mut members = 0;
    for field in fields {
        if field.len() > MAX_TRACESTATE_LEN * 2 {
            return None;
        }
        // Room for the field and the comma that joins it to the last one.
        out.reserve_exact(field.len() + usize::from(!out.is_empty()));
        for member in field.split(|&c| c == b',') {
            let member = trim(member);
            if member.is_empty() {
                continue;
            }
            if !is_list_member(member) || members == MAX_MEMBERS {
                return None;
            }
            members += 1;
            if !out.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(member);
            if out.len() > MAX_TRACESTATE_LEN {
                return None;
            }
        }
    }
    if out.is_empty() {
        return None;
    }
    // Printable ASCII only, checked member by member.
    String::from_utf8(out).ok().map(String::into_boxed_str)
}

/// `value` without leading and trailing spaces and tabs (the specification's `OWS`).
pub(crate) fn trim(value: &[u8]) -> &[u8] {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = value.iter().position(|c| !blank(c)).unwrap_or(value.len());
    let end = value.iter().rposition(|c| !blank(c)).map_or(start, |end| end + 1);
    &value[start..end]
}

/// Whether `member` is a valid `key=value` list member, by the current grammar: the key one
/// to 256 of `a-z 0-9 _ - * / @`, starting with a letter or digit; the value one to 256
/// printable ASCII characters but `,` and `=`, not ending in a space.
fn is_list_member(member: &[u8]) -> bool {
    let Some(equals) = member.iter().position(|&c| c == b'=') else {
        return false;
    };
    let (key, value) = (&member[..equals], &member[equals + 1..]);
    let key_valid = (1..=256).contains(&key.len())
        && matches!(key[0], b'a'..=b'z' | b'0'..=b'9')
        && key.iter().all(|&c| CLASS[usize::from(c)] & KEY_CHAR != 0);
    let value_valid = (1..=256).contains(&value.len())
        && value.last() != Some(&b' ')
        && value.iter().all(|&c| CLASS[usize::from(c)] & VALUE_CHAR != 0);
    key_valid && value_valid
}

/// Marks the bytes a `tracestate` key may have in [`CLASS`].
const KEY_CHAR: u8 = 0x01;
/// Marks the bytes a `tracestate` value may have in [`CLASS`].
const VALUE_CHAR: u8 = 0x02;

/// What each byte may be in a `tracestate` member.
const CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut c = b' ';
    while c <= b'~' {
        if c != b',' && c != b'=' {
            table[c as usize] |= VALUE_CHAR;
        }
        if matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/' | b'@') {
            table[c as usize] |= KEY_CHAR;
        }
        c += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn state(fields: &[&str]) -> Option<String> {
        trace_state(fields.iter().map(|f| f.as_bytes())).map(String::from)
    }

    #[test]
    fn members_and_fields_are_read_as_one_list() {
        assert_eq!(
            state(&["congo=t61rcWkgMzE"]).as_deref(),
            Some("congo=t61rcWkgMzE")
        );
        assert_eq!(
            state(&["rojo=00f067aa0ba902b7, congo=t61rcWkgMzE", "t@vendor=x"]).as_deref(),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,t@vendor=x")
        );
        assert_eq!(state(&[" , a=1 ,, "]).as_deref(), Some("a=1"));
        assert_eq!(
            state(&[r#"a="quoted" \ too"#]).as_deref(),
            Some(r#"a="quoted" \ too"#)
        );
        assert_eq!(state(&[""]), None);
    }

    /// `key = ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" )`.
    #[test]
    fn keys_follow_the_current_grammar() {
        let long_tenant = format!("{}@v", "t".repeat(242));
        let longest = "k".repeat(256);
        for key in [
            "foo@",
            "foo@@bar",
            long_tenant.as_str(),
            "t@vendor-too-long-for-the-old-grammar",
            "1a",
            "0",
            "t*/_-@v9",
            "t@v@w",
            longest.as_str(),
        ] {
            let member = format!("{key}=1");
            assert_eq!(state(&[&member]).as_deref(), Some(member.as_str()), "{key:?}");
        }
        let too_long = "k".repeat(257);
        for key in [
            "@foo",
            "_a",
            "*a",
            "Upper",
            "t@Vendor",
            "a b",
            "t@v/x\u{7f}",
            "",
            too_long.as_str(),
        ] {
            assert_eq!(state(&[&format!("{key}=1")]), None, "{key:?}");
        }
    }

    #[test]
    fn values_are_printable_ascii_but_comma_and_equals() {
        for bad in ["a", "a=", "a=x=y", "a=caf\u{e9}", "a=\n", "a=1\u{1}"] {
            assert_eq!(state(&[bad]), None, "{bad:?}");
        }
        let long = format!("a={}", "x".repeat(257));
        assert_eq!(state(&[long.as_str()]), None);
        let longest = format!("a={}", "x".repeat(256));
        assert!(state(&[longest.as_str()]).is_some());
    }

    #[test]
    fn a_repeated_key_keeps_the_value() {
        assert_eq!(state(&["foo=1,foo=1"]).as_deref(), Some("foo=1,foo=1"));
        assert_eq!(state(&["a=1", "b=2, a=3"]).as_deref(), Some("a=1,b=2,a=3"));
    }

    #[test]
    fn more_than_32_members_or_512_bytes_drop_it_whole() {
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(state(&[many.join(",").as_str()]), None);
        assert!(state(&[many[..32].join(",").as_str()]).is_some());
        let wide: Vec<String> = (0..3).map(|i| format!("k{i}={}", "x".repeat(200))).collect();
        assert_eq!(state(&[wide.join(",").as_str()]), None);
        // One broken member drops the rest with it.
        assert_eq!(state(&["a=1,Bad=2,c=3"]), None);
    }
}
