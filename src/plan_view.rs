//! `oamc plan`: the rollout a person will see, read from the same resolved
//! plan the renderer formats, as text or as a Mermaid flowchart.

use crate::plan::{AppPlan, Gate, PromotionPlan, ServicePlan, StagePlan, StepPlan, StrategyPlan};
use crate::timeline;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Numbered steps, for a terminal.
    Text,
    /// A Mermaid flowchart, for a pull request or a README.
    Mermaid,
    /// The resolved plan itself (the model the templates format) with each
    /// Application's `timeline`, for scripts.
    Json,
    /// The timeline as a Mermaid gantt chart: each step over time, best case.
    Gantt,
    /// The timeline as a standalone SVG: the share of requests on the new
    /// version over time, gates and where they can abort.
    Svg,
}

pub fn render(apps: &[AppPlan], format: PlanFormat) -> Result<String, serde_json::Error> {
    Ok(match format {
        PlanFormat::Text => apps.iter().map(text).collect::<Vec<_>>().join("\n"),
        PlanFormat::Mermaid => mermaid(apps),
        PlanFormat::Json => {
            /// The plan as the templates see it, its timeline beside it.
            #[derive(serde::Serialize)]
            struct WithTimeline<'a> {
                #[serde(flatten)]
                plan: &'a AppPlan,
                timeline: timeline::AppTimeline,
            }
            let apps: Vec<WithTimeline> = apps
                .iter()
                .map(|plan| WithTimeline {
                    plan,
                    timeline: timeline::of_app(plan),
                })
                .collect();
            crate::text::json_without_commands(serde_json::to_string_pretty(&apps)? + "\n")
        }
        PlanFormat::Gantt => timeline::gantt::render(apps),
        PlanFormat::Svg => timeline::svg::render(apps),
    })
}

/// One line per thing that happens, in order.
#[derive(Debug)]
enum Event {
    Start(String),
    Action(String),
    Gate { label: String },
    Done(String),
}

/// What Argo Rollouts does when a gate fails or the rollout stalls.
fn on_failure(s: &ServicePlan) -> &'static str {
    match s.strategy {
        // An A/B test is a canary whose step is the experiment: aborted alike.
        StrategyPlan::Canary { .. } | StrategyPlan::AbTest { .. } => {
            "abort: traffic back to the stable version, new pods scaled down"
        }
        StrategyPlan::BlueGreen { .. } => {
            "abort: the active Service stays on, or returns to, the old version"
        }
    }
}

fn events(s: &ServicePlan) -> Vec<Event> {
    let replicas = match (s.replicas, &s.autoscaler) {
        (Some(n), _) => format!("{n} replicas"),
        (None, Some(h)) => format!("{}-{} replicas, autoscaled", h.min, h.max),
        (None, None) => "replicas unset".into(),
    };
    // A sidecar is part of the pod template: a change to it is a new version too.
    let sidecars: String = s
        .sidecars
        .iter()
        .map(|c| format!(", sidecar {} {}", c.name, c.image))
        .collect();
    let mut out = vec![Event::Start(format!(
        "new version {} ({replicas}){sidecars}",
        s.container.image
    ))];
    let gate_label = |gate: Gate, template: &str| -> String {
        let summary = s
            .analysis_templates
            .iter()
            .find(|t| t.name == template)
            .map_or("", |t| t.summary.as_str());
        format!("{} gate: {summary}", gate.name())
    };
    match &s.strategy {
        StrategyPlan::Canary {
            steps,
            traffic_routing,
            ..
        } => canary_events(s, steps, traffic_routing.is_some(), &gate_label, &mut out),
        StrategyPlan::AbTest {
            duration,
            variants,
            analyses,
            ..
        } => ab_test_events(s, duration, variants, analyses, &gate_label, &mut out),
        StrategyPlan::BlueGreen { .. } => blue_green_events(s, &gate_label, &mut out),
    }
    // Each event is one line of oamc's words around user text: a line break
    // or a control in that text is shown escaped, never a line of its own.
    out.into_iter().map(Event::shown).collect()
}

