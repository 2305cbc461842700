//! The traits oamc compiles. Each trait type is one [`TraitDefinition`], the
//! way a KubeVela TraitDefinition is one file: its name, what it renders, its
//! properties' schema, the slot it fills and its check, which hands back the
//! typed, checked properties as a [`CheckedTrait`] that plans its part of the
//! service. `defs::TRAITS` lists them; the schema, this dispatch, "did you
//! mean", the planner and the book's trait table all read that one list.
//! Families that share rules share a module: `ingress` (path-based-ingress,
//! appingress), `storage`, `scaling` (scaler, hpa, cpuscaler), `metadata`
//! (labels, annotations), `sidecar`.

pub mod ingress;
pub mod metadata;
pub mod scaling;
pub mod sidecar;
pub mod storage;

pub use ingress::Ingress;
pub use scaling::{Autoscaler, CheckedHpa, HpaTarget, Scaler};

use crate::check::{Broken, DocContext};
use crate::defs;
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::model::Component;
use crate::path;
use crate::plan::ServicePlan;
use schemars::SchemaGenerator;
use serde_json::Value;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

/// One trait type: everything oamc knows of it but its template.
pub trait TraitDefinition: Sync {
    /// The OAM type name users write.
    fn name(&self) -> &'static str;
    /// Its properties with their defaults, for the book's trait table (Markdown).
    fn properties(&self) -> &'static str;
    /// What it renders, for the book's trait table (Markdown).
    fn renders(&self) -> &'static str;
    /// The JSON Schema of its properties.
    fn schema(&self, generator: &mut SchemaGenerator) -> Value;
    /// The part of the component only one trait may set, if it sets one.
    fn slot(&self) -> Option<Slot> {
        None
    }
    /// Reads the properties (the schema accepted them) into their type,
    /// applies the trait's rules, and returns the checked trait; `None` when
    /// a diagnostic was reported.
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>>;
}

/// A trait's properties, typed and checked: its part of the service's plan.
pub trait CheckedTrait: AsAny + Debug + Send + Sync {
    /// Adds the trait's part to the service's plan, which holds the
    /// component's own (strategy included) and the traits' before it.
    fn plan(&self, service: &mut ServicePlan);
}

/// A checked trait as `Any`, so a rule may ask for one type of trait.
pub trait AsAny {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The parts of a component only one trait may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    /// The Ingress `<name>`.
    Ingress,
    /// The Rollout's replica count.
    Replicas,
}

impl Slot {
    /// The conflict of a second trait `name` in this slot with `first` (at traits[`at`]).
    fn conflict(
        self,
        name: &str,
        first: &str,
        at: usize,
        component: &str,
    ) -> (String, &'static str) {
        match self {
            Slot::Ingress => (
                format!(
                    "a second ingress trait on component `{component}` (the first is traits[{at}]); both would be the Ingress `{}`",
                    crate::names::ingress(component)
                ),
                "put every path into one trait's `http`",
            ),
            Slot::Replicas => (
                format!(
                    "`{name}` and `{first}` (traits[{at}]) both set the replicas of `{component}`"
                ),
                "keep one: scaler for a fixed count, hpa or cpuscaler to autoscale",
            ),
        }
    }
}

/// Where one trait is checked: its place, its component, and what the
/// component's other traits (and the Application's other components) claimed.
pub struct Site<'s, 'c> {
    pub(crate) ctx: &'s mut DocContext<'c>,
    /// The trait's index in the component's `traits`.
    pub index: usize,
    /// `spec.components[i].traits[t]`.
    pub base: DocPath,
    /// `spec.components[i].traits[t].properties`.
    pub props_at: DocPath,
    pub component: &'s Component,
    /// The component's Service port, when it is readable.
    pub port: Option<u32>,
    pub claims: &'s mut Claims,
}

/// Names the component's traits have taken, to refuse a second taker.
#[derive(Debug, Default)]
pub struct Claims {
    /// Volume name → the trait that declared it.
    pub volumes: BTreeMap<String, usize>,
    /// Mount path → the trait that mounts there.
    pub mounts: BTreeMap<String, usize>,
    /// Container name → the trait that adds it; `None` is the app's container.
    pub containers: BTreeMap<String, Option<usize>>,
    /// Host and path of every ingress route in the Application → its component.
    pub routes: Routes,
    /// Volumes a trait mounts by name, checked against `volumes` once every
    /// trait is read (a storage trait may come later).
    pub volume_uses: Vec<(DocPath, String)>,
    /// Autoscaler targets that are a percentage of the pods' requests, and
    /// the resource (`cpu`, `memory`): checked against every container once
    /// every trait is read (a sidecar may come later).
    pub utilization: Vec<(DocPath, &'static str)>,
}

impl Site<'_, '_> {
    /// The properties read into `T`; the schema accepted them, so a failure
    /// is reported as a gap between the two.
    pub fn typed<T: serde::de::DeserializeOwned>(&mut self, props: &Value) -> Option<T> {
        self.ctx.typed(&self.props_at, props)
    }
}

/// The traits of one component, typed and checked, in the order written.
#[derive(Debug, Clone, Default)]
pub struct CheckedTraits(Vec<Arc<dyn CheckedTrait>>);

impl CheckedTraits {
    pub fn iter(&self) -> impl Iterator<Item = &dyn CheckedTrait> {
        self.0.iter().map(|t| &**t)
    }

