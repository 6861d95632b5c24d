//! Header injection over a real socket: names and descriptions built from hostile request
//! data (CR, LF, NUL, quotes, backslashes, separators, non-ASCII, invalid UTF-8, a megabyte)
//! stay inside one valid `Server-Timing` field, add no header, and read back exactly as the
//! documented sanitization says.

use std::collections::BTreeSet;
use std::time::Duration;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::{FutureExt, describe, parse, record, sanitize_description, sanitize_name, timer};
use server_timing_tests::actix_server::{ActixServer, serve_with_workers};
use server_timing_tests::clients::http1_client;
use server_timing_tests::memory;
use server_timing_tests::raw_http::{RawResponse, raw_exchange};

const MEGABYTE: usize = 1 << 20;

/// Inputs meant to break out of the header value, the field, or the entry.
fn hostile_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut mixed = Vec::with_capacity(MEGABYTE);
    while mixed.len() < MEGABYTE {
        mixed.extend_from_slice("\"\\\r\n\0,;=\u{e9}\u{2603}x".as_bytes());
    }
    vec![
        ("CRLF and a header", b"x\r\nX-Injected: yes".to_vec()),
        (
            "response splitting",
            b"\r\n\r\nHTTP/1.1 200 OK\r\nX-Smuggled: 1\r\nContent-Length: 0\r\n\r\n".to_vec(),
        ),
        ("bare CR and LF", b"a\rb\nc\r".to_vec()),
        ("NUL", b"nul\0byte\0".to_vec()),
        ("a second entry", br#"x";dur=999, evil;desc="pwned"#.to_vec()),
        ("quotes and backslashes", br#"\"\\" "\" \\"#.to_vec()),
        ("a trailing backslash", b"ends with \\".to_vec()),
        ("separators", b",;=, ;\t,".to_vec()),
        (
            "other controls",
            b"tab\tdel\x7fbell\x07esc\x1b[31m\x0b\x0c".to_vec(),
        ),
        (
            "non-ASCII",
            "caf\u{e9} \u{2603} \u{65e5}\u{672c} \u{2028}\u{85}\u{202e}\u{1f600}"
                .as_bytes()
                .to_vec(),
        ),
        (
            "invalid UTF-8",
            vec![0xff, 0xfe, b'a', 0xc3, b'\r', b'\n', 0x80, 0xe9],
        ),
        ("empty", Vec::new()),
        ("spaces", b"   ".to_vec()),
        ("a megabyte of all of the above", mixed),
        ("a megabyte of one letter", vec![b'a'; MEGABYTE]),
    ]
}

/// Records the text every way an application can: `describe`, `record`, `timer`, `timed`.
async fn record_everything(text: String) -> HttpResponse {
    describe(format!("d{text}"), text.clone());
    record(format!("r{text}"), Duration::from_millis(1));
    drop(timer(format!("t{text}")).description(text.clone()));
    async {}.timed(format!("f{text}")).description(text).await;
    HttpResponse::Ok()
        .insert_header(ContentType::plaintext())
        .body("ok")
}

async fn from_body(body: web::Bytes) -> HttpResponse {
    record_everything(String::from_utf8_lossy(&body).into_owned()).await
}

async fn from_query(query: web::Query<Vec<(String, String)>>) -> HttpResponse {
    let text = query
        .iter()
        .find(|(k, _)| k == "s")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    record_everything(text).await
}

fn start() -> ActixServer {
    serve_with_workers(2, ServerTiming::new(), |cfg| {
        cfg.app_data(web::PayloadConfig::new(4 * MEGABYTE))
            .route("/body", web::post().to(from_body))
            .route("/query", web::get().to(from_query));
    })
}

/// What the header must say for `text`: (name, description) after `total`, as a browser reads
/// them, from the public sanitization functions.
fn expected_entries(text: &str) -> Vec<(String, String)> {
    let described = sanitize_description(text);
    vec![
        (sanitize_name(&format!("d{text}")), described.clone()),
        (sanitize_name(&format!("r{text}")), String::new()),
        (sanitize_name(&format!("t{text}")), described.clone()),
        (sanitize_name(&format!("f{text}")), described),
    ]
}

fn check_field(case: &str, text: &str, field: &str) {
    let metrics = parse(field);
    assert_eq!(
        metrics.first().map(|m| m.name.as_str()),
        Some("total"),
        "{case}: {field}"
    );
    let read: Vec<(String, String)> = metrics[1..]
        .iter()
        .map(|m| (m.name.clone(), m.description.clone()))
        .collect();
    assert_eq!(read, expected_entries(text), "{case}: {field}");
    assert_eq!(metrics[2].duration, 1.0, "{case}: {field}");
    assert!(
        field.len() <= server_timing_runtime::DEFAULT_HEADER_BUDGET,
        "{case}"
    );
}

/// Every byte outside the unreserved set as `%XX`, so the query carries the bytes exactly.
fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn header_names(response: &reqwest::Response) -> BTreeSet<String> {
    response.headers().keys().map(|k| k.as_str().to_owned()).collect()
}

fn expected_names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[actix_web::test]
async fn hostile_names_and_descriptions_read_back_sanitized_in_one_field() {
    let _shared = memory::shared().await;
    let server = start();
    let client = http1_client();
    let expected = expected_names(&["content-length", "content-type", "date", "server-timing"]);
    for (case, bytes) in hostile_inputs() {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut responses = vec![client.post(server.url("/body")).body(bytes.clone()).send().await];
        if bytes.len() < 1024 {
            let url = server.url(&format!("/query?s={}", percent_encode(&bytes)));
            responses.push(client.get(url).send().await);
        }
        for response in responses {
            let response = response.unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(response.status(), 200, "{case}");
            assert_eq!(header_names(&response), expected, "{case}: an unexpected header");
            let fields: Vec<_> = response.headers().get_all("server-timing").iter().collect();
            assert_eq!(fields.len(), 1, "{case}: {fields:?}");
            let field = fields[0]
                .to_str()
                .unwrap_or_else(|_| panic!("{case}: not visible ASCII"));
            check_field(case, &text, field);
            assert_eq!(response.text().await.unwrap(), "ok", "{case}");
        }
    }
    server.stop().await;
}

/// A header line as RFC 9110 allows it: a token, `:`, then visible ASCII, spaces and tabs.
fn assert_valid_line(case: &str, line: &[u8]) {
    let colon = line.iter().position(|&b| b == b':').unwrap_or_else(|| {
        panic!(
            "{case}: a header line without ':': {:?}",
            String::from_utf8_lossy(line)
        )
    });
    let name = std::str::from_utf8(&line[..colon]).unwrap_or_default();
    assert!(
        server_timing_runtime::is_token(name),
        "{case}: header name {name:?}"
    );
    assert!(
        line[colon + 1..]
            .iter()
            .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)),
        "{case}: invalid bytes in {:?}",
        String::from_utf8_lossy(line)
    );
}

