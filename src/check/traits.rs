//! Rules for the traits oamc compiles: ingress routes that reach the
//! component's Service, volumes that do not collide, one way of scaling,
//! labels that keep the selector intact.

use super::DocContext;
use super::syntax;
use crate::defs::{self, TraitKind};
use crate::diagnostic::Code;
use crate::dom::Seg;
use crate::model::{
    AppIngress, Component, CpuScaler, Hpa, PathBasedIngress, ResourceTarget, Scaler, Storage,
    TargetType, TextOrNumber,
};
use crate::path;
use std::collections::BTreeMap;

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

#[derive(Debug, Clone)]
pub enum Ingress {
    Nginx(PathBasedIngress),
    Alb(AppIngress),
}

impl Ingress {
    pub fn host_and_paths(&self) -> (&str, &BTreeMap<String, u32>) {
        match self {
            Ingress::Nginx(i) => (&i.domain, &i.http),
            Ingress::Alb(i) => (&i.domain, &i.http),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Autoscaler {
    Hpa(CheckedHpa),
    Cpu(CpuScaler),
}

/// An `hpa` trait with its targets typed.
#[derive(Debug, Clone)]
pub struct CheckedHpa {
    pub min: u32,
    pub max: u32,
    pub cpu: Option<HpaTarget>,
    pub mem: Option<HpaTarget>,
}

/// What an HPA metric aims for: a whole percentage of the requests, or a quantity.
#[derive(Debug, Clone, PartialEq)]
pub enum HpaTarget {
    Utilization(u32),
    AverageValue(String),
}

/// Host and path of every ingress route in the Application, for conflicts across components.
pub(crate) type Routes = BTreeMap<(String, String), String>;

pub(crate) fn check_traits(
    ctx: &mut DocContext,
    i: usize,
    component: &Component,
    port: Option<u32>,
    broken: &super::rules::Broken,
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
        let at = |rest: &[Seg]| -> Vec<Seg> { base.iter().chain(rest).cloned().collect() };
        let Some(kind) = TraitKind::from_name(&tr.type_) else {
            unknown_trait(ctx, &at(&path!["type"]), &tr.type_, &component.name);
            continue;
        };
        // A part the schema refused is reported there; the rules skip it.
        let props_at = at(&path!["properties"]);
        if !broken.intact(&props_at) {
            continue;
        }
        let props = tr.properties.clone().unwrap_or_default();
        let name = kind.name();
        match kind {
            TraitKind::PathBasedIngress | TraitKind::AppIngress => {
                if let Some(first) = ingress_at.replace(t) {
                    ctx.error(
                        Code::TraitConflict,
                        &at(&path!["type"]),
                        format!("a second ingress trait on component `{}` (the first is traits[{first}]); both would be the Ingress `{}`", component.name, component.name),
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
                check_ingress(ctx, &props_at, component, &ingress, port, routes);
                let create_service = match &ingress {
                    Ingress::Nginx(i) => i.create_service,
                    Ingress::Alb(i) => i.create_service,
                };
                if create_service {
                    let d = ctx.lenient(
                        Code::TraitIgnored,
                        &at(&path!["properties", "createService"]),
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
                check_storage(ctx, &props_at, &storage, &mut volumes, &mut mounts);
                out.storage.push(storage);
            }
            TraitKind::Scaler | TraitKind::Hpa | TraitKind::CpuScaler => {
                if let Some((first, first_kind)) = scaling_at.replace((t, name)) {
                    ctx.error(
                        Code::TraitConflict,
                        &at(&path!["type"]),
                        format!("`{name}` and `{first_kind}` (traits[{first}]) both set the replicas of `{}`", component.name),
                    )
                    .help = Some("keep one: scaler for a fixed count, hpa or cpuscaler to autoscale".into());
                    continue;
                }
                match kind {
                    TraitKind::Scaler => out.scaler = ctx.typed::<Scaler>(&props_at, props),
                    TraitKind::Hpa => {
                        if let Some(h) = ctx.typed::<Hpa>(&props_at, props) {
                            out.autoscaler = check_hpa(ctx, &props_at, h).map(Autoscaler::Hpa);
                        }
                    }
                    _ => {
                        if let Some(c) = ctx.typed::<CpuScaler>(&props_at, props) {
                            check_min_max(ctx, &at(&path!["properties", "max"]), c.min, c.max);
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
                for (key, value) in &map {
                    let key_at = at(&[Seg::Key("properties".into()), Seg::Key(key.clone())]);
                    if let Err(why) = qualified_name(key) {
                        ctx.error(
                            Code::Name,
                            &key_at,
                            format!("`{key}` is not a {} key: {why}", name.trim_end_matches('s')),
                        );
                    }
                    if labels {
                        if key == "app" {
                            ctx.error(Code::ReservedLabel, &key_at, "the label `app` is the Rollout's selector; oamc sets it to the component name")
                                .help = Some("choose another key".into());
                        } else if let Err(why) = label_value(value) {
                            ctx.error(Code::Name, &key_at, format!("label value `{value}` {why}"));
                        }
                    }
                }
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
    if let Some(meant) = defs::misspelling_of(found, defs::trait_names()) {
        ctx.error(
            Code::MisspeltType,
            at,
            format!("trait `{found}` on component `{component}` is not a trait oamc compiles"),
        )
        .help = Some(format!("did you mean `{meant}`?"));
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

fn check_hpa(ctx: &mut DocContext, at: &[Seg], h: Hpa) -> Option<CheckedHpa> {
    let here = |rest: &[Seg]| -> Vec<Seg> { at.iter().chain(rest).cloned().collect() };
    check_min_max(ctx, &here(&path!["max"]), h.min, h.max);
    if h.cpu.is_none() && h.mem.is_none() {
        ctx.error(Code::HpaTarget, at, "hpa needs a cpu or mem target");
        return None;
    }
    let mut target = |key: &str, t: Option<ResourceTarget>| -> Result<Option<HpaTarget>, ()> {
        let Some(t) = t else { return Ok(None) };
        let value_at = here(&[Seg::Key(key.into()), Seg::Key("value".into())]);
        let checked = match (t.kind, &t.value) {
            (TargetType::Utilization, TextOrNumber::Number(n)) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| (1..=i32::MAX as u32).contains(v))
                .map(HpaTarget::Utilization),
            (TargetType::Utilization, TextOrNumber::Text(_)) => None,
            (TargetType::AverageValue, v) => {
                let text = v.text();
                syntax::quantity(&text)
                    .is_ok()
                    .then_some(HpaTarget::AverageValue(text))
            }
        };
        match checked {
            Some(c) => Ok(Some(c)),
            None => {
                let (what, example) = match t.kind {
                    TargetType::Utilization => {
                        ("a whole percentage of the pods' requests", "value: 50")
                    }
                    TargetType::AverageValue => ("a Kubernetes quantity", "value: 500m"),
                };
                ctx.error(
                    Code::HpaTarget,
                    &value_at,
                    format!(
                        "{key} target `{}` must be {what} for type {:?}",
                        t.value.text(),
                        t.kind
                    ),
                )
                .help = Some(format!("e.g. {example}"));
                Err(())
            }
        }
    };
    let cpu = target("cpu", h.cpu);
    let mem = target("mem", h.mem);
    Some(CheckedHpa {
        min: h.min,
        max: h.max,
        cpu: cpu.ok()?,
        mem: mem.ok()?,
    })
}

fn check_ingress(
    ctx: &mut DocContext,
    at: &[Seg],
    component: &Component,
    ingress: &Ingress,
    port: Option<u32>,
    routes: &mut Routes,
) {
    let join = |rest: &[Seg]| -> Vec<Seg> { at.iter().chain(rest).cloned().collect() };
    let (host, paths) = ingress.host_and_paths();
    let bare = host.strip_prefix("*.").unwrap_or(host);
    if let Err(why) = syntax::dns1123_subdomain(bare) {
        ctx.error(
            Code::Name,
            &join(&path!["domain"]),
            format!("domain `{host}` {why}"),
        );
    }
    if paths.is_empty() {
        ctx.error(
            Code::TraitNoPaths,
            &join(&path!["http"]),
            "http needs at least one path",
        );
    }
    for (path, route_port) in paths {
        let entry = join(&[Seg::Key("http".into()), Seg::Key(path.clone())]);
        if let Err(why) = syntax::url_path(path) {
            ctx.error(Code::AppPath, &entry, format!("path `{path}` {why}"));
        }
        if let Some(port) = port
            && *route_port != port
        {
            ctx.error(
                Code::TraitPort,
                &entry,
                format!(
                    "port {route_port} is not a port of the Service `{}` (it listens on {port})",
                    component.name
                ),
            )
            .help = Some(format!("route to {port}, the component's `port`"));
        }
        if let Some(other) = routes.insert((host.to_owned(), path.clone()), component.name.clone())
            && other != component.name
        {
            ctx.error(
                Code::TraitConflict,
                &entry,
                format!("`{host}{path}` is already routed to component `{other}`"),
            );
        }
    }
}

fn check_storage(
    ctx: &mut DocContext,
    at: &[Seg],
    s: &Storage,
    volumes: &mut BTreeMap<String, usize>,
    mounts: &mut BTreeMap<String, usize>,
) {
    let entries = s
        .pvc
        .iter()
        .enumerate()
        .map(|(i, v)| ("pvc", i, &v.name, &v.mount_path))
        .chain(
            s.config_map
                .iter()
                .enumerate()
                .map(|(i, v)| ("configMap", i, &v.name, &v.mount_path)),
        )
        .chain(
            s.secret
                .iter()
                .enumerate()
                .map(|(i, v)| ("secret", i, &v.name, &v.mount_path)),
        )
        .chain(
            s.empty_dir
                .iter()
                .enumerate()
                .map(|(i, v)| ("emptyDir", i, &v.name, &v.mount_path)),
        );
    for (kind, i, name, mount) in entries {
        let here = |field: &str| -> Vec<Seg> {
            at.iter()
                .cloned()
                .chain([Seg::Key(kind.into()), Seg::Index(i), Seg::Key(field.into())])
                .collect()
        };
        if let Err(why) = syntax::dns1123_label(name) {
            ctx.error(
                Code::Name,
                &here("name"),
                format!("volume name `{name}` {why}"),
            );
        }
        if volumes.insert(name.clone(), i).is_some() {
            ctx.error(
                Code::TraitConflict,
                &here("name"),
                format!("volume `{name}` is defined twice"),
            );
        }
        if !mount.starts_with('/') {
            ctx.error(
                Code::MountPath,
                &here("mountPath"),
                format!("mountPath `{mount}` must be an absolute path"),
            );
        }
        if mounts.insert(mount.clone(), i).is_some() {
            ctx.error(
                Code::TraitConflict,
                &here("mountPath"),
                format!("two volumes are mounted at `{mount}`"),
            );
        }
    }
}

fn check_min_max(ctx: &mut DocContext, at: &[Seg], min: u32, max: u32) {
    if min > max {
        ctx.error(
            Code::TraitMinMax,
            at,
            format!("max ({max}) is below min ({min})"),
        );
    }
}

/// A Kubernetes label or annotation key: `[prefix/]name`.
fn qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        syntax::dns1123_subdomain(p).map_err(|why| format!("prefix {why}"))?;
    }
    if label_syntax(name) {
        Ok(())
    } else {
        Err(
            "names are 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
                .into(),
        )
    }
}

fn label_value(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    if label_syntax(v) {
        Ok(())
    } else {
        Err(
            "must be at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
                .into(),
        )
    }
}

/// Kubernetes' label grammar (names and values): at most 63 of letters,
/// digits, `-`, `_`, `.`, starting and ending alphanumeric; non-empty.
fn label_syntax(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}
