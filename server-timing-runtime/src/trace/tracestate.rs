//! The W3C trace-context `tracestate` value: read with the specification's rules, so that a
//! broken one is never passed on.

/// The most `tracestate` members the specification allows.
const MAX_MEMBERS: usize = 32;

/// The longest `tracestate` passed on: the length the specification requires vendors to
/// propagate, and what fits a header budget next to the metrics.
pub(crate) const MAX_TRACESTATE_LEN: usize = 512;

/// A `tracestate` from its header fields (combined as one comma-separated list, as the
/// specification says), if every member is valid, no key repeats, and it is at most
/// [`MAX_TRACESTATE_LEN`] long: otherwise `None`, so a broken value is never passed on. Empty
/// members and the blanks around members are dropped; `None` also when nothing is left.
pub(crate) fn trace_state<'a>(fields: impl Iterator<Item = &'a [u8]>) -> Option<Box<str>> {
    // This runs on every traced request that carries a `tracestate`: each member is checked
    // in one pass over its bytes and copied as it is, repeated keys are looked for once all
    // are in and only if there are several, and the copy is made to the size of the fields,
    // so that a value that needs no trimming is allocated once.
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
    if out.is_empty() || (members > 1 && has_repeated_key(&out)) {
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

/// Whether two of the `,`-joined valid members `written` (at most [`MAX_MEMBERS`]) have the
/// same key. Each key's hash is compared with those of the keys before it, and the keys
/// themselves only where a hash matches: whoever sends the request chooses its members, and
/// comparing every pair byte by byte made 32 of them cost several microseconds.
fn has_repeated_key(written: &[u8]) -> bool {
    let mut hashes = [0_u32; MAX_MEMBERS];
    let mut start = 0;
    for (i, member) in (0..MAX_MEMBERS).zip(written.split(|&c| c == b',')) {
        let key = member.split(|&c| c == b'=').next().unwrap_or_default();
        // FNV-1a: keys are short, and a collision costs only a look at the keys before.
        let hash = key.iter().fold(0x811c_9dc5, |hash: u32, &c| {
            (hash ^ u32::from(c)).wrapping_mul(0x0100_0193)
        });
        if hashes[..i].contains(&hash) && has_key(&written[..start], key) {
            return true;
        }
        hashes[i] = hash;
        start += member.len() + 1;
    }
    false
}

/// Whether the `,`-joined members `written` have this key.
fn has_key(written: &[u8], key: &[u8]) -> bool {
    written.split(|&c| c == b',').any(|member| {
        member
            .strip_prefix(key)
            .is_some_and(|rest| rest.first() == Some(&b'='))
    })
}

/// Whether `member` is a valid `key=value` list member, checked in one pass. The key is a
/// `simple-key` or `tenant-id "@" system-id`; the value up to 256 printable ASCII characters
/// but `,` and `=`, not ending in a space.
fn is_list_member(member: &[u8]) -> bool {
    let mut equals = None;
    let mut at = None;
    for (i, &c) in member.iter().enumerate() {
        match c {
            b'=' => {
                equals = Some(i);
                break;
            }
            b'@' if at.is_none() => at = Some(i),
            _ if CLASS[usize::from(c)] & KEY_CHAR == 0 => return false,
            _ => {}
        }
    }
    let Some(equals) = equals else {
        return false;
    };
    let (key, value) = (&member[..equals], &member[equals + 1..]);
    let key_valid = match at {
        None => key.len() <= 256 && key.first().is_some_and(u8::is_ascii_lowercase),
        Some(at) => {
            let (tenant, system) = (&key[..at], &key[at + 1..]);
            (1..=241).contains(&tenant.len())
                && matches!(tenant[0], b'a'..=b'z' | b'0'..=b'9')
                && (1..=14).contains(&system.len())
                && system[0].is_ascii_lowercase()
        }
    };
    let value_valid = (1..=256).contains(&value.len())
        && value.last() != Some(&b' ')
        && value.iter().fold(true, |valid, &c| {
            valid & (CLASS[usize::from(c)] & VALUE_CHAR != 0)
        });
    key_valid && value_valid
}

/// Marks the bytes a `tracestate` key may have (but the `@` that separates a tenant) in
/// [`CLASS`].
const KEY_CHAR: u8 = 0x01;
/// Marks the bytes a `tracestate` value may have in [`CLASS`].
const VALUE_CHAR: u8 = 0x02;

/// What each byte may be in a `tracestate` member: one lookup per byte instead of a chain of
/// ranges.
const CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut c = b' ';
    while c <= b'~' {
        if c != b',' && c != b'=' {
            table[c as usize] |= VALUE_CHAR;
        }
        if matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/') {
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
    fn trace_state_follows_the_specification() {
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
        for bad in [
            "Upper=1",
            "a=1,a=2",
            "a",
            "=1",
            "a=",
            "a=x=y",
            "a=caf\u{e9}",
            "a=\n",
            "@v=1",
            "t@=1",
            "1a=1",
            "t@v@w=1",
            "t@Vendor=1",
            "t@v/x\u{7f}=1",
            "t@vendor-too-long=1",
            "a b=1",
            "a=1\u{1}",
        ] {
            assert_eq!(state(&[bad]), None, "{bad:?}");
        }
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(state(&[many.join(",").as_str()]), None);
        assert!(state(&[many[..32].join(",").as_str()]).is_some());
        let long = format!("a={}", "x".repeat(257));
        assert_eq!(state(&[long.as_str()]), None);
        let wide: Vec<String> = (0..3).map(|i| format!("k{i}={}", "x".repeat(200))).collect();
        assert_eq!(state(&[wide.join(",").as_str()]), None);
        assert_eq!(state(&[""]), None);
        assert_eq!(
            state(&["1t@v=1,t*/_-@v9=2"]).as_deref(),
            Some("1t@v=1,t*/_-@v9=2")
        );
        assert_eq!(state(&["a=1", "b=2, a=3"]), None);
        assert_eq!(state(&["ab=1,a=2,b=3"]).as_deref(), Some("ab=1,a=2,b=3"));
        let mut repeated = many[..31].to_vec();
        repeated.push("k0=again".to_owned());
        assert_eq!(state(&[repeated.join(",").as_str()]), None);
        assert_eq!(state(&["a=1,b=2", "c=3,b=4"]), None);
        // Two keys with the same hash are still two keys.
        assert_eq!(
            state(&["kaytfs=1,ka1rja=2"]).as_deref(),
            Some("kaytfs=1,ka1rja=2")
        );
        assert_eq!(state(&["kaytfs=1,ka1rja=2,kaytfs=3"]), None);
    }
}
