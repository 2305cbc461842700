//! The `kargo-promotion` policy: promote a component's image through stages
//! with Kargo, each promotion a Git commit of the stage's Application
//! manifest. Its properties, rules (the stage graph, Git and image
//! references, no user string becoming a Kargo expression) and plan.

mod argocd;
mod refs;
pub mod steps;

pub use argocd::{ArgoCd, Cluster, Destination, StageDestination, SyncPolicy};
pub use refs::allow_tags;

use crate::check::{DocContext, check_duration, syntax};
use crate::diagnostic::Code;
use crate::dom::{DocPath, Seg};
use crate::names;
use crate::path;
use crate::plan::{PromotionPlan, StagePattern, StagePlan, TaskPlan, VarPlan, YamlUpdatePlan};
use crate::platform::Platform;
use argocd::check_argocd;
use refs::{
    branch, check_stage_branch, check_tag_filter, email_address, git_url, image_repository,
    kargo_image_repo_url, manifest_path,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use steps::kargo;

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
    /// The Git host's API that opens the pull requests of stages with `pullRequest`. Default:
    /// what Kargo infers from repoURL's host (`github` in it or `*.ghe.com`, `gitlab` in it,
    /// `gitea` in it, `bitbucket.org`, `dev.azure.com` or `*.visualstudio.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_provider: Option<steps::git_open_pr::GitProvider>,
    /// Emit each stage's Argo CD Application with the pipeline (rendering the stage's folder
    /// with the oamc plugin, authorized for the stage's promotions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd: Option<ArgoCd>,
    /// Stages in promotion order. Default: `dev` (auto-promoted), then `prod`.
    #[serde(default = "defaults::stages")]
    #[schemars(length(min = 1, max = 20))]
    pub stages: Vec<StageSpec>,
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
    /// Promote by pull request: each promotion pushes a branch of its own and opens a pull
    /// request into the stage's branch, and Argo CD syncs the stage once a person merges it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pull_request: bool,
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
                pull_request: false,
            },
            super::StageSpec {
                name: "prod".into(),
                auto_promote: Some(false),
                from: None,
                pull_request: false,
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
    check_references(ctx, &base, p);
    check_tag_filter(ctx, &base, p, services);
    steps::git_open_pr::check(ctx, &base, p);
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

    let chosen = chosen_component(ctx, &base, p, services);
    let image_repo = watched_repository(ctx, &base, p, chosen);
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

/// The Git references, paths, interval and author of the policy.
fn check_references(ctx: &mut DocContext, base: &DocPath, p: &KargoPromotion) {
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
    check_stage_branch(ctx, base, p);
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
}

/// The appmod-service component whose image is promoted: the one named, or
/// the only one.
fn chosen_component<'a>(
    ctx: &mut DocContext,
    base: &DocPath,
    p: &KargoPromotion,
    services: &'a [ServiceComponent],
) -> Option<&'a ServiceComponent> {
    match &p.component {
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
                    base,
                    "there is no appmod-service component to promote",
                );
                None
            }
            several => {
                ctx.error(
                    Code::UnknownComponent,
                    base,
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
    }
}

/// The image repository the Warehouse watches: `imageRepo`, else the
/// promoted component's image without its tag, as Kargo accepts it.
fn watched_repository(
    ctx: &mut DocContext,
    base: &DocPath,
    p: &KargoPromotion,
    chosen: Option<&ServiceComponent>,
) -> Option<String> {
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
        let at = match (&p.image_repo, chosen) {
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

    image_repo
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
pub(super) fn without_placeholders(pattern: &str) -> Option<String> {
    Some(pattern.replace("{app}", "").replace("{stage}", ""))
}

/// The annotation upstream's task keeps in step with the image (KubeVela's
/// revision trigger). oamc updates it only where the manifest has it:
/// Kargo's yaml-update never creates a key (`pkg/yaml/yaml.go`,
/// `findScalarNode`: "key path not found"), so updating an absent one fails
/// the promotion.
pub const PUBLISH_VERSION: &str = "app.oam.dev/publishVersion";

/// What a promotion sets in the stage's manifest: the image, and the
/// publish-version annotation where the manifest has it; and the image's
/// tag or digest, as a Kargo expression.
fn updates(p: &CheckedPromotion, publish_version: bool) -> (Vec<YamlUpdatePlan>, String) {
    let image = "vars.imageRepo";
    let field = match p.props.image_selection_strategy {
        // Following a mutable tag: pin what was promoted by its digest.
        ImageSelectionStrategy::Digest => "Digest",
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
    let updates = std::iter::once(YamlUpdatePlan {
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
    .collect();
    (updates, version)
}

/// The stages in promotion order, each with the stage it takes Freight from.
fn stage_plans(props: &KargoPromotion) -> Vec<StagePlan> {
    props
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StagePlan {
            name: s.name.clone(),
            task: task_name(s.pull_request).into(),
            auto_promote: s.auto_promote.unwrap_or(i == 0),
            upstream: match (&s.from, i) {
                (Some(from), _) => Some(from.clone()),
                (None, 0) => None,
                (None, _) => Some(props.stages[i - 1].name.clone()),
            },
        })
        .collect()
}

fn task_name(by_pull_request: bool) -> &'static str {
    if by_pull_request {
        names::PROMOTION_TASK_BY_PULL_REQUEST
    } else {
        names::PROMOTION_TASK
    }
}

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
    let strategy = match props.image_selection_strategy {
        S::NewestBuild => "NewestBuild",
        S::SemVer => "SemVer",
        S::Lexical => "Lexical",
        S::Digest => "Digest",
    };
    let project = names::kargo_project(app);
    let (updates, version) = updates(p, publish_version);
    let task = steps::Task {
        app,
        props,
        folder: names::folder_of(&props.manifest_path),
        updates: &updates,
        version: &version,
        argocd_namespace: argocd_namespace.clone(),
    };
    // A task for each way the stages promote, in the stages' order.
    let mut tasks: Vec<TaskPlan> = Vec::new();
    for stage in &props.stages {
        let name = task_name(stage.pull_request);
        if !tasks.iter().any(|t| t.name == name) {
            tasks.push(TaskPlan {
                name: name.into(),
                steps: steps::task(&task, stage.pull_request),
            });
        }
    }
    let var = |name: &str, value: &str| VarPlan {
        name: name.into(),
        value: value.to_owned(),
    };
    PromotionPlan {
        warehouse: app.to_owned(),
        image_repo: p.image_repo.clone(),
        image_selection_strategy: strategy.into(),
        constraint: props.constraint.clone(),
        allow_tags: allow_tags(props).unwrap_or_default(),
        interval: p.interval.clone(),
        tasks,
        vars: vec![
            var("repoURL", &props.repo_url),
            var("branch", &props.branch),
            var("imageRepo", &p.image_repo),
        ],
        repo_url: props.repo_url.clone(),
        branch: props.branch.clone(),
        stage_branch: StagePattern::parse(&props.stage_branch, app),
        manifest_file: StagePattern::parse(&props.manifest_path, app),
        updates,
        argocd_app: StagePattern::parse(&props.argocd_app, app),
        argocd_looks_in: argocd_namespace.unwrap_or_else(defaults::argocd_namespace),
        stages: stage_plans(props),
        argocd: props
            .argocd
            .as_ref()
            .map(|a| argocd::plan(a, props, (app, namespace, &project), platform)),
        project,
    }
}
