// The page side of the Sentry test (tests/tests/browser/sentry.rs): Sentry's browser SDK with
// browserTracingIntegration, set up as an application sets it up, sending to the DSN its script
// tag names (the test's loopback collector). The page has no `sentry-trace` meta tag: the
// pageload continues the trace the navigation's Server-Timing names.
//
// The script tag may also name a `traceLifecycle`: the SDK streams spans by default (its
// pageload a segment span), and with "static" sends the pageload as one transaction.
import * as Sentry from '@sentry/browser';

const { dsn, traceLifecycle } = document.currentScript.dataset;

Sentry.init({
  dsn,
  integrations: [Sentry.browserTracingIntegration()],
  tracesSampleRate: 1.0,
  ...(traceLifecycle ? { traceLifecycle } : {}),
});
