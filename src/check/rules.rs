//! Semantic rules: what a schema cannot say. Every rule reports at the node it
//! is about and never stops at the first problem.

use super::syntax;
use super::{CheckedService, DocContext};
use crate::diagnostic::Code;
use crate::dom::Seg;
use crate::model::{APPMOD_SERVICE, Application, AppmodService, QualityGate};
use crate::names;
use crate::path;
use std::collections::BTreeMap;

pub(crate) fn check_application(ctx: &mut DocContext, app: &Application) -> Vec<CheckedService> {
    if let Err(why) = syntax::dns1123_subdomain(&app.metadata.name) {
        ctx.error(
            Code::Name,
            &path!["metadata", "name"],
            format!("Application name `{}` {why}", app.metadata.name),
        );
    }
    if let Some(ns) = &app.metadata.namespace
        && let Err(why) = syntax::dns1123_label(ns)
    {
        ctx.error(
            Code::Name,
            &path!["metadata", "namespace"],
            format!("namespace `{ns}` {why}"),
        );
    }

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut services = Vec::new();
    for (i, component) in app.spec.components.iter().enumerate() {
        let base = path!["spec", "components", i];
        if let Some(first) = seen.insert(&component.name, i) {
            ctx.error(
                Code::DuplicateComponent,
                &join(&base, &path!["name"]),
                format!(
                    "component name `{}` is used twice (first at spec.components[{first}])",
                    component.name
                ),
            );
        }
        if component.type_ != APPMOD_SERVICE {
            ctx.lenient(
                Code::UnknownComponentType,
                &join(&base, &path!["type"]),
                format!(
                    "component `{}` has type `{}`, which oamc does not compile; it is not rendered",
                    component.name, component.type_
                ),
            )
            .help = Some(format!(
                "oamc compiles `{APPMOD_SERVICE}` components; use --strict to make this an error"
            ));
            continue;
        }
        for (t, tr) in component.traits.iter().enumerate() {
            ctx.lenient(
                Code::UnknownTrait,
                &join(&base, &path!["traits", t, "type"]),
                format!(
                    "trait `{}` on component `{}` is not supported by oamc; it is not rendered",
                    tr.type_, component.name
                ),
            )
            .help = Some("use --strict to make this an error".into());
        }
        let props_json = component.properties.clone().unwrap_or_default();
        let props: AppmodService = match serde_json::from_value(props_json) {
            Ok(p) => p,
            Err(e) => {
                ctx.error(
                    Code::SchemaOther,
                    &join(&base, &path!["properties"]),
                    format!("cannot read the properties: {e}"),
                );
                continue;
            }
        };
        let before = ctx.diagnostics.len();
        check_service(ctx, &base, &component.name, &props);
        let failed = ctx.diagnostics[before..].iter().any(|d| d.is_error());
        if !failed {
            services.push(CheckedService {
                name: component.name.clone(),
                props,
            });
        }
    }
    services
}

fn join(base: &[Seg], rest: &[Seg]) -> Vec<Seg> {
    base.iter().chain(rest).cloned().collect()
}

