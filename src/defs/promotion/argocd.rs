//! The `argocd` block of the `kargo-promotion` policy: each stage's Argo CD
//! Application, emitted with the pipeline. Its properties, rules (one
//! destination per stage, a sync policy that means what it says) and plan.

use super::{KargoPromotion, defaults};
use crate::check::{DocContext, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::path;
use crate::plan::{ArgoCdAppPlan, ArgoCdPlan, StagePattern, VarPlan};
use crate::platform::Platform;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The stages' Argo CD Applications.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoCd {
    /// Argo CD project the stages' Applications belong to.
    #[serde(default = "defaults::argocd_project")]
    #[schemars(extend("x-oamc-format" = "dns1123-subdomain"))]
    pub project: String,
    /// Namespace Argo CD reads Applications from; the stages' Applications are created there.
    #[serde(default = "defaults::argocd_namespace")]
    #[schemars(extend("x-oamc-format" = "dns1123-label"))]
    pub namespace: String,
    /// The cluster the stages deploy to. Default: the cluster Argo CD runs in.
    #[serde(default)]
    pub destination: Destination,
    /// How Argo CD syncs a stage. Default: only when Kargo's `argocd-update` asks.
    #[serde(default)]
    pub sync_policy: SyncPolicy,
    /// Where each stage deploys, by stage name: its own namespace, cluster, or both.
    /// Default: the Application's namespace on `destination`'s cluster. No two stages
    /// may deploy to the same namespace of the same cluster.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, StageDestination>,
}

/// One stage's destination: a namespace, a cluster (`server` URL or `name`), or both.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageDestination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-oamc-format" = "dns1123-label"))]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The cluster a stage deploys to, as Argo CD names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cluster {
    Server(String),
    Name(String),
}

impl Cluster {
    pub fn describe(&self) -> String {
        match self {
            Cluster::Server(s) => format!("cluster {s}"),
            Cluster::Name(n) => format!("cluster `{n}`"),
        }
    }
}

impl ArgoCd {
    /// Where `stage` deploys: its own cluster and namespace, else the block's
    /// cluster (the one Argo CD runs in by default) and `app_namespace`.
    pub fn destination_of(
        &self,
        stage: &str,
        app_namespace: Option<&str>,
    ) -> (Cluster, Option<String>) {
        let own = self.stages.get(stage);
        let cluster = match own.map(|d| (&d.server, &d.name)) {
            Some((Some(server), _)) => Cluster::Server(server.clone()),
            Some((None, Some(name))) => Cluster::Name(name.clone()),
            _ => match (&self.destination.server, &self.destination.name) {
                (Some(server), _) => Cluster::Server(server.clone()),
                (None, Some(name)) => Cluster::Name(name.clone()),
                (None, None) => Cluster::Server(IN_CLUSTER.into()),
            },
        };
        let namespace = own
            .and_then(|d| d.namespace.clone())
            .or_else(|| app_namespace.map(str::to_owned));
        (cluster, namespace)
    }
}

/// A cluster: its API server URL, or the name Argo CD knows it by (one of them).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncPolicy {
    /// Sync every new commit of the stage's folder, not only the promotions' commits.
    #[serde(default)]
    pub automated: bool,
    /// With `automated`: delete what the stage no longer renders.
    #[serde(default)]
    pub prune: bool,
    /// With `automated`: undo changes made in the cluster.
    #[serde(default)]
    pub self_heal: bool,
}

