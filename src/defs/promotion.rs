//! The `kargo-promotion` policy: promote a component's image through stages
//! with Kargo, each promotion a Git commit of the stage's Application
//! manifest. Its properties, rules (the stage graph, Git and image
//! references, no user string becoming a Kargo expression) and plan.

use crate::check::{DocContext, check_duration, syntax};
use crate::diagnostic::Code;
use crate::dom::{DocPath, Seg};
use crate::names;
use crate::path;
use crate::plan::{
    ArgoCdAppPlan, ArgoCdPlan, PromotionPlan, StagePattern, StagePlan, VarPlan, YamlUpdatePlan,
};
use crate::platform::Platform;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const KARGO_PROMOTION: &str = "kargo-promotion";

/// Properties of a `kargo-promotion` policy: promote the component's image
/// through stages with Kargo, each promotion a Git commit of the stage's
/// Application manifest.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "kargo-promotion policy properties")]
pub struct KargoPromotion {
    /// The GitOps repository holding the stages' Application manifests.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Branch holding the stages' manifests as you write them; each promotion starts from
    /// the stage's folder there.
    #[serde(default = "defaults::branch")]
    pub branch: String,
    /// Branch each stage's promotions push and its Argo CD Application tracks; `{stage}` is the
    /// stage name. One per stage: a push never moves another stage's revision.
    #[serde(default = "defaults::stage_branch")]
    pub stage_branch: String,
    /// Where each stage's Application manifest lives; `{stage}` is the stage name.
    #[serde(default = "defaults::manifest_path")]
    pub manifest_path: String,
    /// The appmod-service component whose image is promoted (needed when there are several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Image repository the Warehouse watches. Default: the component's image without tag or digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repo: Option<String>,
    /// How the Warehouse picks the newest image.
    #[serde(default)]
    pub image_selection_strategy: ImageSelectionStrategy,
    /// Narrows the images considered: a SemVer range for `SemVer` (e.g. `^1.0.0`), the tag to
    /// follow for `Digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// The tags the Warehouse may pick (Go regular expressions, Kargo's `allowTagsRegexes`).
    /// Default for `NewestBuild` and `Lexical`: `^v?[0-9]`, a tag that starts with a version
    /// number, so a moving tag such as `latest`, pushed with the same build, never wins.
    /// `[]` allows every tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_tags: Option<Vec<String>>,
    /// How often the Warehouse looks for new images (Kargo's pattern: `5m`, `1h30m`, `1.5h`).
    #[schemars(extend("x-oamc-format" = "kargo-interval"))]
    #[serde(default = "defaults::warehouse_interval")]
    pub interval: String,
    /// Argo CD Application each stage's promotion refreshes; `{app}` and `{stage}` are replaced.
    #[serde(default = "defaults::argocd_app")]
    pub argocd_app: String,
    /// Namespace of those Argo CD Applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd_namespace: Option<String>,
    /// Author of the promotion commits.
    #[serde(default)]
    pub git_author: GitAuthor,
    /// Emit each stage's Argo CD Application with the pipeline (rendering the stage's folder
    /// with the oamc plugin, authorized for the stage's promotions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd: Option<ArgoCd>,
    /// Stages in promotion order. Default: `dev` (auto-promoted), then `prod`.
    #[serde(default = "defaults::stages")]
    #[schemars(length(min = 1, max = 20))]
    pub stages: Vec<StageSpec>,
}

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

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum ImageSelectionStrategy {
    #[default]
    NewestBuild,
    SemVer,
    Lexical,
    Digest,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitAuthor {
    pub name: String,
    pub email: String,
}

impl Default for GitAuthor {
    fn default() -> Self {
        GitAuthor {
            name: "Kargo".into(),
            email: "kargo@akuity.io".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageSpec {
    /// Stage name (a DNS label); `{stage}` in paths and app names.
    pub name: String,
    /// Promote new Freight into this stage automatically. Default: true for the first stage only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promote: Option<bool>,
    /// The stage this one takes Freight from. Default: the previous stage in the list
    /// (the first stage takes it from the Warehouse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// Upstream's defaults, named so the schema and the docs can show them.
pub mod defaults {
    pub fn branch() -> String {
        "main".into()
    }
    /// Kargo's own convention (its quickstart's `stage/<stage>` branches).
    pub fn stage_branch() -> String {
        "stage/{stage}".into()
    }
    pub fn manifest_path() -> String {
        crate::names::default_stage_manifest()
    }
    /// A tag that starts with a version number (`1.4.3`, `v2`, `20240101`),
    /// not a moving name (`latest`, `main`, `stable`).
    pub const ALLOW_TAGS: &str = "^v?[0-9]";
    pub fn warehouse_interval() -> String {
        "5m".into()
    }
    pub fn argocd_app() -> String {
        "{app}-{stage}".into()
    }
    pub fn argocd_project() -> String {
        "default".into()
    }
    pub fn argocd_namespace() -> String {
        "argocd".into()
    }
    pub fn stages() -> Vec<super::StageSpec> {
        vec![
            super::StageSpec {
                name: "dev".into(),
                auto_promote: Some(true),
                from: None,
            },
            super::StageSpec {
                name: "prod".into(),
                auto_promote: Some(false),
                from: None,
            },
        ]
    }
}

/// A valid `kargo-promotion` policy and what it promotes.
#[derive(Debug, Clone)]
pub struct CheckedPromotion {
    pub props: KargoPromotion,
    /// Index of the promoted component in `spec.components` (the image key's index).
    pub component_index: usize,
    /// The image repository the Warehouse watches (resolved default).
    pub image_repo: String,
    /// How often the Warehouse looks for images, read once.
    pub interval: crate::plan::GoDuration,
}

/// An appmod-service component of the Application, for choosing what to promote.
pub(crate) struct ServiceComponent {
    pub index: usize,
    pub name: String,
    pub image: Option<String>,
}

/// The Kargo project (a namespace) named after the Application fits a label.
fn check_project_name(ctx: &mut DocContext, app_name: Option<&str>) {
    let Some(app) = app_name else { return };
    let project = names::kargo_project(app);
    if let Err(why) = syntax::dns1123_label(&project) {
        ctx.error(
            Code::DerivedName,
            &path!["metadata", "name"],
            format!("the Kargo project `{project}` derived from Application `{app}` {why}"),
        )
        .help = Some(format!(
            "the project is a namespace: keep the Application name within {} characters",
            63 - names::KARGO_PROJECT_SUFFIX.len()
        ));
    }
}

/// No user string reaching a Kargo resource holds `${{`, which Kargo
/// evaluates as an expression.
fn check_no_expressions(ctx: &mut DocContext, base: &DocPath, p: &KargoPromotion) {
    // User strings reach Kargo resources, where `${{ … }}` is an expression.
    let mut texts: Vec<(DocPath, &str)> = vec![
        (base.join(&path!["repoURL"]), &p.repo_url),
        (base.join(&path!["branch"]), &p.branch),
        (base.join(&path!["stageBranch"]), &p.stage_branch),
        (base.join(&path!["manifestPath"]), &p.manifest_path),
        (base.join(&path!["argocdApp"]), &p.argocd_app),
        (base.join(&path!["gitAuthor", "name"]), &p.git_author.name),
        (base.join(&path!["gitAuthor", "email"]), &p.git_author.email),
    ];
    for (key, value) in [
        ("imageRepo", &p.image_repo),
        ("constraint", &p.constraint),
        ("argocdNamespace", &p.argocd_namespace),
    ] {
        if let Some(v) = value {
            texts.push((base.key(key), v));
        }
    }
    for (i, pattern) in p.allow_tags.iter().flatten().enumerate() {
        texts.push((base.join(&path!["allowTags", i]), pattern));
    }
    for (path, text) in &texts {
        if text.contains("${{") {
            ctx.error(Code::KargoExpression, path, "`${{` would be evaluated by Kargo as an expression")
                .help = Some("oamc writes the Kargo expressions itself; give plain values ({stage} and {app} are placeholders)".into());
        }
    }
}

pub(crate) fn check_promotion(
    ctx: &mut DocContext,
    policy_index: usize,
    (app_name, app_namespace): (Option<&str>, Option<&str>),
    p: &KargoPromotion,
    services: &[ServiceComponent],
) -> Option<CheckedPromotion> {
    let base = path!["spec", "policies", policy_index, "properties"];
    let before = ctx.diagnostics.len();

    check_project_name(ctx, app_name);
    check_no_expressions(ctx, &base, p);

    if let Err(why) = git_url(&p.repo_url) {
        ctx.error(
            Code::GitRepo,
            &base.join(&path!["repoURL"]),
            format!("repoURL `{}` {why}", p.repo_url),
        );
    }
    if let Err(why) = branch(&p.branch) {
        ctx.error(
            Code::GitRepo,
            &base.join(&path!["branch"]),
            format!("branch `{}` {why}", p.branch),
        );
    }
    check_stage_branch(ctx, &base, p);
    if let Err(why) = manifest_path(&p.manifest_path) {
        ctx.error(
            Code::ManifestPath,
            &base.join(&path!["manifestPath"]),
            format!("manifestPath `{}` {why}", p.manifest_path),
        )
        .help = Some("e.g. deployment/{stage}/application.yaml".into());
    }
    check_duration(
        ctx,
        &base.join(&path!["interval"]),
        crate::check::duration::Kind::Kargo,
        &p.interval,
    );
    if let Err(why) = email_address(&p.git_author.email) {
        ctx.error(
            Code::GitRepo,
            &base.join(&path!["gitAuthor", "email"]),
            format!(
                "`{}` is not an email address Kargo accepts: {why}",
                p.git_author.email
            ),
        )
        .help = Some("e.g. kargo@example.com".into());
    }
    let https = p.repo_url.starts_with("https://") || p.repo_url.starts_with("http://");
    if git_url(&p.repo_url).is_ok() && !https {
        // Kargo v1.10 deprecated SSH URLs and v1.13 removes them
        // (`git-clone-config.json`, `repoURL`, v1.11.2).
        ctx.lenient(
            Code::GitSsh,
            &base.join(&path!["repoURL"]),
            format!(
                "`{}` is an SSH URL: Kargo deprecated them in v1.10 and removes them in v1.13",
                p.repo_url
            ),
        )
        .help = Some(
            "use the repository's https:// URL with a token in the Git credentials Secret".into(),
        );
    }
    let placeholders_ok =
        without_placeholders(&p.argocd_app).is_some_and(|rest| !rest.contains(['{', '}']));
    if !placeholders_ok {
        ctx.error(
            Code::Placeholder,
            &base.join(&path!["argocdApp"]),
            "argocdApp may use only the placeholders {app} and {stage}",
        );
    } else if p.stages.len() > 1 && !p.argocd_app.contains("{stage}") {
        ctx.error(
            Code::Placeholder,
            &base.join(&path!["argocdApp"]),
            "argocdApp names one Argo CD Application for every stage",
        )
        .help = Some("add {stage}, e.g. {app}-{stage}".into());
    }
    check_tag_filter(ctx, &base, p, services);
    if p.image_selection_strategy == ImageSelectionStrategy::Digest && p.constraint.is_none() {
        ctx.error(
            Code::PromotionConstraint,
            &base.join(&path!["imageSelectionStrategy"]),
            "the Digest strategy follows one tag: set `constraint` to it",
        );
    }

    check_stages(ctx, &base.join(&path!["stages"]), p);
    if let Some(argocd) = &p.argocd {
        check_argocd(ctx, &base, p, argocd, app_name, app_namespace);
    }

    let chosen = match &p.component {
        Some(name) => {
            let found = services.iter().find(|s| &s.name == name);
            if found.is_none() {
                let d = ctx.error(
                    Code::UnknownComponent,
                    &base.join(&path!["component"]),
                    format!("`{name}` is not an appmod-service component of this Application"),
                );
                d.help = crate::check::did_you_mean(name, services.iter().map(|s| s.name.as_str()));
            }
            found
        }
        None => match services {
            [one] => Some(one),
            [] => {
                ctx.error(
                    Code::UnknownComponent,
                    &base,
                    "there is no appmod-service component to promote",
                );
                None
            }
            several => {
                ctx.error(
                    Code::UnknownComponent,
                    &base,
                    "several appmod-service components: name the one to promote",
                )
                .help = Some(format!(
                    "add `component:` with one of {}",
                    several
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                None
            }
        },
    };
    let image_repo = match (&p.image_repo, chosen.and_then(|c| c.image.as_deref())) {
        (Some(repo), _) => Some(repo.clone()),
        (None, Some(image)) => Some(syntax::image_repository(image).to_owned()),
        (None, None) => None,
    };
    if let (Some(repo), Some(_)) = (&image_repo, &p.image_repo)
        && let Err(why) = image_repository(repo)
    {
        ctx.error(
            Code::Image,
            &base.join(&path!["imageRepo"]),
            format!("imageRepo `{repo}` {why}"),
        );
    }

    // Kargo's webhook refuses a Warehouse whose repoURL its pattern does not
    // match, though OCI allows it (`payments--worker`):
    // `pkg/subscription/image.go`, `imageRepoURLRegex`, v1.11.2 (Go's `\w`
    // is ASCII).
    if let Some(repo) = &image_repo
        && !kargo_image_repo_url(repo)
    {
        let at = match (&p.image_repo, &chosen) {
            (Some(_), _) | (None, None) => base.join(&path!["imageRepo"]),
            (None, Some(c)) => path!["spec", "components", c.index, "properties", "image"],
        };
        ctx.error(
            Code::Image,
            &at,
            format!("Kargo refuses a Warehouse on `{repo}`: its repository URL pattern allows one `.` or `-` between letters and digits"),
        )
        .help = Some("rename the repository, or push the image to one whose name Kargo accepts".into());
    }

    let chosen = chosen?;
    let Some(image_repo) = image_repo else {
        ctx.error(
            Code::Image,
            &base.join(&path!["imageRepo"]),
            format!(
                "no image repository for the Warehouse to watch: component `{}` has no image",
                chosen.name
            ),
        )
        .help = Some("set imageRepo, or give the component an image".into());
        return None;
    };
    if ctx.diagnostics[before..].iter().any(|d| d.is_error()) {
        return None;
    }
    let interval =
        match crate::check::duration::go_duration(crate::check::duration::Kind::Kargo, &p.interval)
        {
            Ok(interval) => interval,
            // The rule above reported it; reaching here is a gap between the two.
            Err(why) => {
                ctx.error(
                    Code::Internal,
                    &base.join(&path!["interval"]),
                    why.to_string(),
                );
                return None;
            }
        };
    Some(CheckedPromotion {
        props: p.clone(),
        component_index: chosen.index,
        image_repo,
        interval,
    })
}

/// The stages' Argo CD Applications: valid names, one destination, a sync
/// policy that means what it says, one folder per stage, a namespace to deploy to.
fn check_argocd(
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

fn check_stages(ctx: &mut DocContext, at: &DocPath, p: &KargoPromotion) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, stage) in p.stages.iter().enumerate() {
        let here = |rest: &[Seg]| at.index(i).join(rest);
        if let Err(why) = syntax::dns1123_label(&stage.name) {
            ctx.error(
                Code::Name,
                &here(&path!["name"]),
                format!("stage name `{}` {why}", stage.name),
            );
        }
        if let Some(first) = seen.get(stage.name.as_str()) {
            ctx.error(
                Code::StageGraph,
                &here(&path!["name"]),
                format!(
                    "stage `{}` is listed twice (first at stages[{first}])",
                    stage.name
                ),
            );
        }
        if let Some(from) = &stage.from {
            match seen.get(from.as_str()) {
                Some(_) => {}
                None if i == 0 => {
                    ctx.error(
                        Code::StageGraph,
                        &here(&path!["from"]),
                        "the first stage takes Freight from the Warehouse; it cannot have `from`",
                    );
                }
                None => {
                    let later = p.stages.iter().any(|s| &s.name == from);
                    let message = if later {
                        format!(
                            "`{from}` is not an earlier stage: stages take Freight only from stages listed before them (this keeps the pipeline free of cycles)"
                        )
                    } else {
                        format!("`{from}` is not a stage of this pipeline")
                    };
                    let d = ctx.error(Code::StageGraph, &here(&path!["from"]), message);
                    let earlier = p.stages[..i].iter().map(|s| s.name.as_str());
                    d.help = crate::check::did_you_mean(from, earlier);
                }
            }
        }
        seen.entry(&stage.name).or_insert(i);
    }
}

/// `{app}` and `{stage}` removed, or None if a brace is left unbalanced.
fn without_placeholders(pattern: &str) -> Option<String> {
    Some(pattern.replace("{app}", "").replace("{stage}", ""))
}

/// An HTTPS, HTTP or SSH URL, or the scp-like `git@host:path`.
fn git_url(url: &str) -> Result<(), syntax::Invalid> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(syntax::Invalid::Rule("must not contain whitespace"));
    }
    let host_path = ["https://", "http://", "ssh://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .map(|rest| rest.split_once('/'))
        .or_else(|| {
            let (user_host, path) = url.split_once(':')?;
            let (_, host) = user_host.split_once('@')?;
            Some(Some((host, path)))
        });
    match host_path {
        Some(Some((host, path))) if !host.is_empty() && !path.is_empty() => Ok(()),
        _ => Err(syntax::Invalid::Rule(
            "is not a Git URL (https://host/owner/repo.git or git@host:owner/repo.git)",
        )),
    }
}

fn branch(name: &str) -> Result<(), syntax::Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._/-".contains(&c))
        && !name.ends_with(['.', '/'])
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(syntax::Invalid::Rule("is not a branch name Kargo accepts"))
    }
}

/// Each stage pushes a branch of its own. Kargo's health check compares the
/// stage's Argo CD Application's `status.sync.revision` with the commit its
/// last promotion pushed (`pkg/health/checker/builtin/argocd.go`,
/// `stageHealthForAppSync`, v1.11.2), and Argo CD moves that revision to the
/// tracked branch's head on every refresh (`controller/state.go`,
/// `CompareAppState`): on one shared branch, each stage's push turns every
/// other stage Unhealthy.
fn check_stage_branch(ctx: &mut DocContext, base: &DocPath, p: &KargoPromotion) {
    let at = base.key("stageBranch");
    let placeholders_ok =
        without_placeholders(&p.stage_branch).is_some_and(|rest| !rest.contains(['{', '}']));
    if !placeholders_ok {
        ctx.error(
            Code::Placeholder,
            &at,
            "stageBranch may use only the placeholders {app} and {stage}",
        );
        return;
    }
    if !p.stage_branch.contains("{stage}") {
        ctx.error(
            Code::GitRepo,
            &at,
            format!(
                "stageBranch `{}` is one branch for every stage: each promotion would move the revision the other stages' health checks expect",
                p.stage_branch
            ),
        )
        .help = Some("add {stage}, e.g. stage/{stage} (Kargo's convention)".into());
        return;
    }
    for stage in &p.stages {
        let name = p.stage_branch.replace("{stage}", &stage.name);
        if let Err(why) = branch(&name) {
            ctx.error(
                Code::GitRepo,
                &at,
                format!("the branch `{name}` of stage `{}` {why}", stage.name),
            );
        } else if name == p.branch {
            ctx.error(
                Code::GitRepo,
                &at,
                format!(
                    "stage `{}` would push `{name}`, the branch its manifest is read from",
                    stage.name
                ),
            )
            .help =
                Some("keep the stages' branches apart from `branch`, e.g. stage/{stage}".into());
        }
    }
}

/// The tags the Warehouse may pick: `allowTags`, else the default for the
/// strategy (`None`: every tag).
pub fn allow_tags(p: &KargoPromotion) -> Option<Vec<String>> {
    use ImageSelectionStrategy as S;
    match (&p.allow_tags, p.image_selection_strategy) {
        (Some(given), _) if given.is_empty() => None,
        (Some(given), _) => Some(given.clone()),
        // A tie on build time goes to the lexically greater tag
        // (`pkg/image/newest_build_selector.go`, `sort`, v1.11.2): `latest`
        // beats `1.4.3` of the same build. Lexical puts it first too.
        (None, S::NewestBuild | S::Lexical) => Some(vec![defaults::ALLOW_TAGS.into()]),
        // SemVer reads only semantic versions; Digest follows `constraint`.
        (None, S::SemVer | S::Digest) => None,
    }
}

/// Every tag filter is a regular expression Go compiles (`regexp.Compile`
/// in `tag_based_selector.go`; RE2 syntax, which the regex crate shares),
/// and the component's own tag passes the filter: otherwise the Warehouse
/// never picks an image like the one the manifest deploys.
fn check_tag_filter(
    ctx: &mut DocContext,
    base: &DocPath,
    p: &KargoPromotion,
    services: &[ServiceComponent],
) {
    let at = base.key("allowTags");
    if p.allow_tags.is_some() && p.image_selection_strategy == ImageSelectionStrategy::Digest {
        ctx.error(
            Code::TagFilter,
            &at,
            "the Digest strategy follows the one tag in `constraint`: allowTags does not apply",
        )
        .help = Some("remove allowTags, or choose NewestBuild, SemVer or Lexical".into());
        return;
    }
    let mut compiled = Vec::new();
    for (i, pattern) in p.allow_tags.iter().flatten().enumerate() {
        if pattern.contains("${{") {
            // Reported with the other user strings.
            return;
        }
        match regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => compiled.push(re),
            Err(e) => {
                let why = e.to_string();
                let first = why.lines().last().unwrap_or("invalid").trim();
                let first = first.strip_prefix("error: ").unwrap_or(first).to_owned();
                ctx.error(
                    Code::TagFilter,
                    &at.index(i),
                    format!("`{pattern}` is not a regular expression Kargo compiles: {first}"),
                );
                return;
            }
        }
    }
    let Some(filter) = allow_tags(p) else { return };
    // The default, `^v?[0-9]`, without compiling it.
    let default = |tag: &str| {
        tag.strip_prefix('v')
            .unwrap_or(tag)
            .starts_with(|c: char| c.is_ascii_digit())
    };
    let promoted = match (&p.component, services) {
        (Some(name), _) => services.iter().find(|s| &s.name == name),
        (None, [one]) => Some(one),
        _ => None,
    };
    let Some((index, image)) = promoted.and_then(|s| Some((s.index, s.image.as_deref()?))) else {
        return;
    };
    let Some(tag) = crate::check::syntax::image_tag(image) else {
        return;
    };
    let picked = if p.allow_tags.is_none() {
        default(tag)
    } else {
        compiled.iter().any(|re| re.is_match(tag))
    };
    if !picked {
        // The default filter: the image is what to change.
        let at = if p.allow_tags.is_none() {
            path!["spec", "components", index, "properties", "image"]
        } else {
            at
        };
        let d = ctx.error(
            Code::TagFilter,
            &at,
            format!(
                "the Warehouse picks only tags matching {}: never a tag like `{tag}`, the one the component deploys",
                filter.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" or ")
            ),
        );
        d.help = Some(if p.allow_tags.is_none() {
            "deploy a versioned tag (e.g. 1.4.3), or set allowTags to the tags your CI pushes for each build".into()
        } else {
            "widen allowTags, or deploy a tag it matches".into()
        });
    }
}

fn manifest_path(path: &str) -> Result<(), syntax::Invalid> {
    // A line break in a path would start a line of its own in `plan` and in
    // Kargo's step output.
    if path.contains(char::is_control) {
        return Err(syntax::Invalid::Rule(
            "must not hold a line break, a tab or another control character",
        ));
    }
    if !path.contains("{stage}") {
        return Err(syntax::Invalid::Rule(
            "must contain {stage}, or every stage would write the same file",
        ));
    }
    if path.starts_with('/') || path.split('/').any(|p| p == ".." || p.is_empty()) {
        return Err(syntax::Invalid::Rule(
            "must be a relative path inside the repository",
        ));
    }
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return Err(syntax::Invalid::Rule("must name a .yaml file"));
    }
    // The promotion replaces that folder on the stage's branch; the root
    // would be the whole checkout.
    if !path.contains('/') {
        return Err(syntax::Invalid::Rule(
            "must be inside a folder: a promotion copies that folder to the stage's branch",
        ));
    }
    match without_placeholders(path) {
        Some(rest) if !rest.contains(['{', '}']) => Ok(()),
        _ => Err(syntax::Invalid::Rule(
            "may use only the placeholders {app} and {stage}",
        )),
    }
}