fn raw_post(server: &ActixServer, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /body HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        server.addr,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

fn field_names(response: &RawResponse) -> BTreeSet<String> {
    response.fields().into_iter().map(|(name, _)| name).collect()
}

#[actix_web::test]
async fn on_the_wire_hostile_data_stays_inside_one_valid_field() {
    let _shared = memory::shared().await;
    let server = start();
    let limit = Duration::from_secs(20);
    let control = raw_exchange(server.addr, &raw_post(&server, b"benign"), limit).await;
    let expected = expected_names(&[
        "connection",
        "content-length",
        "content-type",
        "date",
        "server-timing",
    ]);
    assert_eq!(field_names(&control), expected);
    for (case, bytes) in hostile_inputs() {
        let response = raw_exchange(server.addr, &raw_post(&server, &bytes), limit).await;
        assert_eq!(response.lines[0], b"HTTP/1.1 200 OK", "{case}");
        for line in &response.lines[1..] {
            assert_valid_line(case, line);
        }
        assert_eq!(field_names(&response), expected, "{case}: an unexpected header");
        let timing: Vec<Vec<u8>> = response
            .fields()
            .into_iter()
            .filter(|(name, _)| name == "server-timing")
            .map(|(_, value)| value)
            .collect();
        assert_eq!(timing.len(), 1, "{case}: one Server-Timing field");
        let field = std::str::from_utf8(&timing[0]).expect("checked ASCII above");
        check_field(case, &String::from_utf8_lossy(&bytes), field);
        assert_eq!(response.body, b"ok", "{case}: the body is the handler's");
    }
    server.stop().await;
}
