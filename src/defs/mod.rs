//! The definitions oamc compiles, each in its own module the way a KubeVela
//! definition keeps parameter, template and test together: `appmod` (the
//! component, with its strategies and gates), `traits`, `promotion` (the
//! kargo-promotion policy). Each keeps its typed properties, defaults, rules,
//! derived names and plan. This module is their registry and the
//! Application-level dispatch: component, trait and policy types. The schema, the checker's dispatch, its help text and "did you
//! mean", and a test that holds the book's trait table (docs/src/reference/traits.md) to it all read this one
//! list, so a type cannot be known in one place and missing in another.

pub mod appmod;
pub mod env;
pub mod gates;
pub mod kubevela;
pub mod promotion;
pub mod traits;

pub use traits::TraitDefinition;

use crate::check::{Broken, DocContext, syntax};
use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::model::{self, Application};
use crate::path;
use crate::plan::AppPlan;
use crate::platform::Platform;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Component types oamc compiles.
pub const COMPONENT_TYPES: &[&str] = &[appmod::APPMOD_SERVICE];

/// Policy types oamc applies.
pub const POLICY_TYPES: &[&str] = &[promotion::KARGO_PROMOTION];

/// Every trait oamc compiles, in the book's order: one line per trait type.
pub static TRAITS: &[&dyn TraitDefinition] = &[
    &traits::ingress::PathBasedIngressTrait,
    &traits::ingress::AppIngressTrait,
    &traits::storage::StorageTrait,
    &traits::scaling::ScalerTrait,
    &traits::scaling::HpaTrait,
    &traits::scaling::CpuScalerTrait,
    &traits::metadata::LabelsTrait,
    &traits::metadata::AnnotationsTrait,
    &traits::sidecar::SidecarTrait,
];

/// The trait type named `name`.
pub fn trait_definition(name: &str) -> Option<&'static dyn TraitDefinition> {
    TRAITS.iter().copied().find(|t| t.name() == name)
}

/// Every trait type name, in registry order.
pub fn trait_names() -> impl Iterator<Item = &'static str> {
    TRAITS.iter().map(|t| t.name())
}