/// An address Go's `mail.ParseAddress` reads as one bare addr-spec (RFC
/// 5322): Kargo checks `gitAuthor.email` against `format: email`
/// (`git-clone-config.json`), which gojsonschema's `EmailFormatChecker`
/// tests with `mail.ParseAddress`. The display-name form it also reads
/// (`Kargo <k@x>`) would become a commit's email as written: refused.
fn email_address(email: &str) -> Result<(), &'static str> {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom =
        |s: &str| !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(atext));
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("no `@`");
    };
    let quoted = local.len() >= 2
        && local.starts_with('"')
        && local.ends_with('"')
        && local[1..local.len() - 1]
            .chars()
            .all(|c| c.is_ascii_graphic() || c == ' ');
    if !(dot_atom(local) || quoted) {
        return Err("the part before `@` is not a dot-separated word or a quoted string");
    }
    let literal = domain.starts_with('[') && domain.ends_with(']') && domain.len() > 2;
    if !(dot_atom(domain) || literal) {
        return Err("the domain is not dot-separated words");
    }
    Ok(())
}

/// Kargo's `imageRepoURLRegex`,
/// `^(\w+([\.-]\w+)*(:[\d]+)?/)?(\w+([\.-]\w+)*)(/\w+([\.-]\w+)*)*$`:
/// path parts of word characters joined by single `.` or `-`, the first
/// one with a `:port` when more follow.
fn kargo_image_repo_url(repo: &str) -> bool {
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let words = |s: &str| s.split(['.', '-']).all(word);
    let parts: Vec<&str> = repo.split('/').collect();
    parts
        .iter()
        .enumerate()
        .all(|(i, part)| match part.split_once(':') {
            Some((host, port)) => {
                i == 0
                    && parts.len() > 1
                    && words(host)
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
            }
            None => words(part),
        })
}