fn check_service(ctx: &mut DocContext, base: &[Seg], name: &str, p: &AppmodService) {
    let name_path = join(base, &path!["name"]);
    let props = join(base, &path!["properties"]);
    let at = |rest: &[Seg]| join(&props, rest);

    match syntax::dns1123_label(name) {
        Err(why) => {
            ctx.error(
                Code::Name,
                &name_path,
                format!("component name `{name}` {why}"),
            )
            .help = Some("the component name becomes the Rollout, Service and label value".into());
        }
        Ok(()) => {
            for (kind, derived) in names::derived_service_names(name) {
                if let Err(why) = syntax::dns1035_label(&derived) {
                    ctx.error(
                        Code::DerivedName,
                        &name_path,
                        format!(
                            "the {kind} name `{derived}` derived from component `{name}` {why}"
                        ),
                    )
                    .help = Some(format!(
                        "Service names are DNS-1035 labels; keep the component name within {} characters and starting with a letter",
                        63 - names::PREVIEW_SUFFIX.len()
                    ));
                }
            }
        }
    }
    if let Err(why) = syntax::image_reference(&p.image) {
        ctx.error(
            Code::Image,
            &at(&path!["image"]),
            format!("image `{}` {why}", p.image),
        );
    }
    if let Err(why) = syntax::dns1123_label(&p.image_name) {
        ctx.error(
            Code::Name,
            &at(&path!["image_name"]),
            format!("container name `{}` {why}", p.image_name),
        );
    }
    if let Err(why) = syntax::dns1123_subdomain(&p.service_account) {
        ctx.error(
            Code::Name,
            &at(&path!["serviceAccount"]),
            format!("ServiceAccount name `{}` {why}", p.service_account),
        );
    }
    if let Err(why) = syntax::url_path(&p.app_path) {
        ctx.error(
            Code::AppPath,
            &at(&path!["appPath"]),
            format!("appPath `{}` {why}", p.app_path),
        );
    }
    let mut env_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, e) in p.env.iter().enumerate() {
        if e.name.is_empty() || e.name.contains('=') {
            ctx.error(
                Code::Name,
                &at(&path!["env", i, "name"]),
                "environment variable names must be non-empty and must not contain '='",
            );
        }
        if let Some(first) = env_seen.insert(&e.name, i) {
            ctx.error(
                Code::DuplicateEnv,
                &at(&path!["env", i, "name"]),
                format!(
                    "environment variable `{}` is set twice (first at env[{first}])",
                    e.name
                ),
            )
            .help = Some("Kubernetes keeps only the last value; remove one".into());
        }
    }
    if let Some(gate) = &p.functional_gate {
        check_job_gate(ctx, &at(&path!["functionalGate"]), gate);
        let expected = gate.extra_args.text();
        check_no_argo_braces(ctx, &at(&path!["functionalGate", "extraArgs"]), &expected);
    }
    if let Some(gate) = &p.performance_gate {
        check_job_gate(ctx, &at(&path!["performanceGate"]), gate);
        let ms = gate.extra_args.text();
        let valid = ms
            .trim()
            .parse::<f64>()
            .is_ok_and(|v| v.is_finite() && v > 0.0);
        if !valid {
            ctx.error(
                Code::PerformanceThreshold,
                &at(&path!["performanceGate", "extraArgs"]),
                format!("performanceGate.extraArgs must be the highest acceptable mean latency in milliseconds, found `{ms}`"),
            )
            .help = Some("e.g. extraArgs: \"160\"".into());
        }
    }
    if let Some(metrics) = &p.metrics {
        check_duration(ctx, &at(&path!["metrics", "pause"]), &metrics.pause);
        for (i, c) in metrics.evaluation_criteria.iter().enumerate() {
            let cp = |rest: &[Seg]| at(&join(&path!["metrics", "evaluationCriteria", i], rest));
            check_duration(ctx, &cp(&path!["interval"]), &c.interval);
            if let Some(ri) = &c.rate_interval
                && let Err(why) = syntax::promql_duration(ri)
            {
                ctx.error(
                    Code::PromqlDuration,
                    &cp(&path!["rateInterval"]),
                    format!("rateInterval `{ri}` is not a PromQL duration: {why}"),
                )
                .help = Some("e.g. 30s, 1m, 5m".into());
            }
            if let Err(why) = syntax::metric_name(&c.metric) {
                ctx.error(
                    Code::MetricName,
                    &cp(&path!["metric"]),
                    format!(
                        "metric `{}` is not a Prometheus metric name: {why}",
                        c.metric
                    ),
                )
                .help = Some(
                    "give the bare metric name; oamc adds the label selector and the function"
                        .into(),
                );
            }
        }
    }
}

fn check_job_gate(ctx: &mut DocContext, gate_path: &[Seg], gate: &QualityGate) {
    check_duration(ctx, &join(gate_path, &path!["pause"]), &gate.pause);
    if let Err(why) = syntax::image_reference(&gate.image) {
        ctx.error(
            Code::Image,
            &join(gate_path, &path!["image"]),
            format!("gate image `{}` {why}", gate.image),
        );
    }
}

fn check_duration(ctx: &mut DocContext, at: &[Seg], value: &str) {
    if let Err(why) = syntax::argo_duration(value) {
        ctx.error(
            Code::Duration,
            at,
            format!("`{value}` is not a duration: {why}"),
        )
        .help = Some("write a number and a unit: \"20s\", \"1m\", \"1h\"".into());
    }
}

/// Argo Rollouts substitutes `{{…}}` in AnalysisTemplates at run time and fails
/// the analysis on anything that is not a known argument.
fn check_no_argo_braces(ctx: &mut DocContext, at: &[Seg], value: &str) {
    if value.contains("{{") {
        ctx.error(
            Code::ArgoTemplateSyntax,
            at,
            "`{{` here would be read by Argo Rollouts as an argument placeholder and break the analysis",
        )
        .help = Some("remove the double braces from the expected text".into());
    }
}