/// A canary's steps, each an event.
fn canary_events(
    s: &ServicePlan,
    steps: &[StepPlan],
    routed: bool,
    gate_label: &dyn Fn(Gate, &str) -> String,
    out: &mut Vec<Event>,
) {
    // Without a router the weight is a pod count, and the Service that
    // reaches every pod splits requests by it (the timeline's model).
    let mut before = None;
    for step in steps {
        match step {
            StepPlan::SetWeight { weight } => {
                let t = timeline::canary_traffic(s, *weight);
                let pods = match (routed, t.new_pods, t.old_pods) {
                    (true, _, _) => {
                        format!(": the router sends exactly {weight}% of requests to the new pods")
                    }
                    (false, Some(new), Some(old)) => {
                        let share = f64::from(new) * 100.0 / f64::from((new + old).max(1));
                        let same = if before == Some((new, old)) {
                            " — the same pods as the step before: this step changes nothing"
                        } else {
                            ""
                        };
                        before = Some((new, old));
                        format!(
                            ": {new} new pod{} next to {old} old, so about {share:.0}% of requests reach the new version{same}",
                            if new == 1 { "" } else { "s" }
                        )
                    }
                    (false, _, _) => String::new(),
                };
                out.push(Event::Action(format!("set weight {weight}%{pods}")))
            }
            StepPlan::Pause {
                duration,
                seconds,
                truncated,
            } => {
                // Units that say the seconds themselves (`20s`, `1m30s`) stand alone.
                let plain = duration.ends_with(['s', 'm', 'h'])
                    && !duration.contains(['.', 'n', 'u'])
                    && !duration.contains("ms");
                let said = match (plain, truncated) {
                    (_, true) => format!(" ({seconds} s: Argo waits whole seconds)"),
                    (false, false) => format!(" ({seconds} s)"),
                    (true, false) => String::new(),
                };
                out.push(Event::Action(format!("pause {duration}{said}")))
            }
            StepPlan::Analysis { gate, template, .. } => out.push(Event::Gate {
                label: gate_label(*gate, template),
            }),
        }
    }
    out.push(Event::Done(
        "100% on the new version; the old one is scaled down".into(),
    ));
}

/// An A/B test: the experiment, and each analysis on the canary variant.
fn ab_test_events(
    s: &ServicePlan,
    duration: &crate::plan::GoDuration,
    variants: &[crate::plan::ExperimentTemplatePlan],
    analyses: &[crate::plan::ExperimentAnalysisPlan],
    gate_label: &dyn Fn(Gate, &str) -> String,
    out: &mut Vec<Event>,
) {
    let canary_service = variants
        .iter()
        .find(|v| v.name == crate::defs::appmod::AB_CANARY)
        .map_or("", |v| v.service.as_str());
    let variants: Vec<String> = variants
        .iter()
        .map(|t| format!("{} ({} pods, Service {})", t.name, t.replicas, t.service))
        .collect();
    out.push(Event::Action(format!(
        "experiment for {duration}: {} side by side",
        variants.join(" and ")
    )));
    for a in analyses {
        let selects = s
            .analysis_templates
            .iter()
            .find(|t| t.name == a.template)
            .and_then(|t| t.prometheus())
            .map(|p| p.variant_matcher.clone());
        let on = match (a.gate, selects) {
            (Gate::Metrics, Some(Some(matcher))) => {
                format!("the canary variant's series only ({matcher})")
            }
            (Gate::Metrics, _) => "every pod of the container in the namespace, both variants and the stable version: the query selects no variant; --prometheus-variant-label makes it select the canary's".to_owned(),
            _ => format!("the canary variant, through Service {canary_service}"),
        };
        out.push(Event::Gate {
            label: format!("{} (on {on})", gate_label(a.gate, &a.template)),
        });
    }
    out.push(Event::Done(
        "100% on the new version; the old one is scaled down".into(),
    ));
}

/// Blue/green: the preview, the gates around the switch, the switch (for a
/// blue/green strategy only; any other has none of these events).
fn blue_green_events(
    s: &ServicePlan,
    gate_label: &dyn Fn(Gate, &str) -> String,
    out: &mut Vec<Event>,
) {
    let StrategyPlan::BlueGreen {
        active_service,
        preview_service,
        auto_promotion_enabled,
        scale_down_delay_seconds,
        preview_replica_count,
        pre_promotion,
        post_promotion,
    } = &s.strategy
    else {
        return;
    };
    out.push(Event::Action(format!(
        "start the new version behind {preview_service} ({} pods); {active_service} keeps serving the old one",
        preview_replica_count.map_or_else(|| "all".to_owned(), |n| n.to_string())
    )));
    if let Some(block) = pre_promotion {
        for (gate, template) in block.gates.iter().zip(&block.templates) {
            out.push(Event::Gate {
                label: gate_label(*gate, template),
            });
        }
    }
    out.push(Event::Action(if *auto_promotion_enabled {
        format!("switch {active_service} to the new version")
    } else {
        format!("wait for a person to promote (kubectl argo rollouts promote {}), then switch {active_service}", s.name)
    }));
    if let Some(block) = post_promotion {
        for (gate, template) in block.gates.iter().zip(&block.templates) {
            out.push(Event::Gate {
                label: gate_label(*gate, template),
            });
        }
    }
    out.push(Event::Done(format!(
        "keep the old version {scale_down_delay_seconds}s for an instant rollback, then scale it down"
    )));
}

