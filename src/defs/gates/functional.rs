//! The functional gate: a Job fetches the new version and looks for a text.

use super::JobPlan;
use super::{GatePlan, GateReach, SERVICE_NAME_ARG};
use crate::check::DocContext;
use crate::check::numbers::check_number_as_text;
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::model::TextOrNumber;
use crate::names;
use crate::plan::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Its template: the file name an override takes, and the built-in text.
pub const TEMPLATE: (&str, &str) = (
    "analysistemplate-functional.yaml",
    include_str!("../../../templates/analysistemplate-functional.yaml"),
);

/// The functional gate: fetch the new version and look for a text.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QualityGate {
    /// How long to wait at this step before the gate runs (an Argo pause: `20s`, `1m30s`, `500ms`, or seconds `"20"`).
    #[schemars(extend("x-oamc-format" = "pause"))]
    pub pause: String,
    /// Image that runs the check. It needs `sh`, `wget` and `grep`; `busybox` and
    /// `httpd:alpine` have them.
    #[schemars(extend("x-oamc-format" = "image"))]
    pub image: String,
    /// What the response must contain: a basic regular expression (`grep`), so
    /// `status.*ok` matches `status: ok`. Empty: any successful answer passes.
    #[serde(default = "super::defaults::extra_args")]
    pub extra_args: TextOrNumber,
}

/// The gate's rules, at `at` (`…properties.functionalGate`).
pub(crate) fn check(ctx: &mut DocContext, at: &DocPath, gate: &QualityGate) {
    super::check_job_gate(ctx, at, &gate.pause, &gate.image);
    check_number_as_text(ctx, &at.key("extraArgs"), &gate.extra_args.text());
    if gate.extra_args.text().contains("{{") {
        ctx.error(
            Code::ArgoTemplateSyntax,
            &at.key("extraArgs"),
            "`{{` here would be read by Argo Rollouts as an argument placeholder and break the analysis",
        )
        .help = Some("remove the double braces from the expected text".into());
    }
}

pub(crate) fn plan_functional(
    name: &str,
    g: &QualityGate,
    pause: &PauseDuration,
    reach: &GateReach,
) -> GatePlan {
    let path = &reach.path;
    let expected = g.extra_args.text();
    let summary = if expected.is_empty() {
        format!("GET {path} must answer with a 2xx status")
    } else {
        format!(
            "GET {path} must answer with a 2xx status and match the basic regular expression {expected:?}"
        )
    };
    GatePlan {
        gate: Gate::Functional,
        phase: super::Phase::Early,
        pause: pause.clone(),
        template: AnalysisPlan {
            name: names::functional_template(name),
            template: TEMPLATE.0,
            summary,
            args: vec![SERVICE_NAME_ARG.into()],
            time: crate::semantics::rollouts::job_time(0, reach.deadline_seconds),
            note: super::JOB_NOTE,
            check: std::sync::Arc::new(FunctionalCheck {
                job: reach.job(&g.image),
                expected_text: expected,
            }),
        },
    }
}

/// The functional gate: its expected response, and its Job.
impl GateCheck for FunctionalCheck {
    fn gate(&self) -> Gate {
        Gate::Functional
    }

    fn view(&self) -> Result<(&'static str, serde_json::Value), serde_json::Error> {
        let job = super::JobView {
            expected_text: Some(&self.expected_text),
            ..super::JobView::of(&self.job)
        };
        Ok(("job", serde_json::to_value(job)?))
    }

    fn moves_from(&self, old: &dyn GateCheck) -> Vec<GateMove> {
        let mut moves = Vec::new();
        if let Some(old) = check_of::<FunctionalCheck>(old) {
            let (a, b) = (old.expected_text.as_str(), self.expected_text.as_str());
            functional_moves((a, &old.job), (b, &self.job), &mut moves);
        }
        moves
    }
}

fn functional_moves(
    (a, ja): (&str, &JobPlan),
    (b, jb): (&str, &JobPlan),
    moves: &mut Vec<GateMove>,
) {
    let shown = |t: &str| {
        if t.is_empty() {
            "any 2xx response".to_owned()
        } else {
            format!("a response matching {t}")
        }
    };
    if a != b {
        let way = if b.is_empty() {
            Way::Looser
        } else if a.is_empty() {
            Way::Tighter
        } else {
            Way::Other
        };
        moves.push(GateMove::new(
            way,
            "expected response".into(),
            shown(a),
            shown(b),
        ));
    }
    super::job_moves(ja, jb, moves);
}

/// The functional gate's Job and the text it looks for.
#[derive(Debug, Clone)]
pub struct FunctionalCheck {
    pub job: JobPlan,
    /// The basic regular expression the response must match (empty: any 2xx).
    pub expected_text: String,
}
