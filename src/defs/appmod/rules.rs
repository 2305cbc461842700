//! appmod-service's rules: what its schema cannot say. Every rule reports at the node it
//! is about and never stops at the first problem: a part of a component that
//! the schema rejected is skipped, every other part is still checked.

use super::props::{
    APPMOD_SERVICE, AbTestSettings, AppmodService, CanarySettings, Criterion, EnvVar, MetricGate,
    PerformanceGate, QualityGate, Strategy, TrafficRouting, WebGate,
};
use super::{CheckedPerformance, CheckedService};
use crate::check::duration::Kind;
use crate::check::{Broken, DocContext, check_duration, syntax};
use crate::defs::gates;
use crate::defs::traits::{self, CheckedTraits, Ingress, Routes};
use crate::diagnostic::Code;
use crate::dom::{DocPath, Seg};
use crate::model::Component;
use crate::names;
use crate::path;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Check one component; an `appmod-service` without errors comes back ready to plan.
pub(crate) fn check_component(
    ctx: &mut DocContext,
    i: usize,
    component: &Component,
    names: &mut super::super::ComponentNames,
    broken: &Broken,
    routes: &mut Routes,
) -> Option<CheckedService> {
    let base = path!["spec", "components", i];
    if let Some(first) = names.0.insert(component.name.clone(), i) {
        ctx.error(
            Code::DuplicateComponent,
            &base.join(&path!["name"]),
            format!(
                "component name `{}` is used twice (first at spec.components[{first}])",
                component.name
            ),
        );
    }
    if component.type_ != APPMOD_SERVICE {
        let at = base.join(&path!["type"]);
        let of = crate::defs::TypeOf::Component(&component.name);
        crate::defs::unknown_type(ctx, &at, of, &component.type_);
        return None;
    }
    let props_json = component
        .properties
        .as_ref()
        .unwrap_or(&serde_json::Value::Null);
    let props = Props {
        path: base.join(&path!["properties"]),
        json: props_json,
        broken,
    };
    let props_path = props.path.clone();
    let before = ctx.diagnostics.len();
    let port = props
        .part::<u32>(&path!["port"])
        .or(Some(super::props::defaults::port()));
    let host = traits::Host {
        index: i,
        component,
        port,
        container: props.part::<String>(&path!["image_name"]),
    };
    let traits = traits::check_traits(ctx, host, broken, routes);
    check_router_ingress(ctx, &props, &component.name, &traits);
    check_overridden(ctx, &props, &traits);
    let ab_test =
        props.json.get("strategy").and_then(|v| v.as_str()) == Some(Strategy::AbTest.key());
    check_name(ctx, &base.join(&path!["name"]), &component.name, ab_test);
    check_service(ctx, &props);
    let failed = ctx.diagnostics[before..].iter().any(|d| d.is_error());
    if failed || !broken.intact(&base) {
        return None;
    }
    let props: AppmodService = ctx.typed(&props_path, props_json)?;
    let (performance, web) = read_gates(ctx, &props_path, &props)?;
    let durations = match durations_of(&props) {
        Ok(d) => d,
        // The rules above reported it; reaching here is a gap between the two.
        Err((at, why)) => {
            ctx.error(Code::Internal, &props_path.join(&at), why.to_string());
            return None;
        }
    };
    Some(CheckedService {
        name: component.name.clone(),
        props,
        traits,
        performance,
        web,
        durations,
    })
}

/// The performance and web gates, typed; the rules above reported anything
/// that does not read, so `None` here is a gap between the two.
fn read_gates(
    ctx: &mut DocContext,
    props_path: &DocPath,
    props: &AppmodService,
) -> Option<(Option<CheckedPerformance>, Option<gates::web::CheckedWeb>)> {
    let performance = match &props.performance_gate {
        None => None,
        Some(gate) => match gate.latency_limit() {
            Ok(limit) => Some(CheckedPerformance {
                tool: gate.load_tool(),
                tool_written: gate.tool.is_some(),
                limit,
            }),
            // The rule above reported it; reaching here is a gap between the two.
            Err(why) => {
                ctx.error(
                    Code::Internal,
                    &props_path.join(&path!["performanceGate", "extraArgs"]),
                    why.to_string(),
                );
                return None;
            }
        },
    };
    let web = match props.web_gate.as_ref().map(gates::web::read).transpose() {
        Ok(web) => web,
        // The rule below reported it; reaching here is a gap between the two.
        Err(why) => {
            ctx.error(
                Code::Internal,
                &props_path.join(&path!["webGate"]),
                why.to_string(),
            );
            return None;
        }
    };
    Some((performance, web))
}

