//! The page a screenshot is taken of: the demo page in a frame that fills the window, in a
//! page whose `load` event waits until the demo has fetched and drawn its breakdowns.
//!
//! Headless Chromium captures a page at its `load` event, and the demo fetches only after
//! its own. Chromium's virtual time (`--virtual-time-budget`) would wait for the fetches,
//! but it skews the clock the page's own timings are read from ("time to first byte"
//! longer than what "the browser saw"), and those numbers are on the picture. So an image
//! the page holds back delays its `load` until the demo says it is ready, in real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use tokio::sync::Notify;

/// Where the page is served.
pub const PAGE: &str = "/__test/screenshot";
const HOLD: &str = "/__test/screenshot/hold";
const RELEASE: &str = "/__test/screenshot/release";

/// Longest the page's `load` is held back; past it the picture is taken as the page is.
const HOLD_LIMIT: Duration = Duration::from_secs(30);

const TEMPLATE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>Server-Timing demo</title>
<style>
  html, body { margin: 0; height: 100%; overflow: hidden; }
  iframe { display: block; border: 0; width: 100%; height: 100%; }
</style>
<iframe id="demo" src="/*DEMO*/"></iframe>
<img alt="" src="/*HOLD*/" hidden>
<script>
"use strict";
const frame = document.getElementById("demo");
const poll = setInterval(() => {
  const doc = frame.contentDocument;
  if (doc && doc.documentElement.dataset.ready === "true") {
    clearInterval(poll);
    // Let the last breakdown be painted before the picture.
    requestAnimationFrame(() => requestAnimationFrame(() => fetch("/*RELEASE*/")));
  }
}, 50);
</script>
"#;

/// The screenshot page's routes, and whether the demo got ready under it.
#[derive(Clone, Debug, Default)]
pub struct ScreenshotPage {
    release: Arc<Notify>,
    released: Arc<AtomicBool>,
}

impl ScreenshotPage {
    /// Whether the demo in the page said it was ready (and the page let its `load` go).
    pub fn released(&self) -> bool {
        self.released.load(Ordering::SeqCst)
    }

    /// The routes serving the page, which shows the demo at `demo_target`.
    pub fn routes(
        &self,
        demo_target: &'static str,
    ) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static + use<> {
        let page = self.clone();
        move |cfg| {
            let html = TEMPLATE
                .replace("/*DEMO*/", demo_target)
                .replace("/*HOLD*/", HOLD)
                .replace("/*RELEASE*/", RELEASE);
            let (hold, release) = (page.clone(), page.clone());
            cfg.route(
                PAGE,
                web::get().to(move || {
                    let html = html.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("text/html; charset=utf-8")
                            .body(html)
                    }
                }),
            )
            .route(
                HOLD,
                web::get().to(move || {
                    let hold = hold.clone();
                    async move {
                        let _ = actix_web::rt::time::timeout(HOLD_LIMIT, hold.release.notified()).await;
                        HttpResponse::NoContent().finish()
                    }
                }),
            )
            .route(
                RELEASE,
                web::get().to(move || {
                    release.released.store(true, Ordering::SeqCst);
                    // Kept as a permit when the hold's request has not arrived yet.
                    release.release.notify_one();
                    async { HttpResponse::NoContent().finish() }
                }),
            );
        }
    }
}