impl Event {
    fn shown(self) -> Event {
        let safe = |t: String| crate::text::shown_message(&t).into_owned();
        match self {
            Event::Start(t) => Event::Start(safe(t)),
            Event::Action(t) => Event::Action(safe(t)),
            Event::Gate { label } => Event::Gate { label: safe(label) },
            Event::Done(t) => Event::Done(safe(t)),
        }
    }
}

/// The rollout of one component as lines, one per step, as `plan` prints
/// them (weight steps with their pod counts): what `diff` compares.
pub fn step_lines(s: &ServicePlan) -> Vec<String> {
    events(s)
        .into_iter()
        .map(|e| match e {
            Event::Start(t) | Event::Action(t) | Event::Done(t) => t,
            Event::Gate { label } => format!("gate: {label}"),
        })
        .collect()
}

fn traffic(s: &ServicePlan) -> String {
    match &s.strategy {
        StrategyPlan::Canary {
            traffic_routing: Some(r),
            stable_service,
            canary_service,
            ..
        } => {
            let router = if r.nginx_stable_ingress.is_some() {
                "NGINX Ingress"
            } else if r.alb.is_some() {
                "AWS ALB"
            } else if r.istio.is_some() {
                "Istio"
            } else {
                "Gateway API"
            };
            // The object the router drives: rendered by an ingress trait,
            // else the user's own, which must exist before the rollout.
            let rendered = s.ingress.as_ref().map(|i| i.name.as_str());
            let theirs = match (&r.nginx_stable_ingress, &r.alb, &r.istio, &r.gateway_api) {
                (Some(i), ..) if Some(i.as_str()) != rendered => Some(format!("Ingress {i}")),
                (_, Some(a), ..) if Some(a.ingress.as_str()) != rendered => {
                    Some(format!("Ingress {}", a.ingress))
                }
                (_, _, Some(v), _) => Some(format!("VirtualService {}", v.virtual_service)),
                (_, _, _, Some(g)) => Some(format!("HTTPRoute {}", g.http_route)),
                _ => None,
            };
            let needs = theirs.map_or(String::new(), |t| {
                format!("; it drives the {t}, which oamc does not render: it must exist")
            });
            format!(
                "{router} splits traffic at the exact weight between {} (stable) and {canary_service} (new){needs}",
                stable_service.as_deref().unwrap_or(&s.name)
            )
        }
        StrategyPlan::Canary { canary_service, .. } => format!(
            "no traffic router: {} reaches every pod, so the weight is approximated by pod counts; {canary_service} reaches only the new pods (the gates test it)",
            s.name
        ),
        StrategyPlan::AbTest { variants, .. } => {
            let services: Vec<String> = variants
                .iter()
                .map(|t| format!("{} ({})", t.service, t.name))
                .collect();
            format!(
                "{} reaches every pod, both variants included, in proportion to their pods; {} reach one variant each; the Job gates test the canary variant through its Service",
                s.name,
                services.join(" and ")
            )
        }
        StrategyPlan::BlueGreen {
            active_service,
            preview_service,
            ..
        } => format!(
            "{active_service} serves users, {preview_service} the version waiting for promotion"
        ),
    }
}