/// Every duration of the properties, read (or where one does not read).
fn durations_of(
    p: &AppmodService,
) -> Result<super::CheckedDurations, (DocPath, crate::check::duration::Refused)> {
    use crate::check::duration::{go_duration, pause};
    let read_pause = |at: DocPath, text: &str| pause(text).map_err(|why| (at, why));
    let optional_pause =
        |at: DocPath, text: Option<&str>| text.map(|t| read_pause(at, t)).transpose();
    let intervals = match &p.metrics {
        None => Vec::new(),
        Some(m) => m
            .evaluation_criteria
            .iter()
            .enumerate()
            .map(|(i, c)| {
                go_duration(Kind::Go, &c.interval)
                    .map_err(|why| (path!["metrics", "evaluationCriteria", i, "interval"], why))
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(super::CheckedDurations {
        canary_pause: optional_pause(path!["canary", "pause"], p.canary.pause.as_deref())?,
        functional_pause: optional_pause(
            path!["functionalGate", "pause"],
            p.functional_gate.as_ref().map(|g| g.pause.as_str()),
        )?,
        performance_pause: optional_pause(
            path!["performanceGate", "pause"],
            p.performance_gate.as_ref().map(|g| g.pause.as_str()),
        )?,
        metrics_pause: optional_pause(
            path!["metrics", "pause"],
            p.metrics.as_ref().map(|m| m.pause.as_str()),
        )?,
        intervals,
        web: match &p.web_gate {
            None => None,
            Some(g) => Some((
                read_pause(path!["webGate", "pause"], &g.pause)?,
                go_duration(Kind::Go, &g.interval)
                    .map_err(|why| (path!["webGate", "interval"], why))?,
            )),
        },
        ab_duration: go_duration(Kind::Go, &p.ab_test.duration)
            .map_err(|why| (path!["abTest", "duration"], why))?,
    })
}

/// The properties of one component, read part by part.
struct Props<'a> {
    path: DocPath,
    json: &'a Value,
    broken: &'a Broken<'a>,
}

impl Props<'_> {
    fn at(&self, rest: &[Seg]) -> DocPath {
        self.path.join(rest)
    }

    /// Where the key `key` of the properties is written.
    fn key_pos(&self, ctx: &DocContext, key: &str) -> Option<crate::dom::Pos> {
        ctx.key_pos(&self.path, key)
    }

    /// The part at `rest`, typed, if present and accepted by the schema.
    fn part<T: DeserializeOwned>(&self, rest: &[Seg]) -> Option<T> {
        let path = self.at(rest);
        if !self.broken.intact(&path) {
            return None;
        }
        let mut value = self.json;
        for seg in rest {
            value = match seg {
                Seg::Key(k) => value.get(k)?,
                Seg::Index(i) => value.get(i)?,
            };
        }
        // For a rule only: the whole properties are read once more at the
        // end, where a failure is reported (never dropped).
        T::deserialize(value).ok()
    }
}

fn check_name(ctx: &mut DocContext, name_path: &[Seg], name: &str, ab_test: bool) {
    if let Err(why) = syntax::dns1123_label(name) {
        ctx.error(
            Code::Name,
            name_path,
            format!("component name `{name}` {why}"),
        )
        .help = Some("the component name becomes the Rollout, Service and label value".into());
        return;
    }
    // The component name is the Service's: a DNS-1035 label, so a letter first.
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        ctx.error(
            Code::ServiceName,
            name_path,
            format!("component name `{name}` must start with a lowercase letter: it names the Services `{name}` and `{name}-preview`"),
        )
        .help = Some("Service names are DNS-1035 labels; start the name with a letter".into());
        return;
    }
    let mut derived_names = names::derived_service_names(name).to_vec();
    if ab_test {
        derived_names.extend(names::ab_variant_services(name));
    }
    // Reported once, for the longest derived name.
    if let Some((kind, derived)) = derived_names
        .into_iter()
        .filter(|(_, d)| syntax::dns1035_label(d).is_err())
        .max_by_key(|(_, d)| d.len())
    {
        ctx.error(
            Code::DerivedName,
            name_path,
            format!(
                "the {kind} name `{derived}` derived from component `{name}` is {} characters; the limit is 63",
                derived.len()
            ),
        )
        .help = Some(format!(
            "keep the component name within {} characters",
            63usize.saturating_sub(derived.len() - name.len())
        ));
    }
}

