//! Where a run's time goes: each phase's time, summed over the threads that
//! ran it (`oamc render --timings`; scripts/bench.sh reads it). Two clock
//! reads per phase and Application: microseconds in a run of 1,000.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// A phase of the pipeline, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading the input files.
    Load,
    /// Parsing and checking them (schema and rules).
    Check,
    Plan,
    Render,
    /// Reading every rendered document back and cross-checking them.
    Verify,
    /// Writing each document as canonical YAML.
    Emit,
    /// Printing the stream or writing the folder tree.
    Write,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Load,
        Phase::Check,
        Phase::Plan,
        Phase::Render,
        Phase::Verify,
        Phase::Emit,
        Phase::Write,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Load => "load",
            Phase::Check => "check",
            Phase::Plan => "plan",
            Phase::Render => "render",
            Phase::Verify => "verify",
            Phase::Emit => "emit",
            Phase::Write => "write",
        }
    }
}

/// Time per phase, added to from any thread.
#[derive(Debug, Default)]
pub struct Timings {
    nanos: [AtomicU64; Phase::ALL.len()],
}

impl Timings {
    /// Runs `f`, counting its time to `phase`.
    pub fn time<R>(&self, phase: Phase, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let result = f();
        self.add(phase, start.elapsed());
        result
    }

    pub fn add(&self, phase: Phase, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[phase as usize].fetch_add(nanos, Relaxed);
    }

    pub fn get(&self, phase: Phase) -> Duration {
        Duration::from_nanos(self.nanos[phase as usize].load(Relaxed))
    }

    /// One line per phase and one for the run's wall time, `timing NAME MS ms`.
    pub fn report(&self, wall: Duration) -> String {
        let line = |name: &str, took: Duration| {
            format!("timing {name:<6} {:9.3} ms\n", took.as_secs_f64() * 1e3)
        };
        let mut out: String = Phase::ALL
            .iter()
            .map(|&phase| line(phase.name(), self.get(phase)))
            .collect();
        out.push_str(&line("wall", wall));
        out
    }
}