fn text(app: &AppPlan) -> String {
    let mut out = String::new();
    let ns = app
        .namespace
        .as_deref()
        .map_or(String::new(), |n| format!(" in namespace {n}"));
    let _ = writeln!(out, "Application {}{ns}", app.name);
    // One timeline per Application: the promotion's reads the rollouts'.
    let timeline = timeline::of_app(app);
    for (s, rollout) in app.services.iter().zip(&timeline.rollouts) {
        let _ = writeln!(out, "\n{}: {}", s.name, s.strategy.name());
        let _ = writeln!(out, "  traffic: {}", traffic(s));
        if let Some(ingress) = &s.ingress {
            for p in &ingress.paths {
                let _ = writeln!(
                    out,
                    "  reached at: http://{}{} -> Service {}:{} (Ingress {}, class {})",
                    if ingress.host.is_empty() {
                        "<any host>"
                    } else {
                        &ingress.host
                    },
                    p.prefix,
                    ingress.service,
                    p.port,
                    ingress.name,
                    ingress.class
                );
            }
        }
        let mut n = 0;
        for e in events(s) {
            match e {
                Event::Start(t) => {
                    let _ = writeln!(out, "  start: {t}");
                }
                Event::Action(t) => {
                    n += 1;
                    let _ = writeln!(out, "  {n}. {t}");
                }
                Event::Gate { label } => {
                    n += 1;
                    let _ = writeln!(out, "  {n}. {label}\n     on failure: {}", on_failure(s));
                }
                Event::Done(t) => {
                    let _ = writeln!(out, "  then: {t}");
                }
            }
        }
        let _ = writeln!(
            out,
            "  no progress for {}s (e.g. an image that cannot be pulled): {}",
            s.progress_deadline_seconds,
            on_failure(s)
        );
        rollout_timeline(&mut out, rollout);
    }
    if let Some(p) = &app.promotion {
        let _ = writeln!(out, "\npromotion (Kargo project {}):", p.project);
        let _ = writeln!(
            out,
            "  Warehouse {} watches {} ({}, every {}): {}",
            p.warehouse,
            p.image_repo,
            p.image_selection_strategy,
            p.interval,
            tag_filter(p)
        );
        promotion_flow(&mut out, app, p);
        if let Some(t) = &timeline.promotion {
            promotion_timeline(&mut out, t);
        }
    }
    out
}

/// `0s`, or `30s–10m` when the least and the most differ; `…` for a person.
fn range(min: u64, max: Option<u64>) -> String {
    match max {
        None => format!("{}–(a person)", timeline::seconds_text(min)),
        Some(max) if max == min => timeline::seconds_text(min),
        Some(max) => format!(
            "{}–{}",
            timeline::seconds_text(min),
            timeline::seconds_text(max)
        ),
    }
}

fn traffic_text(t: &timeline::Traffic) -> String {
    match (t.new_pods, t.old_pods, t.exact) {
        (_, _, true) => format!("{}%", t.new_percent),
        (Some(new), Some(old), false) => {
            format!("{}% ({new} of {} pods)", t.new_percent, new + old)
        }
        _ => format!("~{}%", t.new_percent),
    }
}

