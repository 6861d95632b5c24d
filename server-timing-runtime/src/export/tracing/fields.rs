//! The span fields a span opts in with: its metric name and description.

use std::borrow::Cow;
use std::fmt;

use tracing_core::Metadata;
use tracing_core::field::{Field, Visit};

/// The field naming a span's metric.
pub(crate) const NAME: &str = "server_timing";
/// The field describing it.
pub(crate) const DESCRIPTION: &str = "server_timing.desc";

/// Whether spans of this callsite declare either field.
pub(crate) fn declared(metadata: &Metadata<'_>) -> bool {
    metadata
        .fields()
        .iter()
        .any(|field| matches!(field.name(), NAME | DESCRIPTION))
}

/// What a span's fields say about its metric, as they are recorded.
pub(crate) struct Fields<'a> {
    pub(crate) name: &'a mut Option<Cow<'static, str>>,
    pub(crate) description: &'a mut Option<Cow<'static, str>>,
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            NAME => *self.name = Some(Cow::Owned(value.to_owned())),
            DESCRIPTION => *self.description = Some(Cow::Owned(value.to_owned())),
            _ => {}
        }
    }

    // Every value that is not a string arrives here (numbers and bools by way of the trait's
    // defaults): not a name, so ignored.
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}
