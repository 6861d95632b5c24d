//! The probe page: it loads pages in frames and fetches resources, then writes every
//! `serverTiming` entry the browser exposes into its DOM, where [`read_report`] finds them
//! in the output of `chromium --dump-dom`.

use server_timing_runtime::ParsedMetric;

/// What a probe page loads and fetches.
pub struct Probe<'a> {
    /// Paths loaded in iframes, one after the other (each until its `load` event).
    pub frames: &'a [String],
    /// Paths fetched (and read to the end) after the frames, a few at a time.
    pub fetches: &'a [String],
}

/// Which performance timeline an entry is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Navigation,
    Resource,
}

/// One `PerformanceResourceTiming` (or navigation) entry and its `serverTiming`, as the
/// browser exposed them.
#[derive(Clone, Debug)]
pub struct Observed {
    /// 0 for the probe page itself, `i + 1` for the frame loading `frames[i]`.
    pub window: usize,
    pub kind: Kind,
    /// The entry's URL, as the browser names it.
    pub url: String,
    pub server_timing: Vec<ParsedMetric>,
}

impl Observed {
    /// The URL's path and query: what the server saw.
    pub fn target(&self) -> &str {
        let after_scheme = self.url.split_once("://").map_or(&*self.url, |(_, rest)| rest);
        after_scheme.find('/').map_or("/", |slash| &after_scheme[slash..])
    }
}

impl Probe<'_> {
    /// The probe page's HTML.
    pub fn html(&self) -> String {
        PAGE.replace("/*FRAMES*/", &js_strings(self.frames))
            .replace("/*FETCHES*/", &js_strings(self.fetches))
    }
}

/// Paths as a JS array literal. Paths are this harness's own ASCII, so Rust's debug quoting
/// is valid JS.
fn js_strings(paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Every text the browser gives back goes through `encodeURIComponent`, so the report is
/// plain ASCII with no character the DOM serializer escapes, and survives any name or
/// description byte for byte. `String(duration)` is the shortest text that reads back as the
/// same double.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>Server-Timing probe</title>
<pre id="report">PENDING</pre>
<script>
"use strict";
const frames = /*FRAMES*/;
const fetches = /*FETCHES*/;
const PARALLEL = 8;

function load(src) {
  return new Promise((resolve, reject) => {
    const frame = document.createElement("iframe");
    frame.onload = () => resolve(frame);
    frame.onerror = () => reject(new Error("frame failed: " + src));
    frame.src = src;
    document.body.append(frame);
  });
}

function collect(lines, index, win) {
  for (const kind of ["navigation", "resource"]) {
    for (const entry of win.performance.getEntriesByType(kind)) {
      lines.push(["entry", index, kind, encodeURIComponent(entry.name)].join(" "));
      for (const m of entry.serverTiming) {
        lines.push(["metric", encodeURIComponent(m.name), String(m.duration), encodeURIComponent(m.description)].join(" "));
      }
    }
  }
}

async function run() {
  // The default buffer holds 250 entries; entries past it would be dropped silently.
  performance.setResourceTimingBufferSize(100000);
  const loaded = [];
  for (const src of frames) loaded.push(await load(src));
  for (let i = 0; i < fetches.length; i += PARALLEL) {
    await Promise.all(fetches.slice(i, i + PARALLEL).map(async (url) => {
      const response = await fetch(url, { cache: "no-store" });
      await response.arrayBuffer();
    }));
  }
  // Timers in frames (the demo's own fetches) get the time to finish: virtual time does
  // not pass while a request is pending.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const lines = [];
  collect(lines, 0, window);
  loaded.forEach((frame, i) => collect(lines, i + 1, frame.contentWindow));
  return lines.join("\n");
}

run().then(
  (text) => { document.getElementById("report").textContent = "BEGIN\n" + text + "\nEND"; },
  (error) => { document.getElementById("report").textContent = "ERROR " + encodeURIComponent(String(error && error.stack || error)); },
);
</script>
"#;

/// The entries the probe page wrote into `dom`; panics with what it found instead.
pub fn read_report(dom: &str) -> Vec<Observed> {
    let text = dom
        .split_once(r#"<pre id="report">"#)
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(text, _)| text)
        .unwrap_or_else(|| panic!("no report element in the DOM:\n{dom}"));
    if let Some(error) = text.strip_prefix("ERROR ") {
        panic!("the probe page failed: {}", decode(error));
    }
    let report = text
        .strip_prefix("BEGIN\n")
        .and_then(|rest| rest.strip_suffix("END"))
        .unwrap_or_else(|| panic!("the probe page did not finish; its DOM:\n{dom}"));
    let mut observed: Vec<Observed> = Vec::new();
    for line in report.lines().filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(' ').collect();
        match fields[..] {
            ["entry", window, kind, url] => observed.push(Observed {
                window: window.parse().unwrap_or_else(|_| panic!("bad line {line:?}")),
                kind: match kind {
                    "navigation" => Kind::Navigation,
                    "resource" => Kind::Resource,
                    _ => panic!("bad line {line:?}"),
                },
                url: decode(url),
                server_timing: Vec::new(),
            }),
            ["metric", name, duration, description] => {
                let entry = observed
                    .last_mut()
                    .unwrap_or_else(|| panic!("a metric before any entry: {line:?}"));
                entry.server_timing.push(ParsedMetric {
                    name: decode(name),
                    duration: duration
                        .parse()
                        .unwrap_or_else(|_| panic!("bad duration in {line:?}")),
                    description: decode(description),
                });
            }
            _ => panic!("bad report line {line:?}"),
        }
    }
    observed
}

/// Undo `encodeURIComponent`: `%XX` escapes of UTF-8 bytes.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = text
                .get(at + 1..at + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or_else(|| panic!("bad escape in {text:?}"));
            out.push(hex);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("not UTF-8 after decoding {text:?}: {e}"))
}