/// Each step with when it starts (best case), how long it takes and the
/// share of requests on the new version, then the totals.
fn rollout_timeline(out: &mut String, t: &timeline::RolloutTimeline) {
    let _ = writeln!(
        out,
        "  timeline (start in the best case; least–most time; requests on the new version):"
    );
    for span in &t.spans {
        let aborts = span.fails_after_seconds.map_or(String::new(), |f| {
            format!("; can abort from {}", timeline::seconds_text(f))
        });
        let _ = writeln!(
            out,
            "    {:>9}  {:<16} {:<20} {}{aborts}",
            timeline::seconds_text(span.start_seconds),
            range(span.min_seconds, span.max_seconds),
            traffic_text(&span.traffic),
            crate::text::shown_message(&span.label)
        );
    }
    let person = if t.waits_for_person {
        ", plus the time a person takes to promote"
    } else {
        ""
    };
    let kept = if t.old_version_kept_seconds > 0 {
        format!(
            "; the old version is then kept {}",
            timeline::seconds_text(t.old_version_kept_seconds)
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  takes {} at best, {} at most before it completes or aborts{person}{kept}",
        timeline::seconds_text(t.best_seconds),
        timeline::seconds_text(t.worst_seconds)
    );
    for note in &t.notes {
        let _ = writeln!(out, "  - {}", crate::text::shown_message(note));
    }
}

fn promotion_timeline(out: &mut String, t: &timeline::PromotionTimeline) {
    let _ = writeln!(
        out,
        "  timeline from a new image (found by the Warehouse within {}):",
        timeline::seconds_text(t.discovery_max_seconds)
    );
    for stage in &t.stages {
        let person = if stage.waits_for_person {
            ", plus a person's time"
        } else {
            ""
        };
        let mut how = if stage.manual {
            "a person promotes, then ".to_owned()
        } else {
            String::new()
        };
        if let Some(acts) = &stage.person_acts {
            how.push_str(&format!("{acts}, then "));
        }
        let _ = writeln!(
            out,
            "    {}: {how}starts after {}, done after {}{person}",
            crate::text::shown(&stage.name),
            range(stage.starts_best_seconds, Some(stage.starts_worst_seconds)),
            range(stage.done_best_seconds, Some(stage.done_worst_seconds)),
        );
    }
    for note in &t.notes {
        let _ = writeln!(out, "  - {note}");
    }
}

/// Which tags the Warehouse can pick, as Kargo's selectors read the
/// subscription (`pkg/image/*_selector.go`, v1.11.2).
fn tag_filter(p: &PromotionPlan) -> String {
    let constraint = p.constraint.as_deref();
    let allowed = match p.allow_tags.as_slice() {
        [] => None,
        patterns => Some(
            patterns
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(" or "),
        ),
    };
    match (p.image_selection_strategy.as_str(), allowed) {
        ("Digest", _) => format!(
            "the image tag {} points at, pinned by its digest",
            constraint.unwrap_or("<constraint>")
        ),
        ("SemVer", allowed) => format!(
            "the highest semantic version{}{}",
            constraint.map_or(String::new(), |c| format!(" within {c}")),
            allowed.map_or(String::new(), |a| format!(" among tags matching {a}"))
        ),
        (strategy, Some(a)) => format!(
            "{} tag matching {a} (a moving tag such as latest is never picked)",
            if strategy == "Lexical" {
                "the lexically greatest"
            } else {
                "the newest-built"
            }
        ),
        (strategy, None) => format!(
            "{} of every tag (a moving tag such as latest, pushed with a build, wins the tie)",
            if strategy == "Lexical" {
                "the lexically greatest"
            } else {
                "the newest-built"
            }
        ),
    }
}

/// Each stage as the spec draws it — where its Freight comes from, the file
/// its promotion commits, the Argo CD Application that deploys it — then
/// what must exist before the first promotion can succeed.
fn promotion_flow(out: &mut String, app: &AppPlan, p: &PromotionPlan) {
    for stage in &p.stages {
        let from = stage.upstream.as_deref().unwrap_or("the Warehouse");
        let how = if stage.auto_promote {
            "automatically"
        } else {
            "when a person promotes"
        };
        let _ = writeln!(out, "  {}: takes Freight from {from}, {how}", stage.name);
        let steps = p.task_of(stage).into_iter().flat_map(|t| &t.steps);
        for line in steps.filter_map(|s| s.describe(p, stage)) {
            let _ = writeln!(out, "    {line}");
        }
    }
    prerequisites(out, app, p);
}

/// The stages' branches, which their Applications track, and the branches
/// the promotions push (a stage's own, or a branch of the promotion's own).
fn branches(p: &PromotionPlan) -> (String, String) {
    let tracked = p
        .stages
        .iter()
        .map(|s| p.stage_branch.show(&s.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut pushes: Vec<String> = Vec::new();
    for stage in &p.stages {
        let steps = p.task_of(stage).into_iter().flat_map(|t| &t.steps);
        for branch in steps.filter_map(|s| s.pushes(p, stage)) {
            if !pushes.contains(&branch) {
                pushes.push(branch);
            }
        }
    }
    let pushed = pushes.join(", ");
    (tracked, pushed)
}

/// What must exist before the first promotion: credentials, the stages'
/// manifests, the plugin, the Applications.
fn prerequisites(out: &mut String, app: &AppPlan, p: &PromotionPlan) {
    let (repo, branch) = (&p.repo_url, &p.branch);
    let argocd_ns = &p.argocd_looks_in;
    let (tracked, pushed) = branches(p);
    let _ = writeln!(out, "  before the first promotion:");
    let secret = if repo.starts_with("https://") || repo.starts_with("http://") {
        format!("a username and password (or token) that may read {branch} and push {pushed}")
    } else {
        format!(
            "an sshPrivateKey that may read {branch} and push {pushed} (Kargo deprecated SSH URLs in v1.10 and removes them in v1.13: prefer an https:// repoURL)"
        )
    };
    let _ = writeln!(
        out,
        "    - Git: a Secret in namespace {} labelled kargo.akuity.io/cred-type: git, with repoURL {repo} and {secret}",
        p.project
    );
    // What a step itself needs, once for the stages whose task runs it.
    for task in &p.tasks {
        let stages: Vec<&StagePlan> = p.stages.iter().filter(|s| s.task == task.name).collect();
        for line in task.steps.iter().filter_map(|s| s.prerequisite(p, &stages)) {
            let _ = writeln!(out, "    - {line}");
        }
    }
    // Kargo's yaml-update changes keys and never creates one
    // (`pkg/yaml/yaml.go`, `findScalarNode`): every stage's file needs them.
    let files: Vec<String> = p.stages.iter().map(|s| p.repo_file(&s.name)).collect();
    let keys: Vec<&str> = p.updates.iter().map(|u| u.key.as_str()).collect();
    let _ = writeln!(
        out,
        "    - the stages' manifests: {} on {branch}, each an Application with the keys the promotion sets: {} (Kargo's yaml-update changes a key, never creates one); a change there reaches a stage with its next promotion",
        files.join(", "),
        keys.join(", ")
    );
    // A namespaced resource goes where its manifest says, whatever the
    // Application's destination: a stage deploying elsewhere needs its own.
    for a in p.argocd.iter().flat_map(|a| &a.applications) {
        if let (Some(ns), Some(own)) = (&a.destination_namespace, &app.namespace)
            && own != ns
        {
            let _ = writeln!(
                out,
                "    - {}: metadata.namespace unset (Argo CD's destination namespace then applies) or {ns}, not {own} as here (the plugin refuses the copy otherwise)",
                p.repo_file(&a.stage),
            );
        }
    }
    let image = match ecr_region(&p.image_repo) {
        Some(region) => format!(
            "    - registry: {} is in ECR: give Kargo's controller an IAM role (EKS Pod Identity or IRSA on the kargo-controller ServiceAccount) that may assume the role kargo-project-{} with read access to it; or a Secret in namespace {} labelled kargo.akuity.io/cred-type: image, with repoURL {}, awsRegion {region}, awsAccessKeyID and awsSecretAccessKey",
            p.image_repo, p.project, p.project, p.image_repo
        ),
        None => format!(
            "    - registry: if {} is private, a Secret in namespace {} labelled kargo.akuity.io/cred-type: image, with repoURL {} and a username and password that may read it",
            p.image_repo, p.project, p.image_repo
        ),
    };
    let _ = writeln!(out, "{image}");
    let _ = writeln!(
        out,
        "    - Argo CD: the oamc plugin ({}) in the repo-server (cmp/plugin.yaml, in the sidecar image)",
        crate::names::PLUGIN_NAME
    );
    let first = p.stages.first().map_or("<stage>", |s| s.name.as_str());
    let folder = p.repo_folder(first);
    let creates = if p.argocd.is_some() {
        format!(
            " and the stages' Applications; its project must allow the namespaces {} and {argocd_ns}",
            p.project
        )
    } else {
        format!("; its project must allow the namespace {}", p.project)
    };
    let _ = writeln!(
        out,
        "    - Argo CD: one Application that renders this pipeline: the oamc plugin with promotion: only, e.g. on {folder}; it creates the Kargo resources{creates}"
    );
    if p.argocd.is_none() {
        let names: Vec<String> = p
            .stages
            .iter()
            .map(|s| p.argocd_app.show(&s.name))
            .collect();
        let _ = writeln!(
            out,
            "    - Argo CD: each stage's Application, which oamc does not emit (add `argocd:` to the policy and it does): {} in namespace {argocd_ns}, each tracking its stage's branch ({tracked}), rendering its stage's folder with the oamc plugin (promotion: skip) and annotated kargo.akuity.io/authorized-stage: {}:<stage>",
            names.join(", "),
            p.project
        );
    }
}

/// The region of an ECR repository (`<account>.dkr.ecr.<region>.amazonaws.com/…`).
fn ecr_region(repo: &str) -> Option<&str> {
    let host = repo.split('/').next()?;
    let rest = host.split_once(".dkr.ecr.")?.1;
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
    (!region.is_empty() && !region.contains('.')).then_some(region)
}

/// Mermaid node ids are letters, digits and underscores; `__` separates the
/// parts. Each part is written injectively ([`id_part`]), so two names give
/// two ids and two Applications' diagrams never merge.
fn node_id(prefix: &str, suffix: &str) -> String {
    format!("{prefix}__{suffix}")
}

/// A name as an id part: ASCII letters and digits kept, any other character
/// written `_` and six hex digits. `_` is always followed by a hex digit, so
/// `__` never occurs inside a part and the parts of an id read back one way:
/// `a-b` and `a.b` stay apart (`a_00002db`, `a_00002eb`).
fn id_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push_str(&format!("_{:06x}", u32::from(c)));
        }
    }
    out
}

