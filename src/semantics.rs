//! What the controllers do with what oamc emits, where `plan` has to say it:
//! models of upstream functions, each held to upstream's own test vectors in
//! tests/it/controllers/.

/// Argo Rollouts v1.9.1: a basic canary's pods at one weight; a metric's
/// readings and a Job over time.
pub mod rollouts {
    /// The least time from an AnalysisRun's start to a metric's last
    /// reading, in nanoseconds: the first after `initialDelay`
    /// (`analysis/analysis.go`, `generateMetricTasks`), then one every
    /// `interval` after the last one finished (`calculateNextReconcileTime`)
    /// until `count` readings.
    pub fn metric_window_nanos(initial_delay: u64, interval: u64, count: u32) -> u64 {
        let gaps = u64::from(count.max(1)) - 1;
        initial_delay.saturating_add(interval.saturating_mul(gaps))
    }

    use crate::plan::GateTime;

    const NANOS: u64 = 1_000_000_000;

    /// `analysis/analysis.go`: a measurement that errors is taken again
    /// after `DefaultErrorRetryInterval` (10 s) instead of the interval, and
    /// errors do not count towards `count`.
    pub const ERROR_RETRY_SECONDS: u64 = 10;
    /// `utils/defaults/defaults.go`, `DefaultConsecutiveErrorLimit`: the
    /// fifth error in a row ends the run in Error
    /// (`assessMetricFailureInconclusiveOrError`).
    pub const CONSECUTIVE_ERROR_LIMIT: u64 = 4;

    /// A metric: its readings' window ([`metric_window_nanos`]). With
    /// `failureLimit: 0` the first failed reading fails the run; each reading
    /// may first error four times, each retried after 10 s.
    /// Durations in nanoseconds (`500ms` intervals add up), times in whole
    /// seconds rounded up.
    pub fn metric_time(initial_delay_ns: u64, interval_ns: u64, count: u32) -> GateTime {
        let readings = u64::from(count.max(1));
        let window = metric_window_nanos(initial_delay_ns, interval_ns, count);
        let min = window.div_ceil(NANOS);
        GateTime {
            min,
            max: min + readings * CONSECUTIVE_ERROR_LIMIT * ERROR_RETRY_SECONDS,
            fails_after: initial_delay_ns.div_ceil(NANOS),
        }
    }

    /// One Job (`backoffLimit: 0`): it ends when its requests end, or at
    /// `activeDeadlineSeconds`, counted from the Job's start (pod start included).
    pub fn job_time(load: u64, deadline: u32) -> GateTime {
        let deadline = u64::from(deadline);
        GateTime {
            min: load.min(deadline),
            max: deadline,
            // ab and Artillery judge when the load is done; a request that
            // cannot connect ends ab at once.
            fails_after: 0,
        }
    }

    /// Metrics of one run measured side by side (or gates of one
    /// AnalysisRun or Experiment): the run ends with the slowest and aborts
    /// with the first failure.
    pub fn together(times: &[GateTime]) -> GateTime {
        GateTime {
            min: times.iter().map(|t| t.min).max().unwrap_or(0),
            max: times.iter().map(|t| t.max).max().unwrap_or(0),
            fails_after: times.iter().map(|t| t.fails_after).min().unwrap_or(0),
        }
    }

    /// `defaults.DefaultMaxSurge` ("25"%), resolved as `resolveFenceposts`
    /// does (`utils/replicaset/replicaset.go`): a percentage of the replicas,
    /// rounded up.
    pub fn default_max_surge(replicas: u32) -> u32 {
        (replicas * 25).div_ceil(100)
    }

    /// `approximateWeightedCanaryStableReplicaCounts`
    /// (`utils/replicaset/canary.go`): the (canary, stable) pod counts whose
    /// share is closest to `weight` of `max_weight`, within `replicas` or one
    /// more when surging is allowed; ties go to the first option considered.
    pub fn canary_stable_counts(
        replicas: u32,
        weight: u32,
        max_weight: u32,
        max_surge: u32,
    ) -> (u32, u32) {
        if replicas == 0 {
            return (0, 0);
        }
        let exact = f64::from(replicas) * f64::from(weight) / f64::from(max_weight);
        let (ceil, floor) = (exact.ceil() as u32, exact.floor() as u32);
        let tied = |total: u32| {
            let scaled = f64::from(total) * (f64::from(weight) / f64::from(max_weight));
            scaled - scaled.trunc() == 0.5
        };
        let zero_allowed = weight == max_weight || weight == 0 || (replicas == 1 && max_surge == 0);
        let mut options = Vec::new();
        if ceil < replicas || zero_allowed {
            options.push((ceil, replicas));
        }
        if !tied(replicas) && (floor != 0 || zero_allowed) {
            options.push((floor, replicas));
        }
        if max_surge > 0 {
            options.push((ceil, replicas + 1));
            if !tied(replicas + 1) && (floor != 0 || zero_allowed) {
                options.push((floor, replicas + 1));
            }
        }
        let delta = |(canary, total): (u32, u32)| {
            (f64::from(canary * max_weight) / f64::from(total) - f64::from(weight)).abs()
        };
        let Some(&first) = options.first() else {
            return (0, replicas);
        };
        let best = options[1..].iter().fold(
            first,
            |best, &o| if delta(o) < delta(best) { o } else { best },
        );
        (best.0, best.1 - best.0)
    }
}
