//! sqlx's statement events (target `sqlx::query`, `elapsed_secs`) mapped to a `db` metric, with
//! real sqlx on an in-memory SQLite database, inside real actix and axum requests over
//! loopback.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use server_timing_runtime::{ParsedMetric, Timings, parse_headers};
use server_timing_tests::clients::client;
use server_timing_tests::names::metric;
use server_timing_tests::wait::run;
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use tracing::field::{Field, Visit};
use tracing::{Event, Instrument, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::subscriber::install;

/// What sqlx itself said about each statement: its summary and its `elapsed_secs`.
static STATEMENTS: Mutex<Vec<(String, f64)>> = Mutex::new(Vec::new());

/// A second layer that keeps sqlx's own numbers, to compare the metric with.
pub struct Statements;

impl<S: Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut fields = StatementFields::default();
        event.record(&mut fields);
        if let (Some(summary), Some(secs)) = (fields.summary, fields.elapsed_secs) {
            STATEMENTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((summary, secs));
        }
    }
}

#[derive(Default)]
struct StatementFields {
    summary: Option<String>,
    elapsed_secs: Option<f64>,
}

impl Visit for StatementFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.summary = Some(value.to_owned());
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed_secs = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// This module's instance in the binary's subscriber: sqlx's statement events as `db`, and
/// the spans this module makes.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let sqlx_and_this_module = Targets::new()
        .with_target("sqlx::query", Level::TRACE)
        .with_target(module_path!(), Level::TRACE);
    server_timing_runtime::tracing::layer()
        .event("sqlx::query", "db")
        .with_filter(sqlx_and_this_module)
}

/// sqlx's `elapsed_secs` for the one statement whose summary starts with `tag`'s query.
fn statement_millis(tag: &str) -> f64 {
    let statements = STATEMENTS.lock().unwrap_or_else(PoisonError::into_inner);
    let mine: Vec<_> = statements
        .iter()
        .filter(|(summary, _)| summary.contains(&format!("'{tag}'")))
        .collect();
    assert_eq!(mine.len(), 1, "statements for {tag}: {statements:?}");
    mine[0].1 * 1e3
}

/// A statement that takes a while (counting rows of a recursive CTE), tagged so that its
/// summary (sqlx's first four words) tells it apart from other tests' statements.
fn slow_sql(tag: &str) -> String {
    format!(
        "SELECT count(*), '{tag}' FROM (WITH RECURSIVE c(x) AS \
         (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c)"
    )
}

#[tracing::instrument(skip(pool))]
async fn count_rows(pool: &SqlitePool, tag: &'static str) -> i64 {
    let sql = slow_sql(tag);
    sqlx::query_scalar::<_, i64>(&sql)
        .fetch_one(pool)
        .await
        .expect("the statement runs")
}

async fn pool() -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database")
}

/// The `db` entry of a response, and what sqlx measured for the statement behind it.
fn check_db(metrics: &[ParsedMetric], tag: &str) {
    let db: Vec<_> = metrics.iter().filter(|m| m.name == "db").collect();
    assert_eq!(db.len(), 1, "{metrics:?}");
    let statement = statement_millis(tag);
    assert!(statement > 0.0);
    // The metric is the statement's own time, at the header's precision (3 decimals).
    assert!(
        (db[0].duration - statement).abs() <= 0.001,
        "db {} ms, sqlx said {statement} ms",
        db[0].duration
    );
}

#[actix_web::test]
async fn a_query_in_an_actix_request_is_the_db_metric() {
    use actix_web::web;
    install();
    let pool = pool().await;
    let server = server_timing_tests::actix_server::serve_with_workers(
        1,
        server_timing_runtime::actix::ServerTiming::default(),
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(web::Data::new(pool.clone())).route(
                "/",
                web::get().to(|pool: web::Data<SqlitePool>| async move {
                    count_rows(&pool, "actix").await.to_string()
                }),
            );
        },
    );

    let headers = count_over_http(&server.url("/")).await;
    server.stop().await;
    check_db(&parse_headers(&headers), "actix");
}

/// The response headers of the row count served at `url`, after checking the count.
async fn count_over_http(url: &str) -> reqwest::header::HeaderMap {
    let response = client()
        .get(url)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("the server answers");
    let headers = response.headers().clone();
    assert_eq!(response.text().await.unwrap(), "100000");
    headers
}

#[test]
fn a_query_in_an_axum_request_is_the_db_metric() {
    use axum::{Router, extract::State, routing::get};
    install();
    run(async {
        let pool = pool().await;
        let app =
            Router::new()
                .route(
                    "/",
                    get(|State(pool): State<SqlitePool>| async move {
                        count_rows(&pool, "axum").await.to_string()
                    }),
                )
                .with_state(pool)
                .layer(server_timing_runtime::tower::ServerTimingLayer::default());
        let server = server_timing_tests::axum_server::AxumServer::start(app).await;

        let headers = count_over_http(&server.url("/")).await;
        server.stop().await;
        check_db(&parse_headers(&headers), "axum");
    });
}

#[test]
fn a_query_inside_a_db_span_is_not_counted_twice() {
    install();
    run(async {
        let pool = pool().await;
        let timings = Timings::new();
        let sql = slow_sql("nested");
        // Made in the request: a span made outside one would not belong to it.
        let span = timings.sync_scope(|| tracing::info_span!("load", server_timing = "db"));
        timings
            .scope(
                async {
                    sqlx::query_scalar::<_, i64>(&sql)
                        .fetch_one(&pool)
                        .await
                        .expect("the statement runs")
                }
                .instrument(span),
            )
            .await;
        // The span closes when its last handle is dropped, and sqlx's worker thread drops the
        // one it was sent just after it answers: wait for it, bounded.
        let waited = Instant::now();
        while timings.metrics().is_empty() && waited.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let db = metric(&timings, "db");
        assert_eq!(db.count(), 1, "{db:?}");
        // The span's time, which holds the statement's.
        assert!(db.duration().unwrap().as_secs_f64() * 1e3 >= statement_millis("nested"));
    });
}

#[test]
fn a_query_under_a_span_of_the_request_is_recorded_though_sqlite_runs_it_on_its_own_thread() {
    install();
    run(async {
        let pool = pool().await;
        let timings = Timings::new();
        // An ordinary span (no `server_timing` field) made in the request carries it to
        // sqlx's worker thread.
        timings.scope(count_rows(&pool, "worker")).await;
        let db = metric(&timings, "db");
        assert_eq!(db.count(), 1);
        let recorded = db.duration().unwrap().as_secs_f64() * 1e3;
        assert!((recorded - statement_millis("worker")).abs() < 1e-6, "{recorded}");
    });
}
