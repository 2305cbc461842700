//! The performance gate's load, sent from here: the Job's number of requests
//! at its concurrency (ab), or its arrivals per second (Artillery), each on a
//! new connection, judged as the Job judges: no failed or non-2xx request
//! (redirects are not followed, as ab does not), and the mean latency below
//! the limit.

use super::http;
use super::{GateResult, Target};
use crate::defs::gates::JobPlan;
use crate::defs::gates::performance::{ArrivalPlan, LatencyLimit, LoadPlan};
use crate::plan::{Gate, Verdict};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Most requests in flight at once under Artillery's arrivals.
const MAX_IN_FLIGHT: usize = 256;

#[derive(Default)]
struct Tally {
    ok: usize,
    failed: usize,
    non_2xx: usize,
    /// Response times of answered requests.
    total: Duration,
    answered: usize,
    first_error: Option<String>,
    /// Requests not sent: the run's deadline had passed.
    unsent: usize,
}

pub fn run(
    job: &JobPlan,
    load: &LoadPlan,
    limit: Option<LatencyLimit>,
    target: &Target,
) -> GateResult {
    let url = http::join(&target.url, &job.path);
    let agent = http::agent(target.timeout, true);
    let tally = Mutex::new(Tally::default());
    let one = |started: Instant| send_one(&agent, &url, target, &tally, started);
    let started = Instant::now();
    let (load_text, sent) = drive(load, &one);
    let elapsed = started.elapsed();
    let t = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    // The Job's figure: ab's "Time per request" (concurrency × wall time /
    // requests), Artillery's mean response time.
    let mean_ms = match *load {
        LoadPlan::Ab { concurrency, .. } => {
            concurrency as f64 * elapsed.as_secs_f64() * 1000.0 / sent.max(1) as f64
        }
        LoadPlan::Artillery { .. } => t.total.as_secs_f64() * 1000.0 / t.answered.max(1) as f64,
    };
    let threshold = match limit {
        Some(limit) => format!("mean < {limit} ms, every answer 2xx"),
        None => "every answer 2xx (no latency limit)".to_owned(),
    };
    let mut measured = format!(
        "mean {mean_ms:.2} ms; {} of {sent} 2xx, {} failed, {} non-2xx ({load})",
        t.ok,
        t.failed,
        t.non_2xx,
        load = load_text
    );
    if let Some(e) = &t.first_error {
        measured.push_str(&format!("; first failure: {e}"));
    }
    if t.unsent > 0 {
        measured.push_str(&format!(
            "; {} not sent: the run's deadline passed (--deadline)",
            t.unsent
        ));
    }
    let verdict = if t.failed > 0 || t.non_2xx > 0 || t.answered == 0 || t.unsent > 0 {
        Verdict::Fail
    } else {
        match limit {
            Some(limit) if mean_ms >= limit.ms() => Verdict::Fail,
            _ => Verdict::Pass,
        }
    };
    GateResult {
        gate: Gate::Performance,
        name: "performance".into(),
        verdict,
        measured,
        value: Some(mean_ms),
        threshold,
        target: format!("GET {url}"),
    }
}

/// One request of the load, its outcome tallied (or counted as not sent
/// past the run's deadline).
fn send_one(
    agent: &ureq::Agent,
    url: &str,
    target: &Target,
    tally: &Mutex<Tally>,
    started: Instant,
) {
    if target.past_deadline() {
        let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
        t.unsent += 1;
        return;
    }
    let send = || {
        agent.get(url).call().and_then(|mut r| {
            // The whole answer, as ab reads it, streamed and dropped: what
            // is held is one buffer a request, whatever the app sends.
            let status = r.status().as_u16();
            let mut body = r.body_mut().with_config().limit(http::BODY_LIMIT).reader();
            std::io::copy(&mut body, &mut std::io::sink())
                .map(|_| status)
                .map_err(ureq::Error::from)
        })
    };
    // The HTTP client spawns threads of its own (name resolution) and
    // panics when the system refuses one: that request failed, the run goes on.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(send))
        .unwrap_or_else(|_| Err(ureq::Error::Other("the system refused a thread".into())));
    let took = started.elapsed();
    let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
    match outcome {
        Ok(status) => {
            t.answered += 1;
            t.total += took;
            if (200..300).contains(&status) {
                t.ok += 1;
            } else {
                t.non_2xx += 1;
            }
        }
        Err(e) => {
            t.failed += 1;
            t.first_error.get_or_insert_with(|| e.to_string());
        }
    }
}