/// The cluster Argo CD runs in.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// The stages' Argo CD Applications: valid names, one destination, a sync
/// policy that means what it says, one folder per stage, a namespace to deploy to.
pub(super) fn check_argocd(
    ctx: &mut DocContext,
    base: &DocPath,
    p: &KargoPromotion,
    argocd: &ArgoCd,
    app_name: Option<&str>,
    app_namespace: Option<&str>,
) {
    let at = base.key("argocd");
    if let Err(why) = syntax::dns1123_subdomain(&argocd.project) {
        ctx.error(
            Code::Name,
            &at.key("project"),
            format!("Argo CD project `{}` {why}", argocd.project),
        );
    }
    if let Err(why) = syntax::dns1123_label(&argocd.namespace) {
        ctx.error(
            Code::Name,
            &at.key("namespace"),
            format!("namespace `{}` {why}", argocd.namespace),
        );
    }
    if let Some(ns) = &p.argocd_namespace
        && ns != &argocd.namespace
    {
        ctx.error(
            Code::ArgoCd,
            &base.key("argocdNamespace"),
            format!(
                "argocdNamespace `{ns}` differs from argocd.namespace `{}`: the Applications oamc emits are the ones Kargo updates",
                argocd.namespace
            ),
        )
        .help = Some("remove argocdNamespace; argocd.namespace sets both".into());
    }
    check_cluster(
        ctx,
        &at.key("destination"),
        &argocd.destination.server,
        &argocd.destination.name,
    );
    for (stage, own) in &argocd.stages {
        let here = at.key("stages").key(stage.clone());
        if !p.stages.iter().any(|s| &s.name == stage) {
            let d = ctx.error(
                Code::ArgoCd,
                &here,
                format!("`{stage}` is not a stage of this pipeline"),
            );
            d.help = crate::check::did_you_mean(stage, p.stages.iter().map(|s| s.name.as_str()));
        }
        check_cluster(ctx, &here, &own.server, &own.name);
        if let Some(ns) = &own.namespace
            && let Err(why) = syntax::dns1123_label(ns)
        {
            ctx.error(
                Code::Name,
                &here.key("namespace"),
                format!("namespace `{ns}` {why}"),
            );
        }
    }
    check_sync_and_names(ctx, base, p, argocd, app_name);
    check_destinations(ctx, &at, p, argocd, app_namespace);
}

/// A sync policy that means what it says, one folder and one valid
/// Application name per stage.
fn check_sync_and_names(
    ctx: &mut DocContext,
    base: &DocPath,
    p: &KargoPromotion,
    argocd: &ArgoCd,
    app_name: Option<&str>,
) {
    let at = base.key("argocd");
    let sync = &argocd.sync_policy;
    if !sync.automated && (sync.prune || sync.self_heal) {
        let key = if sync.prune { "prune" } else { "selfHeal" };
        ctx.error(
            Code::ArgoCd,
            &at.join(&path!["syncPolicy", key]),
            format!("{key} applies only to automated sync, and automated is false"),
        )
        .help = Some("set automated: true, or remove it".into());
    }
    // Each stage's Application syncs the folder of its manifest: one per stage.
    if !crate::names::folder_of(&p.manifest_path).contains("{stage}") {
        ctx.error(
            Code::ArgoCd,
            &base.key("manifestPath"),
            format!(
                "the folder of manifestPath `{}` does not name the stage: every stage's Argo CD Application would render the same folder",
                p.manifest_path
            ),
        )
        .help = Some("put each stage's manifest in a folder of its own, e.g. deployment/{stage}/application.yaml".into());
    }
    if let Some(app) = app_name {
        for stage in &p.stages {
            let name = p
                .argocd_app
                .replace("{app}", app)
                .replace("{stage}", &stage.name);
            if let Err(why) = syntax::dns1123_subdomain(&name) {
                ctx.error(
                    Code::DerivedName,
                    &base.key("argocdApp"),
                    format!(
                        "the Argo CD Application `{name}` of stage `{}` {why}",
                        stage.name
                    ),
                );
            }
        }
    }
}