/// What a type name was given for: the component, trait or policy it types.
#[derive(Clone, Copy)]
pub(crate) enum TypeOf<'a> {
    Component(&'a str),
    /// A trait, on the component named.
    Trait(&'a str),
    Policy(&'a str),
}

/// Whether oamc compiles components, traits or policies of this type.
pub fn is_known_type(name: &str) -> bool {
    COMPONENT_TYPES.contains(&name)
        || POLICY_TYPES.contains(&name)
        || trait_names().any(|t| t == name)
}

/// A type oamc does not compile. One `--external-types` lists is rendered
/// elsewhere and passed over; any other is an error, as KubeVela refuses an
/// Application whose definition it cannot find: printing the rest would ship
/// the application without it (and Argo CD would prune what it had made).
/// One near a type oamc compiles is a typo, with "did you mean".
pub(crate) fn unknown_type(ctx: &mut DocContext, at: &[crate::dom::Seg], of: TypeOf, found: &str) {
    if ctx.options.external_types.iter().any(|t| t == found) {
        return;
    }
    let known: Vec<&str> = match of {
        TypeOf::Component(_) => COMPONENT_TYPES.to_vec(),
        TypeOf::Trait(_) => trait_names().collect(),
        TypeOf::Policy(_) => POLICY_TYPES.to_vec(),
    };
    if let Some(help) = crate::check::did_you_mean(found, known.iter().copied()) {
        let message = match of {
            TypeOf::Component(c) => {
                format!("component `{c}` has type `{found}`, which is not a type oamc compiles")
            }
            TypeOf::Trait(c) => {
                format!("trait `{found}` on component `{c}` is not a trait oamc compiles")
            }
            TypeOf::Policy(p) => {
                format!("policy `{p}` has type `{found}`, which is not a type oamc applies")
            }
        };
        ctx.error(Code::MisspeltType, at, message).help = Some(help);
        return;
    }
    let elsewhere = format!(
        "if another controller renders `{found}` (KubeVela, Crossplane), say so: `--external-types {found}` (the plugin parameter `external-types`)"
    );
    let (code, message, help) = match of {
        TypeOf::Component(c) => (
            Code::UnknownComponentType,
            format!("component `{c}` has type `{found}`, which oamc does not compile"),
            format!(
                "oamc compiles `{}` components; {elsewhere}",
                appmod::APPMOD_SERVICE
            ),
        ),
        TypeOf::Trait(c) => (
            Code::UnknownTrait,
            format!("trait `{found}` on component `{c}` is not a trait oamc compiles"),
            format!("oamc compiles {}; {elsewhere}", known.join(", ")),
        ),
        TypeOf::Policy(p) => match kubevela::builtin_policy(found) {
            // KubeVela's own policy, acting on this Application: nothing
            // else renders it, so say what does the same here.
            Some(instead) => (
                Code::UnknownPolicy,
                format!(
                    "policy `{p}` has type `{found}`, a KubeVela policy on this Application's own resources, which oamc does not apply"
                ),
                instead.to_owned(),
            ),
            None => (
                Code::UnknownPolicy,
                format!("policy `{p}` has type `{found}`, which oamc does not apply"),
                format!(
                    "oamc applies `{}` policies; {elsewhere}",
                    promotion::KARGO_PROMOTION
                ),
            ),
        },
    };
    ctx.error(code, at, message).help = Some(help);
}

/// An Application that passed every check, ready to plan.
#[derive(Debug, Clone)]
pub struct CheckedApp {
    pub file: Arc<SourceFile>,
    pub app: Application,
    pub services: Vec<appmod::CheckedService>,
    pub promotion: Option<promotion::CheckedPromotion>,
}

pub(crate) fn check_application(
    ctx: &mut DocContext,
    json: &serde_json::Value,
    broken: &Broken,
) -> Option<CheckedApp> {
    if broken.intact(&path!["metadata"])
        && let Some(metadata) = ctx.typed::<model::Metadata>(&path!["metadata"], &json["metadata"])
    {
        check_metadata(ctx, &metadata);
    }
    kubevela::check_workflow(ctx, json);
    let (services, service_components) = check_components(ctx, json, broken)?;
    let (promotion, promotion_seen) = check_policies(ctx, json, broken, &service_components);
    check_moving_tags(ctx, broken, promotion.as_ref(), &service_components);
    if ctx.options.promotion_only && promotion_seen.is_none() {
        no_promotion_policy(ctx, json);
    }
    if ctx.diagnostics.iter().any(Diagnostic::is_error) {
        return None;
    }
    let app = match Application::deserialize(json) {
        Ok(app) => app,
        Err(e) => {
            ctx.error(
                Code::Internal,
                &[],
                format!("cannot read the Application: {e}"),
            );
            return None;
        }
    };
    Some(CheckedApp {
        file: ctx.file.clone(),
        app,
        services,
        promotion,
    })
}

/// Each component: an appmod-service checked into a service; every
/// appmod-service's name and image, for the promotion. None when there are
/// more components than an Application may hold.
fn check_components(
    ctx: &mut DocContext,
    json: &serde_json::Value,
    broken: &Broken,
) -> Option<(
    Vec<appmod::CheckedService>,
    Vec<promotion::ServiceComponent>,
)> {
    let components = json.pointer("/spec/components").and_then(|c| c.as_array());
    if components.is_some_and(|c| c.len() > crate::dom::limits::MAX_COMPONENTS) {
        ctx.error(
            Code::YamlLimit,
            &path!["spec", "components"],
            format!(
                "more than {} components in one Application",
                crate::dom::limits::MAX_COMPONENTS
            ),
        )
        .help = Some("split the Application".into());
        return None;
    }
    let mut names = ComponentNames::default();
    let mut routes = traits::Routes::new();
    let mut services = Vec::new();
    let mut service_components = Vec::new();
    for (i, value) in components.into_iter().flatten().enumerate() {
        // The component's own name and type must be readable; a broken trait
        // or property spoils only itself (the rules skip it).
        let envelope = ["name", "type"].map(|k| path!["spec", "components", i, k]);
        if !envelope.iter().all(|p| broken.intact(p)) {
            continue;
        }
        let at = path!["spec", "components", i];
        let Some(component) = ctx.typed::<model::Component>(&at, value) else {
            continue;
        };
        if component.type_ == appmod::APPMOD_SERVICE {
            service_components.push(promotion::ServiceComponent {
                index: i,
                name: component.name.clone(),
                image: value
                    .pointer("/properties/image")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            });
        }
        if let Some(service) =
            appmod::check_component(ctx, i, &component, &mut names, broken, &mut routes)
        {
            services.push(service);
        }
    }
    Some((services, service_components))
}

/// The policies: the one kargo-promotion checked (and where it is), any
/// other type refused.
fn check_policies(
    ctx: &mut DocContext,
    json: &serde_json::Value,
    broken: &Broken,
    service_components: &[promotion::ServiceComponent],
) -> (Option<promotion::CheckedPromotion>, Option<usize>) {
    let app_name = json.pointer("/metadata/name").and_then(|v| v.as_str());
    // The namespace the workload goes to (the `--namespace` value is not
    // known here, only that one was given).
    let app_namespace = json
        .pointer("/metadata/namespace")
        .and_then(|v| v.as_str())
        .or(ctx
            .options
            .namespace_given
            .then_some("the --namespace value"))
        .map(str::to_owned);
    let policies = json.pointer("/spec/policies").and_then(|c| c.as_array());
    let mut promotion = None;
    let mut promotion_seen = None;
    for (i, value) in policies.into_iter().flatten().enumerate() {
        let envelope = ["name", "type"].map(|k| path!["spec", "policies", i, k]);
        if !envelope.iter().all(|p| broken.intact(p)) {
            continue;
        }
        let at = path!["spec", "policies", i];
        let Some(policy) = ctx.typed::<model::Policy>(&at, value) else {
            continue;
        };
        if policy.type_ != promotion::KARGO_PROMOTION {
            let at = path!["spec", "policies", i, "type"];
            unknown_type(ctx, &at, TypeOf::Policy(&policy.name), &policy.type_);
            continue;
        }
        if let Some(first) = promotion_seen.replace(i) {
            ctx.error(
                Code::DuplicatePolicy,
                &path!["spec", "policies", i, "type"],
                format!("a second kargo-promotion policy (the first is spec.policies[{first}]); an Application has one pipeline"),
            );
            continue;
        }
        if !broken.intact(&path!["spec", "policies", i]) {
            continue;
        }
        let props_json = policy
            .properties
            .as_ref()
            .unwrap_or(&serde_json::Value::Null);
        let props_at = path!["spec", "policies", i, "properties"];
        if let Some(props) = ctx.typed::<promotion::KargoPromotion>(&props_at, props_json) {
            promotion = promotion::check_promotion(
                ctx,
                i,
                (app_name, app_namespace.as_deref()),
                &props,
                service_components,
            );
        }
    }
    (promotion, promotion_seen)
}

/// An image on a moving tag, but for the component a Digest promotion
/// follows on purpose.
fn check_moving_tags(
    ctx: &mut DocContext,
    broken: &Broken,
    promotion: Option<&promotion::CheckedPromotion>,
    service_components: &[promotion::ServiceComponent],
) {
    // A Digest promotion follows its component's tag on purpose.
    let pinned = promotion.and_then(|p| {
        (p.props.image_selection_strategy == promotion::ImageSelectionStrategy::Digest)
            .then_some(p.component_index)
    });
    for c in service_components {
        let at = path!["spec", "components", c.index, "properties", "image"];
        if let Some(image) = &c.image
            && pinned != Some(c.index)
            && broken.intact(&at)
        {
            appmod::moving_tag(ctx, c.index, image);
        }
    }
}

/// `--promotion only` given for an Application without a kargo-promotion policy.
fn no_promotion_policy(ctx: &mut DocContext, json: &serde_json::Value) {
    let app_name = json.pointer("/metadata/name").and_then(|v| v.as_str());
    let policies = json.pointer("/spec/policies").and_then(|c| c.as_array());
    let at = if policies.is_some() {
        path!["spec", "policies"]
    } else {
        path!["metadata", "name"]
    };
    ctx.error(
        Code::NoPromotionPolicy,
        &at,
        format!(
            "`--promotion only` renders the Kargo pipeline, and Application `{}` has no kargo-promotion policy",
            app_name.unwrap_or("?")
        ),
    )
    .help = Some("add a kargo-promotion policy, or render this Application with `--promotion include` or `skip`".into());
}

/// The longest label value Kubernetes takes (apimachinery
/// `pkg/util/validation/validation.go`, `IsValidLabelValue`).
const MAX_LABEL_VALUE: usize = 63;

fn check_metadata(ctx: &mut DocContext, metadata: &model::Metadata) {
    if let Err(why) = syntax::dns1123_subdomain(&metadata.name) {
        ctx.error(
            Code::Name,
            &path!["metadata", "name"],
            format!("Application name `{}` {why}", metadata.name),
        );
    } else if metadata.name.len() > MAX_LABEL_VALUE {
        // A subdomain may be 253 characters; the name is also the value of
        // `app.kubernetes.io/part-of` on every object (as KubeVela writes it
        // as `app.oam.dev/name`), which the API server would refuse.
        ctx.error(
            Code::Name,
            &path!["metadata", "name"],
            format!(
                "Application name `{}` is {} characters long: it is the value of the label `app.kubernetes.io/part-of` on every object, and Kubernetes takes at most {MAX_LABEL_VALUE}",
                crate::text::shown(&metadata.name),
                metadata.name.len()
            ),
        )
        .help = Some(format!("keep the name within {MAX_LABEL_VALUE} characters"));
    }
    if let Some(ns) = &metadata.namespace
        && let Err(why) = syntax::dns1123_label(ns)
    {
        ctx.error(
            Code::Name,
            &path!["metadata", "namespace"],
            format!("namespace `{ns}` {why}"),
        );
    }
    // gitops-engine gives the destination namespace only to an object
    // without one (Argo CD v3.5.1 `gitops-engine/pkg/sync/sync_context.go`,
    // `getSyncTasks`: `SetNamespace` when `GetNamespace() == ""`): a
    // namespace written here wins, and a stage's copy deploys over another
    // stage's workload.
    if let (Some(ns), Some(destination)) = (
        &metadata.namespace,
        ctx.options.destination_namespace.as_deref(),
    ) && ns != destination
    {
        ctx.error(
            Code::DestinationNamespace,
            &path!["metadata", "namespace"],
            format!(
                "the Application's namespace `{ns}` is not its Argo CD destination `{destination}`: every resource would go to `{ns}`"
            ),
        )
        .help = Some(format!(
            "remove metadata.namespace from this copy (the destination then applies) or set it to `{destination}`"
        ));
    }
}

/// Component names seen so far in one Application.
#[derive(Default)]
pub(crate) struct ComponentNames(BTreeMap<String, usize>);

/// The plan of one checked Application: each definition plans its part.
pub fn plan_app(
    checked: &CheckedApp,
    default_namespace: Option<&str>,
    platform: &Platform,
) -> AppPlan {
    let app = &checked.app;
    let labels = BTreeMap::from([
        ("app.kubernetes.io/managed-by".to_owned(), "oamc".to_owned()),
        (
            "app.kubernetes.io/part-of".to_owned(),
            app.metadata.name.clone(),
        ),
    ]);
    let services = checked
        .services
        .iter()
        .map(|s| appmod::plan_service(s, platform, &labels))
        .collect();
    AppPlan {
        name: app.metadata.name.clone(),
        namespace: app
            .metadata
            .namespace
            .clone()
            .or_else(|| default_namespace.map(str::to_owned)),
        promotion: checked.promotion.as_ref().map(|p| {
            let namespace = app.metadata.namespace.as_deref().or(default_namespace);
            let publish_version = app
                .metadata
                .annotations
                .contains_key(promotion::PUBLISH_VERSION);
            promotion::plan_promotion(&app.metadata.name, namespace, publish_version, p, platform)
        }),
        labels,
        services,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_recognised_and_other_types_are_not() {
        let traits = || trait_names();
        assert_eq!(
            crate::check::suggest("path-based-ingres", traits()),
            Some("path-based-ingress")
        );
        assert_eq!(crate::check::suggest("hpa", traits()), None);
        assert_eq!(crate::check::suggest("hap", traits()), Some("hpa"));
        assert_eq!(crate::check::suggest("gateway", traits()), None);
        assert_eq!(crate::check::suggest("service-binding", traits()), None);
        assert_eq!(
            crate::check::suggest("appmod-servce", COMPONENT_TYPES.iter().copied()),
            Some("appmod-service")
        );
        assert_eq!(
            crate::check::suggest("webservice", COMPONENT_TYPES.iter().copied()),
            None
        );
        assert_eq!(
            crate::check::suggest("AppmodService", COMPONENT_TYPES.iter().copied()),
            Some("appmod-service")
        );
    }

    #[test]
    fn every_trait_has_one_definition() {
        for def in TRAITS {
            assert!(std::ptr::addr_eq(
                trait_definition(def.name()).unwrap(),
                *def
            ));
        }
        let mut names: Vec<_> = trait_names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TRAITS.len());
    }
}