/// Tags registries and projects move to each new build by convention.
const MOVING_TAGS: &[&str] = &[
    "latest", "stable", "edge", "nightly", "main", "master", "develop", "dev", "head",
];

/// A component image on a tag that moves with each build floats like an
/// untagged one: each pod pulls whatever the tag names when it starts, and a
/// new push changes nothing in Git. Checked with the Application's
/// promotion known (`defs::check_application`): a Digest promotion follows
/// such a tag on purpose and writes the digest it found into each stage.
pub(crate) fn moving_tag(ctx: &mut DocContext, index: usize, image: &str) {
    if image.contains('@') || syntax::image_reference(image).is_err() {
        return;
    }
    let Some(tag) =
        syntax::image_tag(image).filter(|t| MOVING_TAGS.iter().any(|m| t.eq_ignore_ascii_case(m)))
    else {
        return;
    };
    ctx.lenient(
        Code::MovingTag,
        &path!["spec", "components", index, "properties", "image"],
        format!("image `{image}` follows the moving tag `{tag}`: pods started at different times run different builds, and no rollout (or its gates) sees a new push"),
    )
    .help = Some("pin the version (`:1.2.3` or `@sha256:…`)".into());
}

fn check_service(ctx: &mut DocContext, p: &Props) {
    check_container(ctx, p);
    check_gates(ctx, p);
    check_strategy(ctx, p);
}

/// The container: image, names, path, env, probe, resources.
fn check_container(ctx: &mut DocContext, p: &Props) {
    if let Some(image) = p.part::<String>(&path!["image"])
        && let Err(why) = syntax::image_reference(&image)
    {
        ctx.error(
            Code::Image,
            &p.at(&path!["image"]),
            format!("image `{image}` {why}"),
        );
    }
    if let Some(container) = p.part::<String>(&path!["image_name"])
        && let Err(why) = syntax::dns1123_label(&container)
    {
        ctx.error(
            Code::Name,
            &p.at(&path!["image_name"]),
            format!("container name `{container}` {why}"),
        );
    }
    if let Some(sa) = p.part::<String>(&path!["serviceAccount"])
        && let Err(why) = syntax::dns1123_subdomain(&sa)
    {
        ctx.error(
            Code::Name,
            &p.at(&path!["serviceAccount"]),
            format!("ServiceAccount name `{sa}` {why}"),
        );
    }
    if let Some(app_path) = p.part::<String>(&path!["appPath"])
        && let Err(why) = syntax::app_path(&app_path)
    {
        ctx.error(
            Code::AppPath,
            &p.at(&path!["appPath"]),
            format!("appPath `{app_path}` {why}"),
        );
    }
    if let Some(env) = p.part::<Vec<EnvVar>>(&path!["env"]) {
        crate::check::env_names(
            ctx,
            &p.at(&path!["env"]),
            env.iter().map(|e| e.name.as_str()),
        );
    }
    if let Some(probe) = p.part::<serde_json::Map<String, Value>>(&path!["readinessProbe"]) {
        // The container listens on targetPort (its default when absent).
        let port = p
            .part::<u32>(&path!["targetPort"])
            .or_else(|| Some(super::props::defaults::target_port()));
        check_probe(ctx, &p.at(&path!["readinessProbe"]), &probe, port);
    }
    for (field, at) in [
        ("resources", path!["resources"]),
        ("resources.requests", path!["resources", "requests"]),
        ("resources.limits", path!["resources", "limits"]),
    ] {
        if p.part::<serde_json::Map<String, Value>>(&at)
            .is_some_and(|m| m.is_empty())
        {
            let d = ctx.error(
                Code::EmptyProperty,
                &p.at(&at),
                format!("`{field}` is empty: it sets nothing, and oamc writes nothing for it"),
            );
            d.severity = crate::diagnostic::Severity::Warning;
            d.help = Some(format!("remove `{field}`, or give it a value"));
        }
    }
    check_quantities(ctx, p);
}