/// The id prefix of an Application: its namespace and name.
fn app_prefix(app: &AppPlan) -> String {
    format!(
        "{}__{}",
        id_part(app.namespace.as_deref().unwrap_or("")),
        id_part(&app.name)
    )
}

/// A flowchart label inside `"…"` ([`crate::text::mermaid`]).
fn label(text: &str) -> String {
    crate::text::mermaid(text, &[])
}

fn mermaid(apps: &[AppPlan]) -> String {
    let mut out = String::from("flowchart TD\n");
    for app in apps {
        for s in &app.services {
            let prefix = format!("{}__{}", app_prefix(app), id_part(&s.name));
            let abort = node_id(&prefix, "abort");
            let _ = writeln!(
                out,
                "  subgraph {}[\"{} ({})\"]",
                node_id(&prefix, "rollout"),
                label(&s.name),
                s.strategy.name()
            );
            let mut previous: Option<String> = None;
            let mut has_gate = false;
            for (i, e) in events(s).into_iter().enumerate() {
                let id = node_id(&prefix, &i.to_string());
                let node = match &e {
                    Event::Start(t) => format!("{id}([\"{}\"])", label(t)),
                    Event::Action(t) => format!("{id}[\"{}\"]", label(t)),
                    Event::Gate { label: t } => format!("{id}{{\"{}\"}}", label(t)),
                    Event::Done(t) => format!("{id}([\"{}\"])", label(t)),
                };
                let _ = writeln!(out, "    {node}");
                if let Some(prev) = &previous {
                    let _ = writeln!(out, "    {prev} --> {id}");
                }
                if matches!(e, Event::Gate { .. }) {
                    has_gate = true;
                    let _ = writeln!(out, "    {id} -- fails --> {abort}");
                }
                previous = Some(id);
            }
            if has_gate {
                let _ = writeln!(out, "    {abort}[[\"{}\"]]", label(on_failure(s)));
            }
            let _ = writeln!(out, "  end");
        }
        if let Some(p) = &app.promotion {
            mermaid_promotion(&mut out, &app_prefix(app), p);
        }
    }
    out
}

