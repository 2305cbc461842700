//! Every name oamc derives from a user's name, in one place, so the checker
//! validates exactly the names the planner will use.

pub const PREVIEW_SUFFIX: &str = "-preview";

/// The plugin's name as Argo CD knows it: `metadata.name`-`spec.version` of
/// cmp/plugin.yaml (tests/it/cmp.rs holds them equal).
pub const PLUGIN_NAME: &str = "oamc-v1";

/// The folder of a path in the repository (`""`: its root).
pub fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The Service users and Ingresses reach: all pods, stable and canary.
pub fn service(component: &str) -> String {
    component.to_owned()
}

/// The Ingress an ingress trait renders (the name a canary router must drive).
pub fn ingress(component: &str) -> String {
    component.to_owned()
}

/// The HorizontalPodAutoscaler an hpa or cpuscaler trait renders.
pub fn autoscaler(component: &str) -> String {
    component.to_owned()
}

/// The Service the gates test: Argo Rollouts points it at the new pods only.
pub fn preview_service(component: &str) -> String {
    format!("{component}{PREVIEW_SUFFIX}")
}

pub fn functional_template(component: &str) -> String {
    format!("functional-gate-{component}")
}

pub fn performance_template(component: &str) -> String {
    format!("performance-gate-{component}")
}

pub fn metrics_template(component: &str) -> String {
    format!("metrics-{component}")
}

pub fn web_template(component: &str) -> String {
    format!("web-gate-{component}")
}

/// The Services an A/B experiment creates for its two variants.
pub fn ab_variant_services(component: &str) -> [(&'static str, String); 2] {
    [
        (
            "A/B stable variant Service",
            format!("{component}-ab-stable"),
        ),
        (
            "A/B canary variant Service",
            format!("{component}-ab-canary"),
        ),
    ]
}

/// Service names derived from a component, with what each is, for checking.
pub fn derived_service_names(component: &str) -> [(&'static str, String); 2] {
    [
        ("Service", service(component)),
        ("preview Service", preview_service(component)),
    ]
}

pub const KARGO_PROJECT_SUFFIX: &str = "-kargo";

/// The Kargo Project (and namespace) of an Application's promotion pipeline.
pub fn kargo_project(app: &str) -> String {
    format!("{app}{KARGO_PROJECT_SUFFIX}")
}

/// The PromotionTask every Stage runs, but for those that promote by pull request.
pub const PROMOTION_TASK: &str = "update-image";

/// The PromotionTask of the Stages that promote by pull request.
pub const PROMOTION_TASK_BY_PULL_REQUEST: &str = "update-image-by-pull-request";

/// The folder of the per-stage tree the Kargo pipeline promotes through:
/// `deployment/<stage>/<file>`. Its one home: the promotion's default
/// `manifestPath` and the reading of a file's stage both come from here.
pub const STAGE_TREE: &str = "deployment";

/// The promotion's default `manifestPath`: `deployment/{stage}/application.yaml`.
pub fn default_stage_manifest() -> String {
    format!("{STAGE_TREE}/{{stage}}/application.yaml")
}

/// `…/deployment/<stage>/<file>` → `<stage>`.
pub fn stage_of(source: &str) -> Option<String> {
    let parts: Vec<&str> = std::path::Path::new(source)
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    let n = parts.len();
    (n >= 3 && parts[n - 3] == STAGE_TREE).then(|| parts[n - 2].to_owned())
}
