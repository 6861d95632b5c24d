// A `metrics` recorder for the doc examples of `server_timing_runtime::metrics` (included
// into each): it keeps what it is given, as an exporter would, in order.

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use std::sync::{Arc, Mutex};
/// A recorder that keeps what it is given: the names described, and each recording as
/// `name{label=value,...}` with its value.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<(Vec<String>, Vec<(String, f64)>)>>);
struct Handle(Key, Recorder);
impl Recorder {
    fn push(&self, key: &Key, value: f64) {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        self.0
            .lock()
            .unwrap()
            .1
            .push((format!("{}{{{}}}", key.name(), labels.join(",")), value));
    }
    pub fn described(&self) -> Vec<String> {
        self.0.lock().unwrap().0.clone()
    }
    pub fn recorded(&self) -> Vec<(String, f64)> {
        self.0.lock().unwrap().1.clone()
    }
    pub fn keys(&self) -> Vec<String> {
        self.recorded().into_iter().map(|(key, _)| key).collect()
    }
}
impl metrics::HistogramFn for Handle {
    fn record(&self, value: f64) {
        self.1.push(&self.0, value)
    }
}
impl metrics::CounterFn for Handle {
    fn increment(&self, n: u64) {
        self.1.push(&self.0, n as f64)
    }
    fn absolute(&self, _: u64) {}
}
impl metrics::Recorder for Recorder {
    fn describe_counter(&self, name: KeyName, _: Option<Unit>, _: SharedString) {
        self.0.lock().unwrap().0.push(name.as_str().to_owned())
    }
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, name: KeyName, _: Option<Unit>, _: SharedString) {
        self.0.lock().unwrap().0.push(name.as_str().to_owned())
    }
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(Arc::new(Handle(key.clone(), self.clone())))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(Arc::new(Handle(key.clone(), self.clone())))
    }
}
