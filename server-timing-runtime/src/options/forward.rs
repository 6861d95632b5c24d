//! The [`Options`](crate::Options) builder methods, written once for every adapter that
//! offers them.

/// The [`Options`] builder methods, for an adapter type with an `options: Options` field, so
/// that every adapter offers the same settings from one implementation.
///
/// `$new` is an expression (as a string) that builds the adapter, for the doc examples.
#[cfg_attr(not(any(feature = "actix-web", feature = "tower")), allow(unused_macros))]
macro_rules! forward_options {
    ($new:literal) => {
        /// Replace all options at once. See [`Options`](crate::Options).
        #[doc = concat!("```\nlet adapter = ", $new, ".options(server_timing_runtime::Options::new().precision(1));\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn options(mut self, options: $crate::Options) -> Self {
            self.options = options;
            self
        }

        /// Decimals of a millisecond in `dur`. See [`Options::precision`](crate::Options::precision).
        #[doc = concat!("```\nlet adapter = ", $new, ".precision(1);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn precision(mut self, decimals: u8) -> Self {
            self.options = self.options.precision(decimals);
            self
        }

        /// Aggregate repeated names or send each recording. See [`Options::repeated`](crate::Options::repeated).
        #[doc = concat!("```\nlet adapter = ", $new, ".repeated(server_timing_runtime::Repeated::Each);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn repeated(mut self, repeated: $crate::Repeated) -> Self {
            self.options = self.options.repeated(repeated);
            self
        }

        /// Entries one request keeps. See [`Options::max_metrics`](crate::Options::max_metrics).
        #[doc = concat!("```\nlet adapter = ", $new, ".max_metrics(16);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn max_metrics(mut self, max: usize) -> Self {
            self.options = self.options.max_metrics(max);
            self
        }

        /// The largest header value, in bytes. See [`Options::header_budget`](crate::Options::header_budget).
        #[doc = concat!("```\nlet adapter = ", $new, ".header_budget(1024);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn header_budget(mut self, bytes: usize) -> Self {
            self.options = self.options.header_budget(bytes);
            self
        }

        /// Whether descriptions are sent. See [`Options::descriptions`](crate::Options::descriptions).
        #[doc = concat!("```\nlet adapter = ", $new, ".descriptions(false);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn descriptions(mut self, send: bool) -> Self {
            self.options = self.options.descriptions(send);
            self
        }

        /// Name the whole-request metric. See [`Options::total`](crate::Options::total).
        #[doc = concat!("```\nlet adapter = ", $new, ".total(\"app\");\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn total(mut self, name: impl Into<::std::borrow::Cow<'static, str>>) -> Self {
            self.options = self.options.total(name);
            self
        }

        /// Describe the whole-request metric. See [`Options::total_description`](crate::Options::total_description).
        #[doc = concat!("```\nlet adapter = ", $new, ".total_description(\"Whole request\");\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn total_description(mut self, description: impl Into<::std::borrow::Cow<'static, str>>) -> Self {
            self.options = self.options.total_description(description);
            self
        }

        /// Send no whole-request metric. See [`Options::no_total`](crate::Options::no_total).
        #[doc = concat!("```\nlet adapter = ", $new, ".no_total();\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn no_total(mut self) -> Self {
            self.options = self.options.no_total();
            self
        }

        /// Add a `Timing-Allow-Origin` value. See [`Options::timing_allow_origin`](crate::Options::timing_allow_origin).
        #[doc = concat!("```\nlet adapter = ", $new, ".timing_allow_origin(http::HeaderValue::from_static(\"*\"));\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn timing_allow_origin(mut self, origin: ::http::HeaderValue) -> Self {
            self.options = self.options.timing_allow_origin(origin);
            self
        }

        /// Name the request's trace in its header. See [`Options::trace_context`](crate::Options::trace_context).
        #[doc = concat!("```\nlet adapter = ", $new, ".trace_context(true);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn trace_context(mut self, on: bool) -> Self {
            self.options = self.options.trace_context(on);
            self
        }

        /// Which entries name the request's trace. See [`Options::trace_entries`](crate::Options::trace_entries).
        #[doc = concat!("```\nlet adapter = ", $new, ".trace_entries([server_timing_runtime::TraceEntry::Trace]);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn trace_entries(mut self, entries: impl IntoIterator<Item = $crate::TraceEntry>) -> Self {
            self.options = self.options.trace_entries(entries);
            self
        }

        /// Write the trace context on cacheable responses too. See [`Options::trace_context_on_cacheable`](crate::Options::trace_context_on_cacheable).
        #[doc = concat!("```\nlet adapter = ", $new, ".trace_context_on_cacheable(true);\n# let _ = adapter;\n```")]
        #[must_use]
        pub fn trace_context_on_cacheable(mut self, on: bool) -> Self {
            self.options = self.options.trace_context_on_cacheable(on);
            self
        }
    };
}
pub(crate) use forward_options;
