//! The performance gate: a Job loads the new version (ab or Artillery) and
//! judges the answers.

use super::JobPlan;
use super::{GatePlan, GateReach, SERVICE_NAME_ARG};
use crate::check::DocContext;
use crate::check::numbers::check_number_as_text;
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::model::TextOrNumber;
use crate::names;
use crate::plan::*;
use crate::platform::Platform;
use crate::semantics::rollouts::job_time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Its template: the file name an override takes, and the built-in text.
pub const TEMPLATE: (&str, &str) = (
    "analysistemplate-performance.yaml",
    include_str!("../../../templates/analysistemplate-performance.yaml"),
);

/// The performance gate: load the new version and judge the answers.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PerformanceGate {
    /// How long to wait at this step before the gate runs (an Argo pause: `20s`, `1m30s`, `500ms`, or seconds `"20"`).
    #[schemars(extend("x-oamc-format" = "pause"))]
    pub pause: String,
    /// Image that runs the load: with `ab`, it needs `sh`, `ab` and `awk`
    /// (`httpd:alpine`); with Artillery, `sh` and `artillery` (`artilleryio/artillery`).
    #[schemars(extend("x-oamc-format" = "image"))]
    pub image: String,
    /// The mean latency (milliseconds) the new version must stay below. Empty or
    /// absent: no latency limit; the gate fails only when requests fail.
    #[serde(default = "super::defaults::extra_args")]
    pub extra_args: TextOrNumber,
    /// The load tool. Absent: Artillery for an `artilleryio/artillery` image, else `ab`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<LoadTool>,
}

impl PerformanceGate {
    /// The tool that runs: the one named, or the one the image implies.
    pub fn load_tool(&self) -> LoadTool {
        self.tool
            .unwrap_or_else(|| LoadTool::implied_by(&self.image))
    }

    /// The latency limit in milliseconds (`None`: no limit), or why `extraArgs` is not one.
    pub fn latency_limit(&self) -> Result<Option<LatencyLimit>, NotALatency> {
        let text = self.extra_args.text();
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(ms) if ms.is_finite() && ms > 0.0 => Ok(Some(LatencyLimit::new(ms))),
            _ => Err(NotALatency(text.to_owned())),
        }
    }
}

/// A performance gate's `extraArgs` that is not a latency limit (its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotALatency(pub String);

impl std::fmt::Display for NotALatency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "must be the mean latency in milliseconds the new version stays below, found `{}`",
            self.0
        )
    }
}

/// The program the performance gate loads the new version with.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LoadTool {
    /// ApacheBench: a fixed number of requests at a fixed concurrency.
    Ab,
    /// Artillery: a warm-up and a sustained phase of arrivals per second.
    Artillery,
}

impl LoadTool {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadTool::Ab => "ab",
            LoadTool::Artillery => "artillery",
        }
    }

    /// Artillery for the `artilleryio/artillery` repository on any registry, else `ab`.
    pub fn implied_by(image: &str) -> LoadTool {
        let name = image.split('@').next().unwrap_or(image);
        // A tag follows the last `:` after the last `/` (a registry port precedes it).
        let name = match name.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => repo,
            _ => name,
        };
        let name = name.to_ascii_lowercase();
        if name == "artilleryio/artillery" || name.ends_with("/artilleryio/artillery") {
            LoadTool::Artillery
        } else {
            LoadTool::Ab
        }
    }
}

/// The tool and the limit, resolved once by the checker.
#[derive(Debug, Clone, Copy)]
pub struct CheckedPerformance {
    pub tool: LoadTool,
    /// Whether `tool` was written (else implied by the image), for `oamc plan`.
    pub tool_written: bool,
    pub limit: Option<LatencyLimit>,
}

/// The gate's rules; `component` is the component's properties.
pub(crate) fn check(ctx: &mut DocContext, component: &DocPath, gate: &PerformanceGate) {
    let at = &component.key("performanceGate");
    super::check_job_gate(ctx, at, &gate.pause, &gate.image);
    check_number_as_text(ctx, &at.key("extraArgs"), &gate.extra_args.text());
    match gate.latency_limit() {
        Err(why) => {
            ctx.error(
                Code::PerformanceThreshold,
                &at.key("extraArgs"),
                format!("performanceGate.extraArgs {why}"),
            )
            .help = Some("e.g. extraArgs: \"160\"".into());
        }
        Ok(None) => {
            let pos = ctx.key_pos(component, "performanceGate");
            let d = ctx.push_at(
                Code::NoLatencyLimit,
                pos,
                format!(
                    "performanceGate has no latency limit: its {} load fails only on failed or non-2xx requests",
                    gate.load_tool().as_str()
                ),
            );
            d.severity = crate::diagnostic::Severity::Warning;
            d.help = Some(
                "set extraArgs to the mean latency in milliseconds the new version must stay below, e.g. extraArgs: \"160\"".into(),
            );
        }
        Ok(Some(_)) => {}
    }
}

