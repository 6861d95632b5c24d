//! A timed fn that returns `Err(_)` is marked `failed`, whatever its form; `Ok` is not, nor is
//! any other return type; the value returned is the one the fn made.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use server_timing_runtime::{Options, Timings, server_timing};
use server_timing_tests::both_adapters::both;

#[server_timing("sync_fn")]
fn sync_fn(ok: bool) -> Result<u8, String> {
    if ok {
        return Ok(1);
    }
    let n: u8 = "x".parse().map_err(|_| "not a number".to_owned())?;
    Ok(n)
}

#[server_timing("io_alias")]
fn io_alias(ok: bool) -> std::io::Result<&'static str> {
    if ok {
        Ok("fine")
    } else {
        Err(std::io::Error::other("disk"))
    }
}

type DbResult<T> = Result<T, String>;

#[server_timing("own_alias")]
fn own_alias(ok: bool) -> DbResult<Vec<u8>> {
    ok.then(|| vec![1]).ok_or_else(|| "none".to_owned())
}

#[server_timing("borrowed")]
fn borrowed(text: &str, ok: bool) -> Result<&str, ()> {
    if ok { Ok(text.trim()) } else { Err(()) }
}

#[server_timing("generic")]
fn generic<T: Clone, E>(value: &T, error: Option<E>) -> Result<T, E> {
    match error {
        Some(error) => Err(error),
        None => Ok(value.clone()),
    }
}

#[server_timing("async_fn")]
async fn async_fn(ok: bool) -> Result<u8, String> {
    futures::future::ready(()).await;
    if ok { Ok(2) } else { Err("no".to_owned()) }
}

#[server_timing("impl_future")]
fn impl_future(ok: bool) -> impl Future<Output = Result<u8, String>> {
    async move { ok.then_some(3).ok_or_else(|| "no".to_owned()) }
}

#[server_timing("ready_future")]
fn ready_future(ok: bool) -> impl Future<Output = Result<u8, String>> {
    std::future::ready(ok.then_some(4).ok_or_else(|| "no".to_owned()))
}

#[server_timing("boxed")]
fn boxed(ok: bool) -> Pin<Box<dyn Future<Output = Result<u8, String>> + Send>> {
    Box::pin(async move { ok.then_some(5).ok_or_else(|| "no".to_owned()) })
}

#[async_trait]
trait Store {
    async fn get(&self, ok: bool) -> Result<u8, String>;
}

struct Memory;

#[async_trait]
impl Store for Memory {
    #[server_timing("async_trait")]
    async fn get(&self, ok: bool) -> Result<u8, String> {
        ok.then_some(6).ok_or_else(|| "no".to_owned())
    }
}

#[server_timing("not_a_result")]
fn not_a_result(ok: bool) -> Option<u8> {
    ok.then_some(7)
}

#[server_timing("not_a_result_async")]
async fn not_a_result_async(ok: bool) -> Option<u8> {
    ok.then_some(8)
}

#[test]
fn err_is_marked_failed_in_every_form_and_ok_is_not() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        for ok in [true, false] {
            // What each fn returns is what its body made.
            assert_eq!(sync_fn(ok).is_ok(), ok);
            assert_eq!(io_alias(ok).ok(), ok.then_some("fine"));
            assert_eq!(own_alias(ok).ok(), ok.then(|| vec![1]));
            assert_eq!(borrowed(" x ", ok), if ok { Ok("x") } else { Err(()) });
            assert_eq!(
                generic(&9, (!ok).then_some('e')),
                if ok { Ok(9) } else { Err('e') }
            );
            assert_eq!(async_fn(ok).await.ok(), ok.then_some(2));
            assert_eq!(impl_future(ok).await.ok(), ok.then_some(3));
            assert_eq!(ready_future(ok).await.ok(), ok.then_some(4));
            assert_eq!(boxed(ok).await.ok(), ok.then_some(5));
            assert_eq!(Memory.get(ok).await.ok(), ok.then_some(6));
            assert_eq!(not_a_result(ok), ok.then_some(7));
            assert_eq!(not_a_result_async(ok).await, ok.then_some(8));
        }
    }));
    for metric in timings.metrics() {
        assert_eq!(metric.count(), 2, "{metric:?}");
        let expected = u32::from(!metric.name().starts_with("not_a_result"));
        assert_eq!(metric.failed(), expected, "{metric:?}");
    }
    assert_eq!(timings.metrics().len(), 12);
}

#[test]
fn only_ok_calls_are_not_marked() {
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        let _ = sync_fn(true);
    });
    futures::executor::block_on(timings.scope(async {
        let _ = async_fn(true).await;
    }));
    let value = timings.finish().expect("a value");
    let value = value.to_str().expect("ASCII");
    assert!(!value.contains("failed"), "{value}");
    assert!(timings.metrics().iter().all(|m| m.failed() == 0));
}

#[server_timing("db", desc = "DB read")]
async fn read_row(ok: bool) -> Result<u8, String> {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    ok.then_some(1).ok_or_else(|| "gone".to_owned())
}

fn one_failed_read() -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(async {
        let _ = read_row(false).await;
        String::new()
    })
}

fn one_of_three_failed() -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(async {
        for ok in [true, false, true] {
            let _ = read_row(ok).await;
        }
        String::new()
    })
}

#[test]
fn the_header_says_failed_as_it_says_cancelled() {
    for answer in both(Options::new(), one_failed_read) {
        assert_eq!(
            answer.metric("db").description,
            "DB read (failed)",
            "{}",
            answer.adapter
        );
    }
    for answer in both(Options::new(), one_of_three_failed) {
        assert_eq!(
            answer.metric("db").description,
            "DB read (3 calls, 1 failed)",
            "{}",
            answer.adapter
        );
    }
}
