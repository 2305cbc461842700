//! The traits oamc compiles, one module per family: `ingress`
//! (path-based-ingress, appingress), `storage`, `scaling` (scaler, hpa,
//! cpuscaler), `metadata` (labels, annotations). Each keeps its properties,
//! rules and plan; this module dispatches a component's traits by the
//! registry's [`TraitKind`].

pub mod ingress;
mod metadata;
pub mod scaling;
pub mod storage;

pub use ingress::Ingress;
pub(crate) use ingress::plan_ingress;
pub(crate) use scaling::plan_autoscaler;
pub use scaling::{Autoscaler, CheckedHpa, HpaTarget};
pub(crate) use storage::plan_storage;

use crate::check::{Broken, DocContext};
use crate::defs::{self, TraitKind};
use crate::diagnostic::Code;
use crate::dom::Seg;
use crate::model::Component;
use crate::path;
use ingress::{AppIngress, PathBasedIngress};
use scaling::{CpuScaler, Hpa, Scaler};
use std::collections::BTreeMap;
use storage::Storage;

/// The traits of one component, typed and checked.
#[derive(Debug, Clone, Default)]
pub struct CheckedTraits {
    pub ingress: Option<Ingress>,
    pub storage: Vec<Storage>,
    pub scaler: Option<Scaler>,
    pub autoscaler: Option<Autoscaler>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// Host and path of every ingress route in the Application, for conflicts across components.
pub(crate) type Routes = BTreeMap<(String, String), String>;

pub(crate) fn check_traits(
    ctx: &mut DocContext,
    i: usize,
    component: &Component,
    port: Option<u32>,
    broken: &Broken,
    routes: &mut Routes,
) -> CheckedTraits {
    let mut out = CheckedTraits::default();
    // Which trait set each exclusive slot, for conflict messages.
    let mut ingress_at: Option<usize> = None;
    let mut scaling_at: Option<(usize, &str)> = None;
    let mut volumes: BTreeMap<String, usize> = BTreeMap::new();
    let mut mounts: BTreeMap<String, usize> = BTreeMap::new();

    for (t, tr) in component.traits.iter().enumerate() {
        let base = path!["spec", "components", i, "traits", t];
        let Some(kind) = TraitKind::from_name(&tr.type_) else {
            unknown_trait(ctx, &base.join(&path!["type"]), &tr.type_, &component.name);
            continue;
        };
        // A part the schema refused is reported there; the rules skip it.
        let props_at = base.join(&path!["properties"]);
        if !broken.intact(&props_at) {
            continue;
        }
        // Absent, it is refused by the schema (known types require it).
        let props = tr.properties.as_ref().unwrap_or(&serde_json::Value::Null);
        let name = kind.name();
        match kind {
            TraitKind::PathBasedIngress | TraitKind::AppIngress => {
                if let Some(first) = ingress_at.replace(t) {
                    ctx.error(
                        Code::TraitConflict,
                        &base.join(&path!["type"]),
                        format!("a second ingress trait on component `{}` (the first is traits[{first}]); both would be the Ingress `{}`", component.name, crate::names::ingress(&component.name)),
                    )
                    .help = Some("put every path into one trait's `http`".into());
                    continue;
                }
                let ingress = if kind == TraitKind::PathBasedIngress {
                    ctx.typed::<PathBasedIngress>(&props_at, props)
                        .map(Ingress::Nginx)
                } else {
                    ctx.typed::<AppIngress>(&props_at, props).map(Ingress::Alb)
                };
                let Some(ingress) = ingress else { continue };
                ingress::check_ingress(ctx, &props_at, component, &ingress, port, routes);
                let create_service = match &ingress {
                    Ingress::Nginx(i) => i.create_service,
                    Ingress::Alb(i) => i.create_service,
                };
                if create_service {
                    let d = ctx.lenient(
                        Code::TraitIgnored,
                        &base.join(&path!["properties", "createService"]),
                        format!(
                            "oamc always renders the Service `{}`; createService is ignored",
                            component.name
                        ),
                    );
                    d.help = Some("remove createService".into());
                }
                out.ingress = Some(ingress);
            }
            TraitKind::Storage => {
                let Some(storage) = ctx.typed::<Storage>(&props_at, props) else {
                    continue;
                };
                storage::check_storage(ctx, &props_at, &storage, &mut volumes, &mut mounts);
                out.storage.push(storage);
            }
            TraitKind::Scaler | TraitKind::Hpa | TraitKind::CpuScaler => {
                if let Some((first, first_kind)) = scaling_at.replace((t, name)) {
                    ctx.error(
                        Code::TraitConflict,
                        &base.join(&path!["type"]),
                        format!("`{name}` and `{first_kind}` (traits[{first}]) both set the replicas of `{}`", component.name),
                    )
                    .help = Some("keep one: scaler for a fixed count, hpa or cpuscaler to autoscale".into());
                    continue;
                }
                match kind {
                    TraitKind::Scaler => out.scaler = ctx.typed::<Scaler>(&props_at, props),
                    TraitKind::Hpa => {
                        if let Some(h) = ctx.typed::<Hpa>(&props_at, props) {
                            out.autoscaler =
                                scaling::check_hpa(ctx, &props_at, h).map(Autoscaler::Hpa);
                        }
                    }
                    _ => {
                        if let Some(c) = ctx.typed::<CpuScaler>(&props_at, props) {
                            scaling::check_min_max(
                                ctx,
                                &base.join(&path!["properties", "max"]),
                                c.min,
                                c.max,
                            );
                            out.autoscaler = Some(Autoscaler::Cpu(c));
                        }
                    }
                }
            }
            TraitKind::Labels | TraitKind::Annotations => {
                let Some(map) = ctx.typed::<BTreeMap<String, String>>(&props_at, props) else {
                    continue;
                };
                let labels = kind == TraitKind::Labels;
                metadata::check_map(ctx, &base, name, labels, &map);
                if labels {
                    out.labels.extend(map);
                } else {
                    out.annotations.extend(map);
                }
            }
        }
    }
    out
}

/// A trait type oamc does not compile: a typo of one it does is an error,
/// anything else a warning (an error with `--strict`).
fn unknown_trait(ctx: &mut DocContext, at: &[Seg], found: &str, component: &str) {
    if let Some(help) = crate::check::did_you_mean(found, defs::trait_names()) {
        ctx.error(
            Code::MisspeltType,
            at,
            format!("trait `{found}` on component `{component}` is not a trait oamc compiles"),
        )
        .help = Some(help);
        return;
    }
    ctx.lenient(
        Code::UnknownTrait,
        at,
        format!("trait `{found}` on component `{component}` is not supported by oamc; it is not rendered"),
    )
    .help = Some(format!(
        "oamc compiles {}; use --strict to make this an error",
        defs::trait_names().collect::<Vec<_>>().join(", ")
    ));
}
