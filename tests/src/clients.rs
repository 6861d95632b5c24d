//! HTTP clients for the tests: no proxy from the environment, each with its own pool.

/// A plain client: HTTP/1.1 or HTTP/2 as the server offers.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a plain HTTP client")
}

/// A client that speaks HTTP/1.1 only.
pub fn http1_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .build()
        .expect("a plain HTTP/1.1 client")
}
