//! Every argument form, and the name taken from the fn (with `r#` stripped).

use server_timing_runtime::{server_timing, Timings};

#[server_timing]
fn parse_body(raw: &str) -> usize {
    raw.len()
}

#[server_timing]
fn r#match() -> bool {
    true
}

#[server_timing("db")]
async fn load_user(id: u64) -> Result<u64, std::io::Error> {
    Ok(id)
}

#[server_timing("cache", desc = "Cache \"hot\" read \\ 1")]
fn read_cache() {}

#[server_timing("render", desc = "HTML")]
fn render() {}

#[server_timing(
    "db.write-2",
    desc = "",
    crate = ::server_timing_runtime,
)]
fn write() {}

fn main() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        assert_eq!(parse_body("{}"), 2);
        assert!(r#match());
        assert_eq!(load_user(7).await.unwrap(), 7);
        read_cache();
        render();
        write();
    }));
    let metrics: Vec<_> = timings
        .metrics()
        .iter()
        .map(|m| (m.name().to_owned(), m.description().map(str::to_owned), m.count()))
        .collect();
    let expected = [
        ("parse_body", None, 1),
        ("match", None, 1),
        ("db", None, 1),
        ("cache", Some("Cache \"hot\" read \\ 1"), 1),
        ("render", Some("HTML"), 1),
        ("db.write-2", None, 1),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(n, d, c)| ((*n).to_owned(), d.map(str::to_owned), *c))
        .collect();
    assert_eq!(metrics, expected);
}