/// Each stage deploys somewhere, and no two to the same place.
fn check_destinations(
    ctx: &mut DocContext,
    at: &DocPath,
    p: &KargoPromotion,
    argocd: &ArgoCd,
    app_namespace: Option<&str>,
) {
    // Two Applications that deploy one Rollout to one place both own it: each
    // sync overwrites the other stage's version (and prunes what it lacks).
    // Stages with nowhere to deploy, reported once per place (the block, or the stage's entry).
    let mut homeless: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    let mut seen: BTreeMap<(Cluster, Option<String>), &str> = BTreeMap::new();
    for stage in &p.stages {
        let (cluster, namespace) = argocd.destination_of(&stage.name, app_namespace);
        let own = argocd.stages.contains_key(&stage.name);
        let here = if own {
            at.key("stages").key(stage.name.clone())
        } else {
            at.clone()
        };
        let Some(ns) = namespace.clone() else {
            homeless
                .entry(own.then_some(stage.name.as_str()))
                .or_default()
                .push(&stage.name);
            continue;
        };
        if let Some(first) = seen.get(&(cluster.clone(), namespace.clone())) {
            let ns = format!("namespace `{ns}`");
            ctx.error(
                Code::ArgoCd,
                &here,
                format!(
                    "stages `{first}` and `{}` would both deploy to {ns} of {}: their Argo CD Applications would own the same Rollout, and each sync would overwrite the other stage's version",
                    stage.name,
                    cluster.describe()
                ),
            )
            .help = Some(format!(
                "give `{}` a namespace or cluster of its own, e.g. argocd.stages.{}.namespace: <app>-{}",
                stage.name, stage.name, stage.name
            ));
        } else {
            seen.insert((cluster, namespace), &stage.name);
        }
    }
    for (entry, stages) in homeless {
        let here = entry.map_or_else(|| at.clone(), |s| at.key("stages").key(s));
        let names = stages
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        ctx.error(
            Code::ArgoCd,
            &here,
            format!("no namespace to deploy stage {names} into: the Application has none, and the stage sets none"),
        )
        .help = Some(format!(
            "set metadata.namespace, render with --namespace, or set argocd.stages.{}.namespace",
            stages[0]
        ));
    }
}

/// A cluster is a `server` URL or a `name`, not both.
fn check_cluster(
    ctx: &mut DocContext,
    at: &DocPath,
    server: &Option<String>,
    name: &Option<String>,
) {
    match (server, name) {
        (Some(_), Some(_)) => {
            ctx.error(
                Code::ArgoCd,
                at,
                "the destination is a cluster's `server` URL or its `name` in Argo CD, not both",
            );
        }
        (Some(server), None)
            if !(server.starts_with("https://") || server.starts_with("http://"))
                || server.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            ctx.error(
                Code::ArgoCd,
                &at.key("server"),
                format!("server `{server}` is not a Kubernetes API server URL"),
            )
            .help = Some("e.g. https://kubernetes.default.svc, the cluster Argo CD runs in".into());
        }
        (None, Some(name)) if name.trim().is_empty() => {
            ctx.error(Code::ArgoCd, &at.key("name"), "the cluster name is empty");
        }
        _ => {}
    }
}

/// Each stage's Argo CD Application: the stage's folder on its branch,
/// rendered by the oamc plugin, deployed where the stage deploys.
pub(super) fn plan(
    a: &ArgoCd,
    props: &KargoPromotion,
    (app, app_namespace, project): (&str, Option<&str>, &str),
    platform: &Platform,
) -> ArgoCdPlan {
    let folder = StagePattern::parse(crate::names::folder_of(&props.manifest_path), app);
    let argocd_app = StagePattern::parse(&props.argocd_app, app);
    let stage_branch = StagePattern::parse(&props.stage_branch, app);
    // The stage renders its workload; the pipeline is rendered once, elsewhere.
    let parameters = std::iter::once(("promotion", "skip"))
        .chain(
            platform
                .plugin_parameters
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
        )
        .map(|(name, value)| VarPlan {
            name: name.into(),
            value: value.into(),
        })
        .collect();
    let applications = props
        .stages
        .iter()
        .map(|s| {
            let (cluster, destination_namespace) = a.destination_of(&s.name, app_namespace);
            let (destination_server, destination_name) = match cluster {
                Cluster::Server(server) => (Some(server), None),
                Cluster::Name(name) => (None, Some(name)),
            };
            ArgoCdAppPlan {
                name: argocd_app.show(&s.name),
                stage: s.name.clone(),
                path: folder.show(&s.name),
                target_revision: stage_branch.show(&s.name),
                authorized_stage: format!("{project}:{}", s.name),
                destination_server,
                destination_name,
                destination_namespace,
            }
        })
        .collect();
    ArgoCdPlan {
        namespace: a.namespace.clone(),
        project: a.project.clone(),
        plugin: crate::names::PLUGIN_NAME.into(),
        parameters,
        automated: a.sync_policy.automated,
        prune: a.sync_policy.prune,
        self_heal: a.sync_policy.self_heal,
        applications,
    }
}