/// The longest a passing performance load lasts, in seconds, and why.
pub(crate) fn load_seconds(perf: &CheckedPerformance, platform: &Platform) -> (u64, &'static str) {
    match (perf.tool, perf.limit) {
        // Artillery's schedule is fixed.
        (LoadTool::Artillery, _) => {
            let a = arrivals(platform);
            (
                u64::from(a.warm_up_seconds + a.sustained_seconds),
                "Artillery's schedule",
            )
        }
        // ab passes only if its "Time per request" (concurrency x wall /
        // requests) is below the limit: so its wall time is below
        // requests x limit / concurrency.
        (LoadTool::Ab, Some(limit)) => (
            (f64::from(platform.load_requests) * limit.ms()
                / f64::from(platform.load_concurrency.max(1))
                / 1000.0)
                .ceil() as u64,
            "the longest ab can take and pass",
        ),
        // No limit: only the Job's deadline bounds it.
        (LoadTool::Ab, None) => (
            u64::from(platform.gate_job_deadline_seconds),
            "the performance Job's deadline",
        ),
    }
}

pub(crate) fn plan_performance(
    name: &str,
    g: &PerformanceGate,
    perf: &CheckedPerformance,
    pause: &PauseDuration,
    reach: &GateReach,
    platform: &Platform,
) -> GatePlan {
    // Which tool, and why: written, implied by the image, or the default.
    let tool = match (perf.tool, perf.tool_written) {
        (LoadTool::Ab, true) => "ab",
        (LoadTool::Ab, false) => "ab (the default tool)",
        (LoadTool::Artillery, true) => "Artillery",
        (LoadTool::Artillery, false) => "Artillery (implied by the image)",
    };
    let (load, load_text) = match perf.tool {
        LoadTool::Ab => (
            LoadPlan::Ab {
                requests: platform.load_requests,
                concurrency: platform.load_concurrency,
            },
            format!(
                "{} requests, {} at a time",
                platform.load_requests, platform.load_concurrency
            ),
        ),
        LoadTool::Artillery => {
            let a = arrivals(platform);
            (
                LoadPlan::Artillery {
                    arrivals: a,
                    config: artillery_config(&reach.target_url, perf.limit, a),
                },
                format!(
                    "{} s ramping up to {} requests/s, then {} s at {}/s",
                    a.warm_up_seconds, a.rate, a.sustained_seconds, a.rate
                ),
            )
        }
    };
    let limit = match perf.limit {
        Some(ms) => format!("mean latency below {ms} ms"),
        None => "no latency limit (extraArgs is empty)".to_owned(),
    };
    let path = &reach.path;
    GatePlan {
        gate: Gate::Performance,
        phase: super::Phase::Late,
        pause: pause.clone(),
        template: AnalysisPlan {
            name: names::performance_template(name),
            template: TEMPLATE.0,
            summary: format!(
                "{tool}: {load_text} against GET {path}; no failed or non-2xx request; {limit}"
            ),
            args: vec![SERVICE_NAME_ARG.into()],
            // ab's time is the application's latency: not known here.
            time: job_time(
                match &load {
                    LoadPlan::Ab { .. } => 0,
                    LoadPlan::Artillery { arrivals, .. } => {
                        u64::from(arrivals.warm_up_seconds) + u64::from(arrivals.sustained_seconds)
                    }
                },
                reach.deadline_seconds,
            ),
            note: super::JOB_NOTE,
            check: std::sync::Arc::new(PerformanceCheck {
                job: reach.job(&g.image),
                load,
                limit: perf.limit,
            }),
        },
    }
}

/// Artillery's phases: a warm-up ramp, then a sustained rate that sends about
/// as many requests as `ab` does (`load_requests` over the sustained phase).
const ARTILLERY_WARM_UP_S: u32 = 5;
const ARTILLERY_SUSTAINED_S: u32 = 10;

fn arrivals(platform: &Platform) -> ArrivalPlan {
    ArrivalPlan {
        warm_up_seconds: ARTILLERY_WARM_UP_S,
        sustained_seconds: ARTILLERY_SUSTAINED_S,
        rate: platform
            .load_requests
            .div_ceil(ARTILLERY_SUSTAINED_S)
            .max(1),
    }
}

/// The Artillery script of the performance gate, as JSON (which Artillery
/// reads as YAML). It reaches the Job as data in an environment variable:
/// every user value in it is a JSON string or number, never script text.
fn artillery_config(target_url: &str, limit: Option<LatencyLimit>, a: ArrivalPlan) -> String {
    let rate = a.rate;
    let mut ensure = serde_json::json!({ "maxErrorRate": 0 });
    if let Some(ms) = limit {
        // A whole number as an integer (`160`, not `160.0`), as a person writes it.
        let ms = match ms.ms() {
            whole if whole.fract() == 0.0 && whole < 1e15 => serde_json::json!(whole as u64),
            fraction => serde_json::json!(fraction),
        };
        ensure["thresholds"] = serde_json::json!([{ "http.response_time.mean": ms }]);
    }
    let success: Vec<u16> = vec![200, 201, 202, 203, 204, 205, 206, 207, 208, 226];
    serde_json::json!({
        "config": {
            "target": target_url,
            "phases": [
                { "name": "warm-up", "duration": a.warm_up_seconds, "arrivalRate": 1, "rampTo": rate },
                { "name": "sustained", "duration": a.sustained_seconds, "arrivalRate": rate },
            ],
            "http": { "timeout": 10 },
            // A non-2xx answer fails its virtual user, so `maxErrorRate: 0` catches it.
            "plugins": {
                "ensure": {},
                "expect": { "reportFailuresAsErrors": true, "outputFormat": "silent" },
            },
            "ensure": ensure,
        },
        "scenarios": [{
            "name": "performance gate",
            "flow": [{ "get": { "url": target_url, "expect": [{ "statusCode": success }] } }],
        }],
    })
    .to_string()
}

