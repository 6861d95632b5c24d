//! What the actix end-to-end tests share: a real 2-worker server on 127.0.0.1:0, a client, and
//! a reader for the `Server-Timing` fields a response carries.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use server_timing_runtime::actix::ServerTiming;

/// A running server; stop it with [`Server::stop`] at the end of the test.
pub struct Server {
    pub addr: SocketAddr,
    handle: ServerHandle,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Start `App::new().wrap(timing).configure(routes)` with two workers, as a real deployment
/// would run it: requests may land on either worker thread.
pub fn serve(
    timing: ServerTiming,
    routes: impl Fn(&mut web::ServiceConfig) + Send + Sync + Clone + 'static,
) -> Server {
    serve_with_workers(2, timing, routes)
}

/// [`serve`] with `workers` worker threads.
pub fn serve_with_workers(
    workers: usize,
    timing: ServerTiming,
    routes: impl Fn(&mut web::ServiceConfig) + Send + Sync + Clone + 'static,
) -> Server {
    let server = HttpServer::new(move || {
        let routes = routes.clone();
        App::new().wrap(timing.clone()).configure(move |cfg| routes(cfg))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(("127.0.0.1", 0))
    .expect("bind 127.0.0.1:0");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Server { addr, handle }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a plain HTTP client")
}

/// One `Server-Timing` entry as a browser reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub dur: Option<String>,
    pub desc: Option<String>,
}

impl Entry {
    pub fn millis(&self) -> f64 {
        let dur = self
            .dur
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no dur", self.name));
        dur.parse()
            .unwrap_or_else(|_| panic!("{} has dur={dur}", self.name))
    }
}

/// Every `Server-Timing` field of `response`, as raw strings, in order.
pub fn fields(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("server-timing")
        .iter()
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
        .collect()
}

/// The entries of the last `Server-Timing` field: the one the middleware appends.
pub fn last_entries(response: &reqwest::Response) -> Vec<Entry> {
    let fields = fields(response);
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

pub fn names(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.name.as_str()).collect()
}