/// The quality gates: the two Job gates, the metrics gate's criteria, the web gate.
fn check_gates(ctx: &mut DocContext, p: &Props) {
    if let Some(gate) = p.part::<QualityGate>(&path!["functionalGate"]) {
        gates::functional::check(ctx, &p.at(&path!["functionalGate"]), &gate);
    }
    if let Some(gate) = p.part::<PerformanceGate>(&path!["performanceGate"]) {
        gates::performance::check(ctx, &p.path, &gate);
    }
    if let Some(pause) = p.part::<String>(&path!["metrics", "pause"]) {
        check_duration(ctx, &p.at(&path!["metrics", "pause"]), Kind::Pause, &pause);
    }
    if let Some(gate) = p.part::<WebGate>(&path!["webGate"]) {
        gates::web::check(ctx, &p.at(&path!["webGate"]), &gate);
    }
    let criteria = p
        .json
        .pointer("/metrics/evaluationCriteria")
        .and_then(Value::as_array);
    for i in 0..criteria.map_or(0, Vec::len) {
        let at = path!["metrics", "evaluationCriteria", i];
        if let Some(c) = p.part::<Criterion>(&at) {
            gates::metrics::check_criterion(ctx, &p.at(&at), &c);
        }
    }
}

fn check_strategy(ctx: &mut DocContext, p: &Props) {
    let strategy = if p.json.get("strategy").is_some() {
        match p.part::<Strategy>(&path!["strategy"]) {
            Some(s) => s,
            None => return,
        }
    } else {
        Strategy::default()
    };
    for other in [Strategy::Canary, Strategy::BlueGreen, Strategy::AbTest] {
        let key = other.key();
        if other != strategy && p.json.get(key).is_some() {
            let pos = p.key_pos(ctx, key);
            ctx.push_at(
                Code::StrategyMismatch,
                pos,
                format!(
                    "`{key}` settings apply to `strategy: {key}`, but the strategy is `{}`",
                    strategy.key()
                ),
            )
            .help = Some(format!("set `strategy: {key}` or remove the `{key}` block"));
        }
    }
    if let Some(canary) = p.part::<CanarySettings>(&path!["canary"]) {
        let steps = &canary.steps;
        for i in 1..steps.len() {
            if steps[i] <= steps[i - 1] {
                ctx.error(
                    Code::StrategySteps,
                    &p.at(&path!["canary", "steps", i]),
                    format!(
                        "weight {} does not increase on the previous {}",
                        steps[i].0,
                        steps[i - 1].0
                    ),
                )
                .help = Some("canary weights must strictly increase, e.g. [10, 25, 50, 75]".into());
            }
        }
        if let Some(pause) = &canary.pause {
            check_duration(ctx, &p.at(&path!["canary", "pause"]), Kind::Pause, pause);
        }
        if let Some(routing) = &canary.traffic_routing {
            check_routing(ctx, &p.at(&path!["canary", "trafficRouting"]), routing);
        }
    }
    if let Some(ab) = p.part::<AbTestSettings>(&path!["abTest"]) {
        check_duration(
            ctx,
            &p.at(&path!["abTest", "duration"]),
            Kind::Go,
            &ab.duration,
        );
        check_experiment_length(ctx, p, &ab);
    }
}

/// An Experiment ends at its duration and terminates its analyses; a
/// terminated run counts as passed (argo-rollouts v1.9.1
/// `analysis/analysis.go`, `assessMetricStatus`), so a metrics gate whose
/// last reading falls after the end passes on fewer readings than written.
/// The gate's first reading waits at least `metrics.pause` (more when the
/// performance load runs first, which the platform sizes): a lower bound, so
/// a warning here is never wrong.
fn check_experiment_length(ctx: &mut DocContext, p: &Props, ab: &AbTestSettings) {
    use crate::check::duration::{check, go_nanos};
    use crate::semantics::rollouts::metric_window_nanos;
    if p.json.get("strategy").and_then(|v| v.as_str()) != Some(Strategy::AbTest.key()) {
        return;
    }
    let Some(metrics) = p.part::<MetricGate>(&path!["metrics"]) else {
        return;
    };
    // A refused duration or pause is reported at its line by its own check.
    let (Ok(duration), Ok(pause)) = (go_nanos(&ab.duration), check(Kind::Pause, &metrics.pause))
    else {
        return;
    };
    let delay = pause.seconds.saturating_mul(1_000_000_000);
    for (i, c) in metrics.evaluation_criteria.iter().enumerate() {
        // A refused interval is reported at its line by the criterion's own check.
        let Ok(interval) = go_nanos(&c.interval) else {
            continue;
        };
        let window = metric_window_nanos(delay, u64::try_from(interval).unwrap_or(0), c.count);
        if window > u64::try_from(duration).unwrap_or(0) {
            let seconds = crate::text::seconds_text(window.div_ceil(1_000_000_000));
            // At the criterion's `count`, or (left to its default) at the duration.
            let pos = ctx
                .key_pos(&p.at(&path!["metrics", "evaluationCriteria", i]), "count")
                .or_else(|| ctx.key_pos(&p.at(&path!["abTest"]), "duration"));
            let d = ctx.push_at(
                Code::ExperimentShort,
                pos,
                format!(
                    "the experiment ends after {} but this criterion's last reading comes {seconds} after the gate starts (metrics.pause {} + {} × ({} − 1)): Argo Rollouts ends the analysis at the experiment's end and counts it as passed, so the later readings are never taken",
                    ab.duration, metrics.pause, c.interval, c.count
                ),
            );
            d.severity = crate::diagnostic::Severity::Warning;
            d.help = Some(format!(
                "make abTest.duration at least {}, or take fewer readings (count) or read more often (interval)",
                seconds.replace(' ', "")
            ));
        }
    }
}

