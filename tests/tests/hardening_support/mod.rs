//! What the hardening tests share: a real actix server on 127.0.0.1:0, an HTTP client, a raw
//! HTTP/1.1 exchange that shows the exact bytes on the wire, and bounded waiting.

// Each hardening test binary uses only part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "../actix_support/mod.rs"]
mod actix_support;

pub use actix_support::{serve_with_workers as serve, Server};

/// A client with its own connection pool, HTTP/1.1 only, no proxy from the environment.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .build()
        .expect("a plain HTTP client")
}

/// A response as it crossed the wire.
pub struct RawResponse {
    /// The status line and header lines, without their CRLF, as bytes.
    pub lines: Vec<Vec<u8>>,
    /// How many bytes the head took, its final empty line included.
    pub head_len: usize,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The header lines, split at the first `:`; the name lowercased, the value trimmed.
    pub fn fields(&self) -> Vec<(String, Vec<u8>)> {
        self.lines[1..]
            .iter()
            .map(|line| {
                let colon = line.iter().position(|&b| b == b':').unwrap_or_else(|| {
                    panic!("a header line without ':': {:?}", String::from_utf8_lossy(line))
                });
                let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
                let value = line[colon + 1..].trim_ascii().to_vec();
                (name, value)
            })
            .collect()
    }
}

/// Send `request` (a whole HTTP/1.1 request, which should say `Connection: close`) and read
/// the response until the server closes the connection; at most `limit`.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8], limit: Duration) -> RawResponse {
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .expect("connect to the test server");
        stream.write_all(request).await.expect("send the request");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.expect("read the response");
        bytes
    };
    let bytes = tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| panic!("no complete response within {limit:?}"));
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(&bytes)));
    let lines = bytes[..end]
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
        .collect();
    RawResponse {
        lines,
        head_len: end + 4,
        body: bytes[end + 4..].to_vec(),
    }
}

/// Poll `done` every few milliseconds until it is true or `limit` has passed; whether it
/// became true.
pub async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}
