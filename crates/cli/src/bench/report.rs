//! The bench's results: a table for people, JSON for machines.

use super::load::Outcome;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(histogram: &Histogram<u64>) -> Option<Latency> {
        let ms = |micros: u64| micros as f64 / 1000.0;
        (!histogram.is_empty()).then(|| Latency {
            count: histogram.len(),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Phase {
    pub name: String,
    pub backend: String,
    pub seconds: f64,
    pub completed: u64,
    pub errors: u64,
    /// Completed orders (or lifecycles) per second.
    pub per_second: f64,
    pub place_order: Option<Latency>,
    pub place_to_baker_email: Option<Latency>,
    pub lifecycle: Option<Latency>,
    /// The server's CPU during the phase, in cores (1.0 = one core busy all the time).
    pub server_cores: f64,
}

impl Phase {
    pub fn new(name: String, backend: &str, outcome: &Outcome, server_cpu_seconds: f64) -> Phase {
        let seconds = outcome.elapsed.as_secs_f64();
        Phase {
            name,
            backend: backend.to_owned(),
            seconds,
            completed: outcome.completed,
            errors: outcome.errors,
            per_second: outcome.completed as f64 / seconds.max(f64::EPSILON),
            place_order: Latency::of(&outcome.recorded.place),
            place_to_baker_email: Latency::of(&outcome.recorded.email),
            lifecycle: Latency::of(&outcome.recorded.lifecycle),
            server_cores: server_cpu_seconds / seconds.max(f64::EPSILON),
        }
    }
}

/// Latencies of single requests against a store of a given size.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalePoint {
    pub stored_orders: u64,
    pub store_bytes: u64,
    pub get_order: Option<Latency>,
    pub open_orders_view: Option<Latency>,
    pub place_order: Option<Latency>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub machine: String,
    pub phases: Vec<Phase>,
    /// Lifecycles per second on the embedded store over the same on the AWS backend (moto).
    pub embedded_over_emulator: Option<f64>,
    pub server_peak_rss_mb: f64,
    pub store_bytes: u64,
    pub scale: Vec<ScalePoint>,
}

fn cell(latency: &Option<Latency>) -> String {
    match latency {
        Some(l) => format!("{:.2} / {:.2} / {:.2}", l.p50_ms, l.p99_ms, l.p999_ms),
        None => "–".into(),
    }
}

impl Report {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "machine: {}", self.machine);
        let _ = writeln!(
            out,
            "{:<34} {:>8} {:>9} {:>6} {:>22} {:>22} {:>22} {:>6}",
            "phase",
            "done",
            "per s",
            "errors",
            "POST /order p50/99/99.9",
            "→ email p50/99/99.9",
            "lifecycle p50/99/99.9",
            "cores"
        );
        for phase in &self.phases {
            let _ = writeln!(
                out,
                "{:<34} {:>8} {:>9.0} {:>6} {:>22} {:>22} {:>22} {:>6.2}",
                format!("{} [{}]", phase.name, phase.backend),
                phase.completed,
                phase.per_second,
                phase.errors,
                cell(&phase.place_order),
                cell(&phase.place_to_baker_email),
                cell(&phase.lifecycle),
                phase.server_cores,
            );
        }
        if let Some(ratio) = self.embedded_over_emulator {
            let _ = writeln!(
                out,
                "lifecycles/s, embedded store over AWS backend on moto: {ratio:.1}x"
            );
        }
        let _ = writeln!(
            out,
            "server peak RSS {:.1} MB; store {:.1} MB (latencies in ms)",
            self.server_peak_rss_mb,
            self.store_bytes as f64 / 1e6
        );
        for point in &self.scale {
            let _ = writeln!(
                out,
                "{:>9} orders stored ({:>7.1} MB): GET /order/{{id}} {}  GET /orders?status=placed {}  POST /order {}",
                point.stored_orders,
                point.store_bytes as f64 / 1e6,
                cell(&point.get_order),
                cell(&point.open_orders_view),
                cell(&point.place_order),
            );
        }
        out
    }
}

/// What the numbers were taken on.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let memory_gb = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!(
        "{cores} cores ({model}), {memory_gb:.0} GB RAM, {}",
        std::env::consts::OS
    )
}
