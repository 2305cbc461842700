//! The functional gate: a Job fetches the new version and looks for a text.

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
            check: GateCheck::Functional {
                job: reach.job(&g.image),
                expected_text: expected,
            },
        },
    }
}