/// An image repository as a Warehouse subscribes to it: no tag, no digest.
fn image_repository(repo: &str) -> Result<(), syntax::Invalid> {
    if repo.contains('@') || syntax::image_repository(repo) != repo {
        return Err(syntax::Invalid::Rule("must not carry a tag or digest"));
    }
    syntax::image_reference(&format!("{repo}:latest"))
}

/// The cluster Argo CD runs in.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// Where the task checks out `branch` (read) and the stage's own branch
/// (written).
const SOURCE_CHECKOUT: &str = "./src";
const STAGE_CHECKOUT: &str = "./out";

/// The git-push step's alias in the PromotionTask.
pub const PUSH_ALIAS: &str = "push";

/// A Kargo expression: `${{ inner }}`.
fn kargo(inner: &str) -> String {
    format!("${{{{ {inner} }}}}")
}

/// The annotation upstream's task keeps in step with the image (KubeVela's
/// revision trigger). oamc updates it only where the manifest has it:
/// Kargo's yaml-update never creates a key (`pkg/yaml/yaml.go`,
/// `findScalarNode`: "key path not found"), so updating an absent one fails
/// the promotion.
pub const PUBLISH_VERSION: &str = "app.oam.dev/publishVersion";

pub fn plan_promotion(
    app: &str,
    namespace: Option<&str>,
    publish_version: bool,
    p: &CheckedPromotion,
    platform: &Platform,
) -> PromotionPlan {
    use ImageSelectionStrategy as S;
    let props = &p.props;
    // With the argocd block, Kargo updates the Applications oamc emits, where
    // it emits them; unset, argocd-update looks where Argo CD's own default
    // puts Applications (`defaults::argocd_namespace`).
    let argocd_namespace = props
        .argocd
        .as_ref()
        .map(|a| a.namespace.clone())
        .or_else(|| props.argocd_namespace.clone());
    let image = "vars.imageRepo";
    let field = match props.image_selection_strategy {
        // Following a mutable tag: pin what was promoted by its digest.
        S::Digest => "Digest",
        _ => "Tag",
    };
    let separator = if field == "Digest" { "@" } else { ":" };
    let version = kargo(&format!("imageFrom({image}).{field}"));
    let image_value = format!("{}{separator}{version}", kargo(image));
    // A value that is only an expression is re-typed by Kargo: `1.10` or
    // `20240101` would land in the manifest as a number
    // (`pkg/expressions/json_templates.go`, `EvaluateTemplate`). `quote()`
    // keeps it a string, and yaml-update then writes it quoted
    // (`pkg/yaml/quote.go`, `QuoteIfNecessary`).
    let quoted_version = kargo(&format!("quote(imageFrom({image}).{field})"));
    let strategy = match props.image_selection_strategy {
        S::NewestBuild => "NewestBuild",
        S::SemVer => "SemVer",
        S::Lexical => "Lexical",
        S::Digest => "Digest",
    };
    let stages = props
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StagePlan {
            name: s.name.clone(),
            auto_promote: s.auto_promote.unwrap_or(i == 0),
            upstream: match (&s.from, i) {
                (Some(from), _) => Some(from.clone()),
                (None, 0) => None,
                (None, _) => Some(props.stages[i - 1].name.clone()),
            },
        })
        .collect();
    let project = names::kargo_project(app);
    let argocd_app = StagePattern::parse(&props.argocd_app, app);
    let folder = crate::names::folder_of(&props.manifest_path);
    let stage_branch = StagePattern::parse(&props.stage_branch, app);
    let argocd = props.argocd.as_ref().map(|a| {
        let folder = StagePattern::parse(crate::names::folder_of(&props.manifest_path), app);
        // The stage renders its workload; the pipeline is rendered once, elsewhere.
        let mut parameters = vec![VarPlan {
            name: "promotion".into(),
            value: "skip".into(),
        }];
        parameters.extend(
            platform
                .plugin_parameters
                .iter()
                .map(|(name, value)| VarPlan {
                    name: name.clone(),
                    value: value.clone(),
                }),
        );
        ArgoCdPlan {
            namespace: a.namespace.clone(),
            project: a.project.clone(),
            plugin: crate::names::PLUGIN_NAME.into(),
            parameters,
            automated: a.sync_policy.automated,
            prune: a.sync_policy.prune,
            self_heal: a.sync_policy.self_heal,
            applications: props
                .stages
                .iter()
                .map(|s| {
                    let (cluster, destination_namespace) = a.destination_of(&s.name, namespace);
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
                .collect(),
        }
    });
    PromotionPlan {
        project,
        warehouse: app.to_owned(),
        image_repo: p.image_repo.clone(),
        image_selection_strategy: strategy.into(),
        constraint: props.constraint.clone(),
        allow_tags: allow_tags(props).unwrap_or_default(),
        interval: p.interval.clone(),
        task: names::PROMOTION_TASK.into(),
        vars: vec![
            VarPlan {
                name: "repoURL".into(),
                value: props.repo_url.clone(),
            },
            VarPlan {
                name: "branch".into(),
                value: props.branch.clone(),
            },
            VarPlan {
                name: "imageRepo".into(),
                value: p.image_repo.clone(),
            },
        ],
        repo_url: props.repo_url.clone(),
        branch: props.branch.clone(),
        repo_url_expr: kargo("vars.repoURL"),
        branch_expr: kargo("vars.branch"),
        checkout_path: SOURCE_CHECKOUT.into(),
        stage_branch,
        stage_checkout_path: STAGE_CHECKOUT.into(),
        source_folder: StagePattern::parse(&format!("{SOURCE_CHECKOUT}/{folder}"), app),
        stage_folder: StagePattern::parse(&format!("{STAGE_CHECKOUT}/{folder}"), app),
        manifest_path: StagePattern::parse(
            &format!("{STAGE_CHECKOUT}/{}", props.manifest_path),
            app,
        ),
        updates: std::iter::once(YamlUpdatePlan {
            key: format!("spec.components.{}.properties.image", p.component_index),
            value: image_value,
        })
        .chain(publish_version.then(|| YamlUpdatePlan {
            key: format!(
                "metadata.annotations.{}",
                PUBLISH_VERSION.replace('.', "\\.")
            ),
            value: quoted_version,
        }))
        .collect(),
        commit_message: format!("Promote {} to {}", kargo("ctx.stage"), version),
        git_author_name: props.git_author.name.clone(),
        git_author_email: props.git_author.email.clone(),
        argocd_app,
        argocd_namespace: argocd_namespace.clone(),
        argocd_looks_in: argocd_namespace.unwrap_or_else(defaults::argocd_namespace),
        // Inside a PromotionTask a step's outputs are `task.outputs.<alias>`:
        // Kargo renames the task's steps to `<task alias>::<alias>` when it
        // inflates them into a Stage's promotion (`pkg/api/promotion.go`,
        // `inflateTaskSteps`; `pkg/promotion/evaluator.go`, `getTaskOutputs`).
        // The pushed commit, not git-commit's: git-push rebases onto the
        // remote branch first (`git_pusher.go`, output `commit`).
        push_alias: PUSH_ALIAS,
        desired_revision: kargo(&format!("task.outputs.{PUSH_ALIAS}.commit")),
        stages,
        argocd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `imageRepoURLRegex` (`pkg/subscription/image.go`, v1.11.2) on the
    /// repositories of `image_test.go` and the edges of its pattern.
    #[test]
    fn repository_urls_are_the_ones_kargo_accepts() {
        for ok in [
            "ghcr.io/akuity/kargo",
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/peeks/storefront",
            "localhost:5000/shop/web",
            "nginx",
            "a__b/c_d",
        ] {
            assert!(kargo_image_repo_url(ok), "{ok}");
        }
        for bad in [
            "",
            "bogus invalid",
            "payments--worker",
            "ghcr.io/acme/web.",
            "localhost:5000",
            "host:/x",
            "a/b:1/c",
            "ghcr.io//x",
        ] {
            assert!(!kargo_image_repo_url(bad), "{bad}");
        }
    }

    /// What Go's `mail.ParseAddress` reads as one bare address.
    #[test]
    fn author_emails_are_addresses() {
        for ok in [
            "kargo@akuity.io",
            "first.last+tag@example.co.uk",
            "\"quoted name\"@example.com",
            "x@[192.0.2.1]",
        ] {
            assert!(email_address(ok).is_ok(), "{ok}");
        }
        for bad in [
            "nobody",
            "a@",
            "@b.io",
            "a..b@c.io",
            ".a@c.io",
            "a b@c.io",
            "a@b..io",
            "Kargo <kargo@akuity.io>",
        ] {
            assert!(email_address(bad).is_err(), "{bad}");
        }
    }
}
