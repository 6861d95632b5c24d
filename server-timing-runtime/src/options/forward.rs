//! The [`Options`](crate::Options) builder methods, written once for every adapter that
//! offers them.

/// A doc example of an adapter's builder method: the given lines after hidden ones that
/// define `serve(adapter, f)`, which sends one request through `adapter` to a handler that
/// runs `f` on its response's headers, and returns the headers of the response.
#[cfg_attr(not(any(feature = "actix-web", feature = "tower")), allow(unused_macros))]
macro_rules! adapter_example {
    ($($part:tt),* $(,)?) => {
        concat!(
            "```\n",
            "# use http::HeaderMap;\n",
            "# trait Serve { fn serve(self, handler: fn(&mut HeaderMap)) -> HeaderMap; }\n",
            "# fn serve(adapter: impl Serve, handler: fn(&mut HeaderMap)) -> HeaderMap { adapter.serve(handler) }\n",
            "# #[cfg(feature = \"tower\")]\n",
            "# impl Serve for server_timing_runtime::tower::ServerTimingLayer {\n",
            "#     fn serve(self, handler: fn(&mut HeaderMap)) -> HeaderMap {\n",
            "#         let service = tower::ServiceBuilder::new().layer(self).service_fn(move |_: http::Request<()>| async move {\n",
            "#             let mut response = http::Response::new(String::new());\n",
            "#             handler(response.headers_mut());\n",
            "#             Ok::<_, std::convert::Infallible>(response)\n",
            "#         });\n",
            "#         let response = futures::executor::block_on(tower::ServiceExt::oneshot(service, http::Request::new(())));\n",
            "#         response.unwrap().headers().clone()\n",
            "#     }\n",
            "# }\n",
            "# #[cfg(feature = \"actix-web\")]\n",
            "# impl Serve for server_timing_runtime::actix::ServerTiming {\n",
            "#     fn serve(self, handler: fn(&mut HeaderMap)) -> HeaderMap {\n",
            "#         use actix_web::{test, web, App, HttpResponse};\n",
            "#         let handler = move || async move {\n",
            "#             let (mut headers, mut response) = (HeaderMap::new(), HttpResponse::Ok());\n",
            "#             handler(&mut headers);\n",
            "#             headers.iter().for_each(|(name, value)| _ = response.append_header((name.as_str(), value.as_bytes())));\n",
            "#             response.finish()\n",
            "#         };\n",
            "#         let response = actix_web::rt::System::new().block_on(async {\n",
            "#             let app = test::init_service(App::new().wrap(self).default_service(web::to(handler))).await;\n",
            "#             test::call_service(&app, test::TestRequest::default().to_request()).await\n",
            "#         });\n",
            "#         let headers = response.headers().iter();\n",
            "#         headers.map(|(name, value)| (name.as_str().parse().unwrap(), value.as_bytes().try_into().unwrap())).collect()\n",
            "#     }\n",
            "# }\n",
            "// `serve(adapter, f)`: one request through `adapter` to a handler that runs `f` on\n",
            "// its response's headers; the headers the response then has.\n",
            $($part,)*
            "```",
        )
    };
}

