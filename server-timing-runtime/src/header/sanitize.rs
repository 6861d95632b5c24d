//! Turning arbitrary text into what a `Server-Timing` header may carry.
//!
//! Names must be RFC 9110 tokens: every other character becomes `_` (an empty name becomes
//! `_`). Descriptions may hold printable ASCII: a control character (CR, LF, NUL, TAB, ...)
//! becomes a space and every non-ASCII character becomes `?`. Names keep at most
//! [`MAX_NAME_LEN`] characters and descriptions [`MAX_DESCRIPTION_LEN`], so a megabyte of
//! request data costs neither memory nor header space.

use std::borrow::Cow;

/// The longest metric name kept; longer names are cut.
pub const MAX_NAME_LEN: usize = 64;

/// The longest description kept; longer ones are cut.
pub const MAX_DESCRIPTION_LEN: usize = 256;

/// Which bytes may appear in an RFC 9110 token, as a table: checked for every byte of every
/// description written.
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(
            byte as u8,
            b'0'..=b'9'
                | b'a'..=b'z'
                | b'A'..=b'Z'
                | b'!'
                | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        );
        byte += 1;
    }
    table
};

/// Whether `byte` may appear in an RFC 9110 token.
pub(crate) const fn is_tchar(byte: u8) -> bool {
    TCHAR[byte as usize]
}

/// Whether `text` is an RFC 9110 token: non-empty, and only token characters.
///
/// ```
/// use server_timing_runtime::is_token;
/// assert!(is_token("db.read"));
/// assert!(!is_token("db read"));
/// assert!(!is_token(""));
/// ```
pub const fn is_token(text: &str) -> bool {
    is_token_bytes(text.as_bytes())
}

/// [`is_token`] on bytes.
pub(crate) const fn is_token_bytes(text: &[u8]) -> bool {
    !text.is_empty() && fits_bytes(text, usize::MAX, &TCHAR)
}

/// Which bytes may stand in a description after sanitization: printable ASCII.
const VISIBLE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0x20;
    while byte < 0x7f {
        table[byte] = true;
        byte += 1;
    }
    table
};

/// Whether `text` has at most `max` bytes, all of them in `allowed`. A `const fn`, so that
/// names and descriptions fixed at compile time are checked then.
const fn fits(text: &str, max: usize, allowed: &[bool; 256]) -> bool {
    fits_bytes(text.as_bytes(), max, allowed)
}

/// [`fits`] on bytes.
const fn fits_bytes(bytes: &[u8], max: usize, allowed: &[bool; 256]) -> bool {
    if bytes.len() > max {
        return false;
    }
    let mut at = 0;
    while at < bytes.len() {
        if !allowed[bytes[at] as usize] {
            return false;
        }
        at += 1;
    }
    true
}

/// Whether `name` is kept as it is: what [`name`] would return unchanged.
pub(crate) const fn is_clean_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN && is_token(name)
}

/// Whether `description` is kept as it is: what [`description`] would return unchanged.
pub(crate) const fn is_clean_description(description: &str) -> bool {
    fits(description, MAX_DESCRIPTION_LEN, &VISIBLE)
}

/// `name` as the header will carry it. Borrows (no allocation) when it is already valid.
pub(crate) fn name(name: Cow<'static, str>) -> Cow<'static, str> {
    if is_clean_name(&name) {
        return name;
    }
    Cow::Owned(sanitized_name(&name))
}

/// [`name`] for text that is only borrowed.
pub(crate) fn name_of(name: &str) -> Cow<'_, str> {
    if is_clean_name(name) {
        return Cow::Borrowed(name);
    }
    Cow::Owned(sanitized_name(name))
}

fn sanitized_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(MAX_NAME_LEN)
        .map(|c| if c.is_ascii() && is_tchar(c as u8) { c } else { '_' })
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// `description` as the header will carry it (before quoting). Borrows when already valid.
pub(crate) fn description(description: Cow<'static, str>) -> Cow<'static, str> {
    if is_clean_description(&description) {
        return description;
    }
    Cow::Owned(sanitized_description(&description))
}

/// [`description`] for text that is only borrowed.
pub(crate) fn description_of(description: &str) -> Cow<'_, str> {
    if is_clean_description(description) {
        return Cow::Borrowed(description);
    }
    Cow::Owned(sanitized_description(description))
}

fn sanitized_description(description: &str) -> String {
    description
        .chars()
        .take(MAX_DESCRIPTION_LEN)
        .map(|c| match c {
            ' '..='~' => c,
            c if c.is_control() => ' ',
            _ => '?',
        })
        .collect()
}

/// The sanitization [`record`](crate::record) applies to a metric name, exposed so that
/// callers (and tests) can predict what the browser will see.
///
/// ```
/// use server_timing_runtime::sanitize_name;
/// assert_eq!(sanitize_name("db read"), "db_read");
/// assert_eq!(sanitize_name(""), "_");
/// ```
pub fn sanitize_name(text: &str) -> String {
    name_of(text).into_owned()
}

/// The sanitization [`describe`](crate::describe) applies to a description.
///
/// ```
/// use server_timing_runtime::sanitize_description;
/// assert_eq!(sanitize_description("caf\u{e9}\r\nhit"), "caf?  hit");
/// ```
pub fn sanitize_description(text: &str) -> String {
    description_of(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_are_borrowed() {
        assert!(matches!(name(Cow::Borrowed("db")), Cow::Borrowed("db")));
    }

    #[test]
    fn names_are_cut_by_characters() {
        let long = "\u{e9}".repeat(100);
        assert_eq!(sanitize_name(&long), "_".repeat(MAX_NAME_LEN));
    }

    #[test]
    fn descriptions_replace_controls_and_non_ascii() {
        assert_eq!(sanitize_description("a\tb\0c\u{7f}d\u{2603}"), "a b c d?");
        assert_eq!(sanitize_description(&"x".repeat(1000)).len(), MAX_DESCRIPTION_LEN);
    }
}
