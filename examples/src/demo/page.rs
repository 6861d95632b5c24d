//! The demo's HTML page: a fixed template with a server-rendered summary line.
//!
//! Everything the page shows about timings it reads in the browser, from
//! `performance.getEntriesByType("navigation" | "resource")[i].serverTiming`.

use server_timing_runtime::TraceParent;

use super::auth::User;
use super::db::{CustomerOrders, Orders};

const TEMPLATE: &str = include_str!("page.html");
const SUMMARY_SLOT: &str = "<!--summary-->";
const TRACE_SLOT: &str = "<!--traceparent-->";

/// What the page's summary line says.
///
/// ```
/// use server_timing_examples::demo::{auth::User, db::{CustomerOrders, Orders}, page::Summary};
/// let summary = Summary {
///     user: User { name: "ada".to_owned(), customer: 1 },
///     orders: Orders { open: 1, shipped: 2 },
///     mine: CustomerOrders { count: 100, spent_cents: 1_050_000 },
///     in_stock: Some(42),
///     trace: None,
/// };
/// let html = server_timing_examples::demo::page::render(&summary);
/// assert!(html.contains(
///     "Signed in as <strong>ada</strong> · 100 orders of yours ($10,500.00) · 1 of 100,000 orders open · 2 shipped today · 42 items in stock"
/// ));
/// ```
#[derive(Clone, Debug)]
pub struct Summary {
    /// Who asked.
    pub user: User,
    /// From the cache or the database.
    pub orders: Orders,
    /// The user's own orders, from the database.
    pub mine: CustomerOrders,
    /// From the inventory service; `None` when it could not be reached.
    pub in_stock: Option<u32>,
    /// The request's trace, for OpenTelemetry JS's document-load instrumentation, which reads
    /// it from `<meta name="traceparent">` (RUM SDKs that read `serverTiming` find it there).
    pub trace: Option<TraceParent>,
}

/// The page, with `summary` written into it: a `tracing` span that the toolkit's tracing layer
/// records as `render` (see [`telemetry`](super::telemetry)).
///
/// ```
/// use server_timing_examples::demo::{auth::User, db::{CustomerOrders, Orders}, page::{render, Summary}};
/// let html = render(&Summary {
///     user: User { name: "<ada>".to_owned(), customer: 1 },
///     orders: Orders { open: 1, shipped: 2 },
///     mine: CustomerOrders { count: 3, spent_cents: 1234 },
///     in_stock: None,
///     trace: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().ok(),
/// });
/// assert!(html.contains(r#"<meta name="traceparent" content="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01">"#));
/// assert!(html.contains("&lt;ada&gt;"));
/// assert!(!html.contains("<ada>"));
/// assert!(html.contains("3 orders of yours ($12.34)"));
/// ```
#[tracing::instrument(name = "render", skip_all, fields(server_timing = "render", server_timing.desc = "Render page"))]
pub fn render(summary: &Summary) -> String {
    let stock = summary.in_stock.map_or_else(
        || "inventory unavailable".to_owned(),
        |n| format!("{n} items in stock"),
    );
    let line = format!(
        "Signed in as <strong>{}</strong> · {} orders of yours (${}.{:02}) · {} of {} orders open · {} shipped today · {}",
        escape_html(&summary.user.name),
        summary.mine.count,
        grouped(summary.mine.spent_cents.div_euclid(100)),
        summary.mine.spent_cents.rem_euclid(100),
        grouped(i64::from(summary.orders.open)),
        grouped(i64::from(super::db::ORDERS)),
        summary.orders.shipped,
        stock
    );
    let meta = summary.trace.map(|trace| trace.meta_tag()).unwrap_or_default();
    TEMPLATE
        .replacen(TRACE_SLOT, &meta, 1)
        .replacen(SUMMARY_SLOT, &line, 1)
}

/// `n` with its thousands separated by commas: `100,000`.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `text` safe to place in HTML text or a quoted attribute.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_one_summary_slot() {
        assert_eq!(TEMPLATE.matches(SUMMARY_SLOT).count(), 1);
        assert_eq!(TEMPLATE.matches(TRACE_SLOT).count(), 1);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
