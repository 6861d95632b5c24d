//! Reading a response's `Server-Timing` fields as a browser reads them: every field as a raw
//! string, and a reader for the entries the middleware writes.

use http::HeaderMap;

/// One `Server-Timing` entry as a browser reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub dur: Option<String>,
    pub desc: Option<String>,
}

impl Entry {
    /// The `dur` parameter, in milliseconds; fails the test when there is none.
    pub fn millis(&self) -> f64 {
        let dur = self
            .dur
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no dur", self.name));
        dur.parse()
            .unwrap_or_else(|_| panic!("{} has dur={dur}", self.name))
    }
}

/// Every `Server-Timing` field of `headers`, as raw strings, in order.
pub fn fields(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("server-timing")
        .iter()
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
        .collect()
}

/// The entries of the last `Server-Timing` field: the one the middleware appends.
pub fn last_entries(response: &reqwest::Response) -> Vec<Entry> {
    let fields = fields(response.headers());
    let last = fields.last().expect("a Server-Timing field");
    entries(last)
}

/// A reader for what the middleware writes: entries separated by `,`, parameters by `;`,
/// values a token or a quoted-string with `\` escapes.
pub fn entries(value: &str) -> Vec<Entry> {
    split_outside_quotes(value, ',')
        .into_iter()
        .map(|entry| {
            let mut parts = split_outside_quotes(&entry, ';').into_iter();
            let name = parts.next().unwrap_or_default().trim().to_owned();
            let mut parsed = Entry {
                name,
                dur: None,
                desc: None,
            };
            for param in parts {
                let (key, value) = param.split_once('=').expect("a key=value parameter");
                let value = unquote(value.trim());
                match key.trim() {
                    "dur" => parsed.dur = Some(value),
                    "desc" => parsed.desc = Some(value),
                    other => panic!("unexpected parameter {other} in {value}"),
                }
            }
            parsed
        })
        .collect()
}

fn split_outside_quotes(value: &str, separator: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(String::new());
            continue;
        }
        parts.last_mut().expect("never empty").push(c);
    }
    parts
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().expect("an escaped char")
        } else {
            c
        });
    }
    out
}
