//! The cache rule of trace context: a response that a shared cache may store does not name
//! the request's trace, or every later visitor served from the cache would join it.

use crate::trace::tracestate::trim;

/// Whether a shared cache (a CDN, a proxy) may store a response with these `Cache-Control`
/// fields: `public`, `s-maxage` or `max-age`, and neither `private` nor `no-store`. Every later
/// visitor served from that cache would get this request's trace id.
///
/// `private="field"` (only those fields private) leaves the response storable.
pub(crate) fn shared_cache_may_store<'a>(cache_control: impl Iterator<Item = &'a [u8]>) -> bool {
    let mut storable = false;
    for field in cache_control {
        for (name, has_value) in directives(field) {
            let is = |directive: &str| name.eq_ignore_ascii_case(directive.as_bytes());
            if is("no-store") || (is("private") && !has_value) {
                return false;
            }
            storable |= is("public") || is("s-maxage") || is("max-age");
        }
    }
    storable
}

/// The directive names of one `Cache-Control` field and whether each has a value; commas
/// inside a quoted value do not split it.
fn directives(field: &[u8]) -> impl Iterator<Item = (&[u8], bool)> {
    let mut rest = field;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let mut at = 0;
            let mut quoted = false;
            let mut escaped = false;
            while at < rest.len() {
                let c = rest[at];
                if escaped {
                    escaped = false;
                } else if quoted && c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    quoted = !quoted;
                } else if c == b',' && !quoted {
                    break;
                }
                at += 1;
            }
            let directive = trim(&rest[..at]);
            rest = rest.get(at + 1..).unwrap_or_default();
            if directive.is_empty() {
                continue;
            }
            let name_end = directive
                .iter()
                .position(|&c| c == b'=')
                .unwrap_or(directive.len());
            return Some((trim(&directive[..name_end]), name_end < directive.len()));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cacheable(fields: &[&str]) -> bool {
        shared_cache_may_store(fields.iter().map(|f| f.as_bytes()))
    }

    #[test]
    fn the_shared_cache_rule() {
        for stored in [
            &["public"][..],
            &["max-age=60"],
            &["s-maxage=60"],
            &["Public, max-age=0"],
            &["no-cache", "max-age=5"],
            &[r#"private="set-cookie, x", max-age=60"#],
            &["max-age=60, must-revalidate"],
        ] {
            assert!(cacheable(stored), "{stored:?}");
        }
        for not_stored in [
            &[][..],
            &["no-cache"],
            &["private, max-age=60"],
            &["max-age=60", "no-store"],
            &["public, no-store"],
            &["s-maxage=60, PRIVATE"],
            &[r#"x="max-age=1, public""#],
            &["must-revalidate"],
        ] {
            assert!(!cacheable(not_stored), "{not_stored:?}");
        }
    }
}
