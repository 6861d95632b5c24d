//! What a recording is filed under: a name and maybe a description, either checked when
//! compiled (a `#[server_timing]` fn's [`CallSite`]) or given at run time and sanitized.

use std::borrow::Cow;

use crate::header::sanitize::{is_clean_description, is_clean_name};

/// The name and description of a recording.
#[derive(Debug)]
pub(crate) enum Label {
    /// Valid already: stored as it is.
    Site(&'static CallSite),
    /// Sanitized when stored.
    Text {
        name: Cow<'static, str>,
        description: Option<Cow<'static, str>>,
    },
}

impl Label {
    pub(crate) fn text(name: Cow<'static, str>) -> Self {
        Label::Text {
            name,
            description: None,
        }
    }

    /// This label, leaving an empty one in its place (a call site's stays as it is).
    pub(crate) fn take(&mut self) -> Self {
        match self {
            Label::Site(site) => Label::Site(site),
            Label::Text { name, description } => Label::Text {
                name: std::mem::take(name),
                description: description.take(),
            },
        }
    }

    /// The same name with `description` instead.
    pub(crate) fn with_description(self, description: Cow<'static, str>) -> Self {
        let name = match self {
            Label::Site(site) => Cow::Borrowed(site.name),
            Label::Text { name, .. } => name,
        };
        Label::Text {
            name,
            description: Some(description),
        }
    }

    /// Name, description, and whether both are valid as they are; if not, they are
    /// sanitized when stored.
    pub(crate) fn into_parts(self) -> (Cow<'static, str>, Option<Cow<'static, str>>, bool) {
        match self {
            Label::Site(site) => (
                Cow::Borrowed(site.name),
                site.description().map(Cow::Borrowed),
                true,
            ),
            Label::Text { name, description } => (name, description, false),
        }
    }
}

/// What `#[server_timing]` records for one fn: its metric name and description, fixed at
/// compile time. Not a public API: it changes without notice.
///
/// Made only by [`CallSite::new`], which the generated code evaluates in a `static`, so a
/// name or description the header could not carry as is fails to compile (the attribute
/// reports it first, with a better message). Recordings through a call site therefore skip
/// sanitization, and one call site's recordings are told apart from others' by address.
///
/// ```
/// use server_timing_runtime::__private::{guard, CallSite};
/// use server_timing_runtime::Timings;
///
/// static SITE: CallSite = CallSite::new("db", "DB read");
/// let timings = Timings::new();
/// timings.sync_scope(|| drop(guard(&SITE)));
/// let db = &timings.metrics()[0];
/// assert_eq!((db.name(), db.description()), ("db", Some("DB read")));
/// ```
#[derive(Debug)]
pub struct CallSite {
    name: &'static str,
    description: &'static str,
}

impl CallSite {
    /// The call site of metric `name`, with `description` (empty for none).
    ///
    /// # Panics
    ///
    /// When `name` is not a token of at most [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes, or
    /// `description` holds more than [`MAX_DESCRIPTION_LEN`](crate::MAX_DESCRIPTION_LEN)
    /// bytes or anything but printable ASCII. In a `static`, that is a compile error.
    ///
    /// ```
    /// use server_timing_runtime::__private::{guard, CallSite};
    /// use server_timing_runtime::Timings;
    ///
    /// static SITE: CallSite = CallSite::new("cache", "");
    /// let timings = Timings::new();
    /// timings.sync_scope(|| drop(guard(&SITE)));
    /// let cache = &timings.metrics()[0];
    /// assert_eq!((cache.name(), cache.description()), ("cache", None), "empty: no description");
    /// ```
    pub const fn new(name: &'static str, description: &'static str) -> Self {
        assert!(
            is_clean_name(name),
            "a Server-Timing metric name is a token of at most 64 bytes"
        );
        assert!(
            is_clean_description(description),
            "a Server-Timing description is at most 256 bytes of printable ASCII"
        );
        CallSite { name, description }
    }

    /// The description, if any: printable ASCII.
    pub(crate) fn description(&self) -> Option<&'static str> {
        (!self.description.is_empty()).then_some(self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::CallSite;

    #[test]
    fn call_sites_take_what_the_header_carries_as_is() {
        let site = CallSite::new("db.read", "DB read (primary)");
        assert_eq!(site.name, "db.read");
        assert_eq!(site.description(), Some("DB read (primary)"));
        assert_eq!(CallSite::new("db", "").description(), None);
    }

    #[test]
    #[should_panic(expected = "metric name")]
    fn a_name_that_is_not_a_token_is_refused() {
        let _ = CallSite::new("db read", "");
    }

    #[test]
    #[should_panic(expected = "description")]
    fn a_description_with_a_line_break_is_refused() {
        let _ = CallSite::new("db", "read\r\nSet-Cookie: x");
    }
}
