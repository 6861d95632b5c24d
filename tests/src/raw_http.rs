//! A raw HTTP/1.1 server on loopback for the outgoing-call tests: it reads each request's head
//! and answers with the bytes a test makes from it, so the test controls every byte of the
//! response (headers a real framework would refuse to send included).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
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