fn mermaid_promotion(out: &mut String, app_prefix: &str, p: &PromotionPlan) {
    let prefix = format!("{app_prefix}__kargo");
    let warehouse = node_id(&prefix, "warehouse");
    let _ = writeln!(
        out,
        "  subgraph {}[\"promotion: {}\"]",
        node_id(&prefix, "pipeline"),
        label(&p.project)
    );
    let _ = writeln!(
        out,
        "    {warehouse}[(\"{}\")]",
        label(&format!("Warehouse: {}", p.image_repo))
    );
    for stage in &p.stages {
        // `stage__`: a stage named `warehouse` is not the Warehouse.
        let stage_id = |name: &str| node_id(&prefix, &format!("stage__{}", id_part(name)));
        let id = stage_id(&stage.name);
        let _ = writeln!(
            out,
            "    {id}[\"{}\"]",
            label(&format!("stage {}", stage.name))
        );
        let from = stage
            .upstream
            .as_ref()
            .map_or(warehouse.clone(), |u| stage_id(u));
        let how = if stage.auto_promote { "auto" } else { "manual" };
        let _ = writeln!(out, "    {from} -- {how} --> {id}");
        let deploy = node_id(&prefix, &format!("argocd__{}", id_part(&stage.name)));
        let _ = writeln!(
            out,
            "    {deploy}[\"{}\"]",
            label(&format!(
                "commit {}{}, Argo CD {} syncs it",
                p.repo_file(&stage.name),
                p.task_of(stage)
                    .and_then(|t| t.steps.iter().find_map(|s| s.person_acts()))
                    .map_or(String::new(), |acts| format!(", {acts}")),
                p.argocd_app.show(&stage.name)
            ))
        );
        let _ = writeln!(out, "    {id} --> {deploy}");
    }
    let _ = writeln!(out, "  end");
}