    /// The first trait of type `T`, for a component rule that depends on it.
    pub fn first<T: CheckedTrait + 'static>(&self) -> Option<&T> {
        self.iter().find_map(|t| t.as_any().downcast_ref::<T>())
    }

    /// Adds every trait's part to the service's plan, in the order written.
    pub fn plan(&self, service: &mut ServicePlan) {
        for t in self.iter() {
            t.plan(service);
        }
    }
}

/// Host and path of every ingress route in the Application, for conflicts across components.
pub(crate) type Routes = BTreeMap<(String, String), String>;

/// The component whose traits are checked.
pub(crate) struct Host<'a> {
    pub index: usize,
    pub component: &'a Component,
    pub port: Option<u32>,
    /// The app's container name, when it is readable.
    pub container: Option<String>,
}

pub(crate) fn check_traits(
    ctx: &mut DocContext,
    of: Host<'_>,
    broken: &Broken,
    routes: &mut Routes,
) -> CheckedTraits {
    let component = of.component;
    let mut out = Vec::new();
    let mut claims = Claims {
        routes: std::mem::take(routes),
        ..Claims::default()
    };
    if let Some(container) = of.container {
        claims.containers.insert(container, None);
    }
    // Which trait filled each slot, for the conflict's message.
    let mut slots: BTreeMap<Slot, (usize, &str)> = BTreeMap::new();
    for (t, tr) in component.traits.iter().enumerate() {
        let base = path!["spec", "components", of.index, "traits", t];
        let Some(def) = defs::trait_definition(&tr.type_) else {
            let at = base.join(&path!["type"]);
            defs::unknown_type(ctx, &at, defs::TypeOf::Trait(&component.name), &tr.type_);
            continue;
        };
        // A part the schema refused is reported there; the rules skip it.
        let props_at = base.join(&path!["properties"]);
        if !broken.intact(&props_at) {
            continue;
        }
        if let Some(slot) = def.slot()
            && let Some((first, first_name)) = slots.insert(slot, (t, def.name()))
        {
            let (message, help) = slot.conflict(def.name(), first_name, first, &component.name);
            ctx.error(Code::TraitConflict, &base.join(&path!["type"]), message)
                .help = Some(help.into());
            continue;
        }
        // Absent, it is refused by the schema (known types require it).
        let props = tr.properties.as_ref().unwrap_or(&Value::Null);
        let mut site = Site {
            ctx,
            index: t,
            base,
            props_at,
            component,
            port: of.port,
            claims: &mut claims,
        };
        if let Some(checked) = def.check(&mut site, props) {
            out.push(checked);
        }
    }
    for (at, name) in &claims.volume_uses {
        if !claims.volumes.contains_key(name) {
            let declared: Vec<&str> = claims.volumes.keys().map(String::as_str).collect();
            let help = crate::check::did_you_mean(name, declared.iter().copied())
                .unwrap_or_else(|| "declare it in a storage trait of this component".to_owned());
            ctx.error(
                Code::UnknownVolume,
                at,
                format!(
                    "no storage trait of component `{}` declares the volume `{name}`",
                    component.name
                ),
            )
            .help = Some(help);
        }
    }
    check_utilization(ctx, component, &claims);
    *routes = claims.routes;
    CheckedTraits(out)
}

/// A `Utilization` target is a share of the pods' requests, summed over
/// every container: one container without a request for the resource and
/// the replica calculator fails with "missing request for cpu" and the HPA
/// never scales (Kubernetes `pkg/controller/podautoscaler/
/// replica_calculator.go`, `GetResourceReplicas`, through
/// `metricsclient.GetResourceUtilizationRatio` and `calculatePodRequests`).
/// A request defaults to the limit when only a limit is set (core/v1
/// `SetDefaults_ResourceRequirements`); the sidecar trait sets neither.
fn check_utilization(ctx: &mut DocContext, component: &Component, claims: &Claims) {
    let props = component.properties.as_ref();
    for (at, resource) in &claims.utilization {
        let requested = ["requests", "limits"].iter().any(|kind| {
            props
                .and_then(|p| p.pointer(&format!("/resources/{kind}/{resource}")))
                .is_some_and(|v| !v.is_null())
        });
        let mut missing: Vec<String> = Vec::new();
        if !requested {
            missing.push(format!(
                "the app's container (component `{}`)",
                component.name
            ));
        }
        missing.extend(
            claims
                .containers
                .iter()
                .filter(|(_, by)| by.is_some())
                .map(|(name, _)| format!("sidecar `{name}`")),
        );
        if missing.is_empty() {
            continue;
        }
        let help = if requested {
            format!(
                "the sidecar trait sets no resources: target an AverageValue of {resource} instead (hpa: `{}: {{type: AverageValue, value: …}}`)",
                if *resource == "cpu" { "cpu" } else { "mem" }
            )
        } else {
            format!("set resources.requests.{resource} on the component, or target an AverageValue")
        };
        ctx.error(
            Code::HpaRequests,
            at,
            format!(
                "a {resource} Utilization target is a percentage of every container's request, and {} {} no {resource}: the autoscaler never scales",
                missing.join(" and "),
                if missing.len() > 1 { "request" } else { "requests" }
            ),
        )
        .help = Some(help);
    }
}

/// The JSON Schema of `T`, for a trait whose properties are one Rust type.
pub(crate) fn schema_of<T: schemars::JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}
