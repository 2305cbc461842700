//! Compare two compilations: the plans (the change in words) and the
//! rendered resources (field by field), and flag the changes that break or
//! weaken a rollout. The report holds user text raw; `show` escapes it.

use super::fields::field_changes;
use super::plans::compare_plans;
use super::report::{AppDiff, FieldChange, Report, ResourceDiff, Risk, Status};
use super::risk;
use crate::driver::{Compilation, CompiledApp};
use crate::emit::Manifest;
use crate::plan::{AppPlan, StrategyPlan};
use std::collections::{BTreeMap, BTreeSet};

/// Compare two successful compilations.
pub fn compare(base: &Compilation, head: &Compilation, names: (&str, &str)) -> Report {
    let mut applications = Vec::new();
    let mut risks = Vec::new();
    let key = |a: &CompiledApp| (a.plan.name.clone(), a.plan.namespace.clone());
    let mut unmatched_base: BTreeMap<_, &CompiledApp> =
        base.apps.iter().map(|a| (key(a), a)).collect();
    let mut pairs: Vec<(Option<&CompiledApp>, Option<&CompiledApp>)> = Vec::new();
    let mut head_only = Vec::new();
    for h in &head.apps {
        match unmatched_base.remove(&key(h)) {
            Some(b) => pairs.push((Some(b), Some(h))),
            None => head_only.push(h),
        }
    }
    // An Application that moved namespace: paired by its name when that is
    // unambiguous on both sides.
    for h in head_only {
        let same_name: Vec<_> = unmatched_base
            .keys()
            .filter(|(n, _)| *n == h.plan.name)
            .cloned()
            .collect();
        let heads_of_name = head
            .apps
            .iter()
            .filter(|a| a.plan.name == h.plan.name)
            .count();
        match same_name.as_slice() {
            [only] if heads_of_name == 1 => {
                let b = unmatched_base.remove(only);
                pairs.push((b, Some(h)));
            }
            _ => pairs.push((None, Some(h))),
        }
    }
    pairs.extend(unmatched_base.into_values().map(|b| (Some(b), None)));
    for pair in pairs {
        if let Some(diff) = compare_app(pair, &mut risks) {
            applications.push(diff);
        }
    }
    Report {
        base: names.0.to_owned(),
        head: names.1.to_owned(),
        risks,
        applications,
    }
}

fn compare_app(
    (base, head): (Option<&CompiledApp>, Option<&CompiledApp>),
    risks: &mut Vec<Risk>,
) -> Option<AppDiff> {
    let app = head.or(base)?;
    let name = app.plan.name.clone();
    let namespace = app.plan.namespace.clone();
    let mut diff = AppDiff {
        name: name.clone(),
        namespace: namespace.clone(),
        namespace_before: None,
        status: Status::Changed,
        plan: Vec::new(),
        resources: Vec::new(),
    };
    match (base, head) {
        (None, Some(h)) => {
            diff.status = Status::Added;
            diff.resources = listed(&h.plan, &h.manifests, Status::Added);
        }
        (Some(b), None) => {
            diff.status = Status::Removed;
            diff.resources = listed(&b.plan, &b.manifests, Status::Removed);
            risks.push(risk::application_removed(&name, b.manifests.len()));
        }
        (Some(b), Some(h)) => {
            let mut own = Vec::new();
            if b.plan.namespace != h.plan.namespace {
                diff.namespace_before = Some(b.plan.namespace.clone());
                own.push(risk::namespace_moved(
                    &b.plan.namespace,
                    &h.plan.namespace,
                    h.manifests.len(),
                ));
            }
            diff.plan = compare_plans(&b.plan, &h.plan, &mut own);
            diff.resources = compare_resources(b, h, &mut own);
            for mut r in own {
                r.application = name.clone();
                risks.push(r);
            }
            if diff.plan.is_empty() && diff.resources.is_empty() && diff.namespace_before.is_none()
            {
                return None;
            }
        }
        (None, None) => return None,
    }
    Some(diff)
}

/// Every resource of an Application added or removed whole.
fn listed(plan: &AppPlan, manifests: &[Manifest], status: Status) -> Vec<ResourceDiff> {
    let groups = Groups::of(plan);
    let mut out: Vec<ResourceDiff> = manifests
        .iter()
        .map(|m| resource(&groups, m, status, Vec::new()))
        .collect();
    groups.sort(&mut out);
    out
}

fn resource(
    groups: &Groups,
    m: &Manifest,
    status: Status,
    fields: Vec<FieldChange>,
) -> ResourceDiff {
    ResourceDiff {
        group: groups.of_resource(&m.kind, &m.name),
        api_version: m.api_version.clone(),
        kind: m.kind.clone(),
        namespace: m.namespace.clone(),
        name: m.name.clone(),
        status,
        fields,
    }
}

// ------------------------------------------------------------ resources

/// Which part of an Application each resource belongs to, from its plan.
struct Groups {
    app: String,
    /// Resource name → `component <name>`, in plan order.
    components: BTreeMap<String, String>,
    order: Vec<String>,
    /// Argo CD Application name → its stage.
    stage_apps: BTreeMap<String, String>,
}