/// `replicas` written beside a trait that sets the replica count: the trait
/// wins (the Rollout leaves `replicas` to the HPA, or takes the scaler's),
/// so the written value would change nothing. Said at its line.
fn check_overridden(ctx: &mut DocContext, p: &Props, traits: &CheckedTraits) {
    if p.json.get("replicas").is_none() {
        return;
    }
    use crate::defs::traits::{Autoscaler, Scaler};
    let by = match (traits.first::<Autoscaler>(), traits.first::<Scaler>()) {
        (Some(Autoscaler::Hpa(h)), _) => {
            format!(
                "the hpa trait scales the Rollout between {} and {} replicas",
                h.min, h.max
            )
        }
        (Some(Autoscaler::Cpu(c)), _) => {
            format!(
                "the cpuscaler trait scales the Rollout between {} and {} replicas",
                c.min, c.max
            )
        }
        (None, Some(s)) => format!("the scaler trait sets {} replicas", s.replicas),
        (None, None) => return,
    };
    ctx.lenient(
        Code::PropertyOverridden,
        &p.at(&path!["replicas"]),
        format!("replicas is not used: {by}"),
    )
    .help = Some("remove replicas, or the trait".into());
}

/// A router that drives an Ingress must drive the one the ingress trait renders.
fn check_router_ingress(ctx: &mut DocContext, p: &Props, name: &str, traits: &CheckedTraits) {
    let Some(routing) = p.part::<TrafficRouting>(&path!["canary", "trafficRouting"]) else {
        return;
    };
    // ALB: Argo Rollouts' action forwards to `alb.servicePort` of the stable
    // and canary Services (argo-rollouts v1.9.1 `rollout/trafficrouting/alb/alb.go`),
    // and the trait's backends become `use-annotation` (see the plan): the
    // Services listen on `port` only, so any other servicePort reaches nothing.
    let port = match p.json.get("port") {
        None => Some(super::props::defaults::port()),
        Some(_) => p.part::<u32>(&path!["port"]),
    };
    if let (Some(alb), Some(port)) = (&routing.alb, port)
        && let Some(service_port) = alb.service_port
        && service_port != port
    {
        ctx.error(
            Code::StrategyRouting,
            &p.at(&path!["canary", "trafficRouting", "alb", "servicePort"]),
            format!("the ALB router would forward to port {service_port}, but the component's Services listen on {port}"),
        )
        .help = Some(format!("remove servicePort (it defaults to {port}), or set port: {service_port}"));
    }
    let (field, wanted) = match (traits.first::<Ingress>(), &routing.nginx, &routing.alb) {
        (Some(Ingress::Nginx(_)), Some(n), _) => {
            (path!["nginx", "stableIngress"], &n.stable_ingress)
        }
        (Some(Ingress::Alb(_)), _, Some(a)) => (path!["alb", "ingress"], &a.ingress),
        _ => return,
    };
    let ingress = names::ingress(name);
    if *wanted != ingress {
        let at = p.at(&path!["canary", "trafficRouting"]).join(&field);
        ctx.error(
            Code::StrategyRouting,
            &at,
            format!("the router drives the Ingress `{wanted}`, but the ingress trait renders the Ingress `{ingress}`"),
        )
        .help = Some(format!("name `{ingress}` here, so the router splits the traffic users reach"));
    }
}