/// The [`Options`] builder methods, for an adapter type with an `options: Options` field, so
/// that every adapter offers the same settings from one implementation.
///
/// `$new` is an expression (as a string) that builds the adapter, for the doc examples.
#[cfg_attr(not(any(feature = "actix-web", feature = "tower")), allow(unused_macros))]
macro_rules! forward_options {
    ($new:literal) => {
        /// Replace all options at once. See [`Options`](crate::Options).
        #[doc = $crate::options::adapter_example!(
            "use std::time::Duration;\n",
            "use server_timing_runtime::{record, Options};\n",
            "\n",
            "// Every option is replaced: the `no_total` set before is undone.\n",
            "let adapter = ",
            $new,
            ".no_total().options(Options::new().precision(1));\n",
            "let headers = serve(adapter, |_| record(\"db\", Duration::from_micros(1_240)));\n",
            "let value = headers[\"server-timing\"].to_str().unwrap();\n",
            "assert!(value.starts_with(\"total;dur=\") && value.ends_with(\", db;dur=1.2\"), \"{value}\");\n",
        )]
        #[must_use]
        pub fn options(mut self, options: $crate::Options) -> Self {
            self.options = options;
            self
        }

        /// Decimals of a millisecond in `dur`. See [`Options::precision`](crate::Options::precision).
        #[doc = $crate::options::adapter_example!(
            "use std::time::Duration;\n",
            "use server_timing_runtime::record;\n",
            "\n",
            "let adapter = ",
            $new,
            ".no_total().precision(1);\n",
            "let headers = serve(adapter, |_| record(\"db\", Duration::from_micros(1_240)));\n",
            "assert_eq!(headers[\"server-timing\"], \"db;dur=1.2\");\n",
        )]
        #[must_use]
        pub fn precision(mut self, decimals: u8) -> Self {
            self.options = self.options.precision(decimals);
            self
        }

        /// Aggregate repeated names or send each recording. See [`Options::repeated`](crate::Options::repeated).
        #[doc = $crate::options::adapter_example!(
            "use std::time::Duration;\n",
            "use server_timing_runtime::{record, Repeated};\n",
            "\n",
            "let adapter = ",
            $new,
            ".no_total().repeated(Repeated::Each);\n",
            "let headers = serve(adapter, |_| {\n",
            "    record(\"db\", Duration::from_millis(2));\n",
            "    record(\"db\", Duration::from_millis(3));\n",
            "});\n",
            "assert_eq!(headers[\"server-timing\"], \"db;dur=2, db;dur=3\");\n",
        )]
        #[must_use]
        pub fn repeated(mut self, repeated: $crate::Repeated) -> Self {
            self.options = self.options.repeated(repeated);
            self
        }

        /// Entries one request keeps. See [`Options::max_metrics`](crate::Options::max_metrics).
        #[doc = $crate::options::adapter_example!(
            "use std::time::Duration;\n",
            "use server_timing_runtime::record;\n",
            "\n",
            "let adapter = ",
            $new,
            ".no_total().max_metrics(2);\n",
            "let headers = serve(adapter, |_| {\n",
            "    for name in [\"a\", \"b\", \"c\", \"d\"] {\n",
            "        record(name, Duration::from_millis(1));\n",
            "    }\n",
            "});\n",
            "assert_eq!(headers[\"server-timing\"], r#\"a;dur=1, b;dur=1, omitted;desc=\"2 metrics\"\"#);\n",
        )]
        #[must_use]
        pub fn max_metrics(mut self, max: usize) -> Self {
            self.options = self.options.max_metrics(max);
            self
        }

        /// The largest header value, in bytes. See [`Options::header_budget`](crate::Options::header_budget).
        #[doc = $crate::options::adapter_example!(
            "use std::time::Duration;\n",
            "use server_timing_runtime::record;\n",
            "\n",
            "let adapter = ",
            $new,
            ".no_total().header_budget(96);\n",
            "let headers = serve(adapter, |_| {\n",
            "    for i in 0..20 {\n",
            "        record(format!(\"metric{i}\"), Duration::from_millis(1));\n",
            "    }\n",
            "});\n",
            "let value = headers[\"server-timing\"].to_str().unwrap();\n",
            "assert!(value.len() <= 96 && value.ends_with(r#\", omitted;desc=\"17 metrics\"\"#), \"{value}\");\n",
        )]
        #[must_use]
        pub fn header_budget(mut self, bytes: usize) -> Self {
            self.options = self.options.header_budget(bytes);
            self
        }

        /// Whether descriptions are sent. See [`Options::descriptions`](crate::Options::descriptions).
        #[doc = $crate::options::adapter_example!(
            "use server_timing_runtime::describe;\n",
            "\n",
            "let adapter = ",
            $new,
            ".no_total().descriptions(false);\n",
            "let headers = serve(adapter, |_| describe(\"cache\", \"hit\"));\n",
            "assert_eq!(headers[\"server-timing\"], \"cache\");\n",
        )]
        #[must_use]
        pub fn descriptions(mut self, send: bool) -> Self {
            self.options = self.options.descriptions(send);
            self
        }

        /// Name the whole-request metric. See [`Options::total`](crate::Options::total).
        #[doc = $crate::options::adapter_example!(
            "\n",
            "let headers = serve(",
            $new,
            ".total(\"app\"), |_| {});\n",
            "assert!(headers[\"server-timing\"].to_str().unwrap().starts_with(\"app;dur=\"));\n",
        )]
        #[must_use]
        pub fn total(mut self, name: impl Into<::std::borrow::Cow<'static, str>>) -> Self {
            self.options = self.options.total(name);
            self
        }

        /// Describe the whole-request metric. See [`Options::total_description`](crate::Options::total_description).
        #[doc = $crate::options::adapter_example!(
            "\n",
            "let headers = serve(",
            $new,
            ".total_description(\"Whole request\"), |_| {});\n",
            "let value = headers[\"server-timing\"].to_str().unwrap();\n",
            "assert!(value.starts_with(\"total;dur=\") && value.ends_with(r#\";desc=\"Whole request\"\"#), \"{value}\");\n",
        )]
        #[must_use]
        pub fn total_description(mut self, description: impl Into<::std::borrow::Cow<'static, str>>) -> Self {
            self.options = self.options.total_description(description);
            self
        }

        /// Send no whole-request metric. See [`Options::no_total`](crate::Options::no_total).
        #[doc = $crate::options::adapter_example!(
            "use std::time::Duration;\n",
            "use server_timing_runtime::record;\n",
            "\n",
            "let headers = serve(",
            $new,
            ".no_total(), |_| record(\"db\", Duration::from_millis(2)));\n",
            "assert_eq!(headers[\"server-timing\"], \"db;dur=2\");\n",
            "// Nothing recorded: no header.\n",
            "assert!(!serve(",
            $new,
            ".no_total(), |_| {}).contains_key(\"server-timing\"));\n",
        )]
        #[must_use]
        pub fn no_total(mut self) -> Self {
            self.options = self.options.no_total();
            self
        }

        /// Add a `Timing-Allow-Origin` value. See [`Options::timing_allow_origin`](crate::Options::timing_allow_origin).
        #[doc = $crate::options::adapter_example!(
            "\n",
            "let adapter = ",
            $new,
            ".timing_allow_origin(http::HeaderValue::from_static(\"*\"));\n",
            "let headers = serve(adapter, |_| {});\n",
            "assert_eq!(headers[\"timing-allow-origin\"], \"*\");\n",
        )]
        #[must_use]
        pub fn timing_allow_origin(mut self, origin: ::http::HeaderValue) -> Self {
            self.options = self.options.timing_allow_origin(origin);
            self
        }

        /// Name the request's trace in its header. See [`Options::trace_context`](crate::Options::trace_context).
        #[doc = $crate::options::adapter_example!(
            "\n",
            "let headers = serve(",
            $new,
            ".trace_context(true), |_| {});\n",
            "let value = headers[\"server-timing\"].to_str().unwrap();\n",
            "assert!(value.starts_with(r#\"traceparent;desc=\"00-\"#), \"{value}\");\n",
        )]
        #[must_use]
        pub fn trace_context(mut self, on: bool) -> Self {
            self.options = self.options.trace_context(on);
            self
        }

        /// Which entries name the request's trace. See [`Options::trace_entries`](crate::Options::trace_entries).
        #[doc = $crate::options::adapter_example!(
            "use server_timing_runtime::TraceEntry;\n",
            "\n",
            "let adapter = ",
            $new,
            ".no_total().trace_context(true).trace_entries([TraceEntry::Trace]);\n",
            "let headers = serve(adapter, |_| {});\n",
            "let value = headers[\"server-timing\"].to_str().unwrap();\n",
            "assert!(value.starts_with(\"trace;desc=00-\") && !value.contains(\", \"), \"{value}\");\n",
        )]
        #[must_use]
        pub fn trace_entries(mut self, entries: impl IntoIterator<Item = $crate::TraceEntry>) -> Self {
            self.options = self.options.trace_entries(entries);
            self
        }

        /// Write the trace context on cacheable responses too. See [`Options::trace_context_on_cacheable`](crate::Options::trace_context_on_cacheable).
        #[doc = $crate::options::adapter_example!(
            "use http::header::{HeaderValue, CACHE_CONTROL};\n",
            "\n",
            "let adapter = ",
            $new,
            ".trace_context(true).trace_context_on_cacheable(true);\n",
            "let headers = serve(adapter, |headers| {\n",
            "    headers.insert(CACHE_CONTROL, HeaderValue::from_static(\"public, max-age=60\"));\n",
            "});\n",
            "assert!(headers[\"server-timing\"].to_str().unwrap().starts_with(\"traceparent;desc=\"));\n",
        )]
        #[must_use]
        pub fn trace_context_on_cacheable(mut self, on: bool) -> Self {
            self.options = self.options.trace_context_on_cacheable(on);
            self
        }
    };
}
pub(crate) use {adapter_example, forward_options};
