// The page side of the RUM test (tests/tests/browser/rum.rs): Grafana Faro's web SDK with its tracing
// package, as an application would set it up, sending to the test server's `/collect`.
// Once the page has loaded it makes one `fetch` (a resource whose Server-Timing Faro reads
// too), then says so in the DOM for the test to see.
import { getWebInstrumentations, initializeFaro } from '@grafana/faro-web-sdk';
import { TracingInstrumentation } from '@grafana/faro-web-tracing';

initializeFaro({
  url: '/collect',
  app: { name: 'server-timing-rum-test', version: '1.0.0' },
  instrumentations: [...getWebInstrumentations({ captureConsole: false }), new TracingInstrumentation()],
  batching: { enabled: true, sendTimeout: 100 },
});

window.addEventListener('load', () => {
  fetch('/api')
    .then((response) => response.text())
    .then((text) => {
      document.getElementById('fetched').textContent = text;
    })
    .catch((error) => {
      document.getElementById('fetched').textContent = `fetch failed: ${error}`;
    });
});