/// The load driven by its tool's loop: the load in words, and the requests sent.
fn drive(load: &LoadPlan, one: &(dyn Fn(Instant) + Sync)) -> (String, usize) {
    match *load {
        LoadPlan::Ab {
            requests,
            concurrency,
        } => {
            closed_loop(requests as usize, concurrency as usize, one);
            (
                format!("{requests} requests, {concurrency} at a time"),
                requests as usize,
            )
        }
        LoadPlan::Artillery { arrivals: a, .. } => {
            let times = arrival_times(a);
            open_loop(&times, one);
            (
                format!(
                    "{} arrivals: {} s ramping to {}/s, {} s at {}/s",
                    times.len(),
                    a.warm_up_seconds,
                    a.rate,
                    a.sustained_seconds,
                    a.rate
                ),
                times.len(),
            )
        }
    }
}

/// A load thread: a small stack (it holds one request), so 256 of them
/// reserve 64 MiB, not 512.
fn worker_thread() -> std::thread::Builder {
    std::thread::Builder::new().stack_size(256 << 10)
}

/// `requests` requests, `concurrency` at a time, as ab sends them.
fn closed_loop(requests: usize, concurrency: usize, one: &(dyn Fn(Instant) + Sync)) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let mut spawned = 0;
        for _ in 0..concurrency.clamp(1, requests.max(1)) {
            // A thread the system cannot give is one fewer in flight, not a panic.
            let thread = worker_thread().spawn_scoped(s, || {
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    one(Instant::now());
                }
            });
            if thread.is_err() {
                break;
            }
            spawned += 1;
        }
        // With no thread at all, the requests are sent from here (never
        // beside the threads: that would be one more in flight than ab's).
        if spawned == 0 {
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                one(Instant::now());
            }
        }
    });
}

/// One request at each time (from the start), as Artillery's arrivals.
fn open_loop(times: &[Duration], one: &(dyn Fn(Instant) + Sync)) {
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let worker = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&at) = times.get(i) else { break };
            if let Some(wait) = at.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
            one(Instant::now());
        }
    };
    std::thread::scope(|s| {
        let mut spawned = 0;
        for _ in 0..MAX_IN_FLIGHT.min(times.len()) {
            // A thread the system cannot give is one fewer in flight, not a panic.
            if worker_thread().spawn_scoped(s, worker).is_err() {
                break;
            }
            spawned += 1;
        }
        if spawned == 0 {
            worker();
        }
    });
}

/// Arrival times of Artillery's phases: the warm-up's rate rises linearly
/// from 1/s to `rate`/s, second by second; then `rate`/s. Evenly spaced
/// within each second.
pub fn arrival_times(a: ArrivalPlan) -> Vec<Duration> {
    let mut times = Vec::new();
    let seconds = a.warm_up_seconds + a.sustained_seconds;
    for second in 0..seconds {
        let per_second = if second < a.warm_up_seconds {
            let span = a.warm_up_seconds.saturating_sub(1).max(1) as f64;
            let rate = 1.0 + (a.rate.saturating_sub(1)) as f64 * second as f64 / span;
            rate.round() as u32
        } else {
            a.rate
        };
        for k in 0..per_second {
            let at = second as f64 + k as f64 / per_second as f64;
            times.push(Duration::from_secs_f64(at));
        }
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_ramp_then_hold() {
        let t = arrival_times(ArrivalPlan {
            warm_up_seconds: 5,
            sustained_seconds: 10,
            rate: 100,
        });
        // 1 + 26 + 51 + 75 + 100 in the warm-up (rounded), then 10 × 100.
        assert_eq!(t.len(), 1 + 26 + 51 + 75 + 100 + 1000);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(*t.last().unwrap() < Duration::from_secs(15));
    }
}