impl GateCheck for PerformanceCheck {
    fn gate(&self) -> Gate {
        Gate::Performance
    }

    fn view(&self) -> Result<(&'static str, serde_json::Value), serde_json::Error> {
        let max_mean_latency_ms = self.limit.map(|ms| ms.to_string());
        let job = match &self.load {
            LoadPlan::Ab {
                requests,
                concurrency,
            } => super::JobView {
                tool: Some("ab"),
                max_mean_latency_ms,
                requests: Some(*requests),
                concurrency: Some(*concurrency),
                ..super::JobView::of(&self.job)
            },
            LoadPlan::Artillery { arrivals, config } => super::JobView {
                tool: Some("artillery"),
                max_mean_latency_ms,
                artillery_config: Some(config),
                arrivals: Some(arrivals),
                ..super::JobView::of(&self.job)
            },
        };
        Ok(("job", serde_json::to_value(job)?))
    }

    fn moves_from(&self, old: &dyn GateCheck) -> Vec<GateMove> {
        let mut moves = Vec::new();
        if let Some(old) = check_of::<PerformanceCheck>(old) {
            performance_moves(
                (&old.limit, &old.load, &old.job),
                (&self.limit, &self.load, &self.job),
                &mut moves,
            );
        }
        moves
    }
}

type PerformanceSide<'a> = (&'a Option<LatencyLimit>, &'a LoadPlan, &'a JobPlan);

/// The performance gate: its latency limit, its load, and its Job.
fn performance_moves(
    (la, a, ja): PerformanceSide,
    (lb, b, jb): PerformanceSide,
    moves: &mut Vec<GateMove>,
) {
    let shown = |l: &Option<LatencyLimit>| {
        l.map_or("no limit".to_owned(), |l| {
            format!("mean latency below {l} ms")
        })
    };
    let way = match (la, lb) {
        (Some(x), Some(y)) if y.ms() > x.ms() => Way::Looser,
        (Some(x), Some(y)) if y.ms() < x.ms() => Way::Tighter,
        (Some(_), None) => Way::Looser,
        (None, Some(_)) => Way::Tighter,
        _ => Way::Other,
    };
    if shown(la) != shown(lb) {
        moves.push(GateMove::new(
            way,
            "latency limit".into(),
            shown(la),
            shown(lb),
        ));
    }
    let load = |l: &LoadPlan| match l {
        LoadPlan::Ab {
            requests,
            concurrency,
        } => format!("ab: {requests} requests, {concurrency} at a time"),
        LoadPlan::Artillery { arrivals, .. } => format!(
            "Artillery: {} s warm-up, {} s at {} arrivals/s",
            arrivals.warm_up_seconds, arrivals.sustained_seconds, arrivals.rate
        ),
    };
    if load(a) != load(b) {
        moves.push(GateMove::new(Way::Other, "load".into(), load(a), load(b)));
    }
    super::job_moves(ja, jb, moves);
}

/// The performance gate's Job, its load and its limit.
#[derive(Debug, Clone)]
pub struct PerformanceCheck {
    pub job: JobPlan,
    pub load: LoadPlan,
    /// The mean latency to stay below; `None`: no limit.
    pub limit: Option<LatencyLimit>,
}

/// The performance gate's load.
#[derive(Debug, Clone)]
pub enum LoadPlan {
    /// `requests` requests, `concurrency` at a time.
    Ab { requests: u32, concurrency: u32 },
    /// Artillery's arrivals, and its script (JSON).
    Artillery {
        arrivals: ArrivalPlan,
        config: String,
    },
}

/// Artillery's load: a warm-up ramping from 1 to `rate` new requests a
/// second, then `sustained_seconds` at `rate`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ArrivalPlan {
    pub warm_up_seconds: u32,
    pub sustained_seconds: u32,
    pub rate: u32,
}

/// A mean latency in milliseconds: positive and finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyLimit(f64);

impl LatencyLimit {
    /// Checked by the caller (`props`): positive and finite.
    pub(crate) fn new(ms: f64) -> LatencyLimit {
        LatencyLimit(ms)
    }

    pub fn ms(self) -> f64 {
        self.0
    }
}

impl std::fmt::Display for LatencyLimit {
    /// The shortest decimal form (`160`, `0.5`): what `awk` and Artillery read.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
