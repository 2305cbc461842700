//! `plan --format text`: each component's steps and timeline, then the
//! promotion's stages and what must exist before the first one.

use super::events::{Event, events, on_failure};
use crate::plan::{AppPlan, PromotionPlan, ServicePlan, StagePlan, StrategyPlan};
use crate::timeline;
use std::fmt::Write;

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

pub(super) fn text(app: &AppPlan) -> String {
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