impl Groups {
    fn of(plan: &AppPlan) -> Groups {
        let mut components = BTreeMap::new();
        let mut order = Vec::new();
        for s in &plan.services {
            let group = format!("component {}", s.name);
            let mut names = vec![s.name.clone()];
            names.extend(s.services.iter().map(|p| p.name.clone()));
            names.extend(s.analysis_templates.iter().map(|t| t.name.clone()));
            names.extend(s.ingress.iter().map(|i| i.name.clone()));
            names.extend(s.persistent_volume_claims.iter().map(|p| p.name.clone()));
            names.extend(s.autoscaler.iter().map(|h| h.name.clone()));
            names.extend(s.pod_disruption_budget.iter().map(|p| p.name.clone()));
            match &s.strategy {
                StrategyPlan::Canary {
                    canary_service,
                    stable_service,
                    ..
                } => {
                    names.push(canary_service.clone());
                    names.extend(stable_service.iter().cloned());
                }
                StrategyPlan::BlueGreen {
                    active_service,
                    preview_service,
                    ..
                } => {
                    names.push(active_service.clone());
                    names.push(preview_service.clone());
                }
                StrategyPlan::AbTest {
                    canary_service,
                    variants,
                    ..
                } => {
                    names.push(canary_service.clone());
                    names.extend(variants.iter().map(|v| v.service.clone()));
                }
            }
            for n in names {
                components.entry(n).or_insert_with(|| group.clone());
            }
            order.push(group);
        }
        let mut stage_apps = BTreeMap::new();
        if let Some(p) = &plan.promotion {
            order.push("Kargo pipeline".to_owned());
            for s in &p.stages {
                order.push(format!("stage {}", s.name));
            }
            for a in p.argocd.iter().flat_map(|a| &a.applications) {
                stage_apps.insert(a.name.clone(), a.stage.clone());
            }
        }
        Groups {
            app: format!("Application {}", plan.name),
            components,
            order,
            stage_apps,
        }
    }

    fn of_resource(&self, kind: &str, name: &str) -> String {
        match kind {
            "Stage" => format!("stage {name}"),
            "Project" | "ProjectConfig" | "Warehouse" | "PromotionTask" => {
                "Kargo pipeline".to_owned()
            }
            "Application" if self.stage_apps.contains_key(name) => {
                format!("stage {}", self.stage_apps[name])
            }
            _ => self
                .components
                .get(name)
                .cloned()
                .unwrap_or_else(|| self.app.clone()),
        }
    }

    /// Resources in the plan's order of groups, each group in output order.
    fn sort(&self, resources: &mut [ResourceDiff]) {
        let rank = |g: &str| {
            self.order
                .iter()
                .position(|o| o == g)
                .unwrap_or(self.order.len())
        };
        resources.sort_by_key(|r| rank(&r.group));
    }
}

type Key = (String, String, Option<String>, String);

fn key(m: &Manifest) -> Key {
    (
        m.api_version.clone(),
        m.kind.clone(),
        m.namespace.clone(),
        m.name.clone(),
    )
}

fn compare_resources(b: &CompiledApp, h: &CompiledApp, risks: &mut Vec<Risk>) -> Vec<ResourceDiff> {
    let groups = Groups::of(&h.plan);
    let base_groups = Groups::of(&b.plan);
    let base: BTreeMap<Key, &Manifest> = b.manifests.iter().map(|m| (key(m), m)).collect();
    let head_keys: BTreeSet<Key> = h.manifests.iter().map(key).collect();
    let mut out = Vec::new();
    // Same kind and name in another namespace: the object moves (a new one,
    // the old one pruned); shown as one change.
    let moved_from = |m: &Manifest| {
        b.manifests.iter().find(|o| {
            o.api_version == m.api_version
                && o.kind == m.kind
                && o.name == m.name
                && o.namespace != m.namespace
                && !head_keys.contains(&key(o))
        })
    };
    let mut paired = BTreeSet::new();
    for m in &h.manifests {
        let old = base.get(&key(m)).copied().or_else(|| moved_from(m));
        match old {
            Some(o) => {
                paired.insert(key(o));
                if o.yaml != m.yaml {
                    let fields = field_changes(&o.yaml, &m.yaml);
                    for f in &fields {
                        if let Some(r) = risk::immutable(&m.kind, &m.name, f) {
                            risks.push(r);
                        }
                    }
                    out.push(resource(&groups, m, Status::Changed, fields));
                }
            }
            None => out.push(resource(&groups, m, Status::Added, Vec::new())),
        }
    }
    let removed: Vec<&Manifest> = b
        .manifests
        .iter()
        .filter(|m| !paired.contains(&key(m)))
        .collect();
    let explained: BTreeSet<(String, String)> =
        risks.iter().filter_map(|r| r.explains.clone()).collect();
    for m in &removed {
        let group = base_groups.of_resource(&m.kind, &m.name);
        let renamed = out
            .iter()
            .filter(|a| {
                a.status == Status::Added
                    && a.kind == m.kind
                    && a.api_version == m.api_version
                    && a.group == group
            })
            .collect::<Vec<_>>();
        let covered = explained.contains(&(m.kind.clone(), m.name.clone()))
            || explained.contains(&(String::new(), group.clone()));
        match renamed.as_slice() {
            [to] => risks.push(risk::renamed(&m.kind, &m.name, &to.name)),
            _ if !covered => risks.push(risk::pruned(&m.kind, m.namespace.as_deref(), &m.name)),
            _ => {}
        }
        out.push(ResourceDiff {
            group,
            api_version: m.api_version.clone(),
            kind: m.kind.clone(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            status: Status::Removed,
            fields: Vec::new(),
        });
    }
    groups.sort(&mut out);
    out
}
