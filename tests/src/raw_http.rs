//! HTTP/1.1 as raw bytes on loopback, both ways: a server that answers with the bytes a test
//! makes (headers a real framework would refuse to send included), and an exchange that shows
//! the exact bytes of a response on the wire.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A server on 127.0.0.1:0 that answers each of up to `connections` connections with
/// `answer(head)`, `head` being the request's bytes up to its blank line, then closes it.
/// Returns the URL of its `/stock` and its task: abort the task to stop it.
pub async fn serve<F>(connections: usize, answer: F) -> (String, JoinHandle<()>)
where
    F: Fn(&[u8]) -> Vec<u8> + Clone + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stock", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        for _ in 0..connections {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(&answer(&head)).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, server)
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
