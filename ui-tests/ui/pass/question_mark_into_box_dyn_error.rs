//! `?` converts into `Box<dyn Error>` in timed sync and async fns, and the error exit is timed.

use std::error::Error;

use server_timing_runtime::{server_timing, Timings};

#[server_timing]
fn parse(raw: &str) -> Result<u32, Box<dyn Error>> {
    let n: u32 = raw.parse()?;
    Ok(n)
}

#[server_timing]
async fn parse_async(raw: &str) -> Result<u32, Box<dyn Error + Send + Sync>> {
    let n: u32 = raw.trim().parse()?;
    if n == 0 {
        return Err("zero".into());
    }
    Ok(n)
}

fn main() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        assert_eq!(parse("7").unwrap(), 7);
        assert!(parse("x").is_err());
        assert_eq!(parse_async(" 8 ").await.unwrap(), 8);
        assert_eq!(parse_async("0").await.unwrap_err().to_string(), "zero");
        assert!(parse_async("y").await.is_err());
    }));
    let counts: Vec<_> = timings
        .metrics()
        .iter()
        .map(|m| (m.name().to_owned(), m.count()))
        .collect();
    assert_eq!(counts, [("parse".to_owned(), 2), ("parse_async".to_owned(), 3)]);
}