fn check_routing(ctx: &mut DocContext, at: &DocPath, r: &TrafficRouting) {
    let mut names: Vec<(&str, &str, &str)> = Vec::new();
    if let Some(n) = &r.nginx {
        names.push(("nginx", "stableIngress", &n.stable_ingress));
    }
    if let Some(a) = &r.alb {
        names.push(("alb", "ingress", &a.ingress));
    }
    if let Some(i) = &r.istio {
        names.push(("istio", "virtualService", &i.virtual_service));
    }
    if let Some(g) = &r.gateway_api {
        names.push(("gatewayAPI", "httpRoute", &g.http_route));
    }
    if names.len() != 1 {
        ctx.error(
            Code::StrategyRouting,
            at,
            format!(
                "trafficRouting needs exactly one router, found {}",
                names.len()
            ),
        )
        .help = Some("one of nginx, alb, istio, gatewayAPI".into());
    }
    for (router, field, name) in names {
        if let Err(why) = syntax::dns1123_subdomain(name) {
            ctx.error(
                Code::Name,
                &at.key(router).key(field),
                format!("`{name}` {why}"),
            );
        }
    }
}

/// The container's requests and limits, as the API server checks them
/// ([`super::resources`]).
fn check_quantities(ctx: &mut DocContext, p: &Props) {
    let at = path!["resources"];
    // A side that is absent, or that the schema refused (and said so), is none.
    let side = |kind: &str| p.part::<super::resources::Amounts>(&path!["resources", kind]);
    if p.broken.intact(&p.at(&at)) {
        super::resources::check(ctx, &p.at(&at), side("requests"), side("limits"));
    }
}

/// The handlers of a core/v1 Probe: Kubernetes refuses a probe with none
/// ("must specify a handler type") or with more than one (k8s
/// `pkg/apis/core/validation/validation.go`, `validateHandler`).
const PROBE_HANDLERS: [&str; 4] = ["exec", "httpGet", "tcpSocket", "grpc"];

fn check_probe(
    ctx: &mut DocContext,
    at: &DocPath,
    probe: &serde_json::Map<String, Value>,
    container_port: Option<u32>,
) {
    let handlers: Vec<&str> = PROBE_HANDLERS
        .into_iter()
        .filter(|h| probe.contains_key(*h))
        .collect();
    if handlers.len() != 1 {
        ctx.error(
            Code::Probe,
            at,
            if handlers.is_empty() {
                "the readiness probe has no handler; Kubernetes refuses it".to_owned()
            } else {
                format!(
                    "the readiness probe has {} handlers ({}); Kubernetes takes exactly one",
                    handlers.len(),
                    handlers.join(", ")
                )
            },
        )
        .help = Some("give one of httpGet, tcpSocket, exec or grpc, e.g. `httpGet: {path: /health, port: 8080}`".into());
    }
    // A port given by name is looked up among the container's ports, and
    // the probe fails when none has it, so the pod never becomes Ready
    // (Kubernetes `pkg/kubelet/prober/prober.go`, `runProbe` through
    // `probe.ResolveContainerPort`/`findPortByName`: "couldn't find port").
    // oamc's container declares one port, without a name.
    for handler in ["httpGet", "tcpSocket"] {
        let Some(port) = probe.get(handler).and_then(|h| h.get("port")) else {
            continue;
        };
        let Some(name) = port.as_str() else {
            continue;
        };
        // Text is a port name to Kubernetes, even digits: a name needs a
        // letter, so the API server refuses `"8080"` (k8s
        // `pkg/apis/core/validation/validation.go`, `ValidatePortNumOrName`
        // through apimachinery `IsValidPortName`: "must contain at least one
        // letter (a-z)").
        let message = if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            format!(
                "the readiness probe's port is the text `\"{name}\"`: Kubernetes reads text as a port name, which needs a letter, and refuses the pod template"
            )
        } else {
            format!(
                "the readiness probe names port `{}`, and the container has no port of that name: the probe fails and the pod never becomes Ready",
                crate::text::shown(name)
            )
        };
        ctx.error(Code::ProbePort, &at.key(handler).key("port"), message)
            .help = Some(match container_port {
            Some(p) => format!("give the port number, e.g. `port: {p}`"),
            None => "give the port number".into(),
        });
    }
    // An exec handler runs its `command`; Kubernetes refuses one without
    // (k8s `pkg/apis/core/validation/validation.go`, `validateExecAction`:
    // `command` is required, and an empty list is none).
    if let Some(exec) = probe.get("exec") {
        let empty = exec
            .get("command")
            .is_none_or(|c| c.as_array().is_some_and(Vec::is_empty));
        if empty {
            ctx.error(
                Code::Probe,
                &at.key("exec"),
                "the readiness probe's exec handler has no command; Kubernetes refuses it",
            )
            .help = Some("give the command to run, e.g. `command: [cat, /tmp/ready]`".into());
        }
    }
}
