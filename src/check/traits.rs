//! Rules for the traits oamc compiles: ingress routes that reach the
//! component's Service, volumes that do not collide, one way of scaling,
//! labels that keep the selector intact.

use super::DocContext;
use super::syntax;
use crate::diagnostic::Code;
use crate::dom::Seg;
use crate::model::{
    AppIngress, Component, CpuScaler, Hpa, PathBasedIngress, Scaler, Storage, traits,
};
use crate::path;
use serde::de::DeserializeOwned;
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
    Hpa(Hpa),
    Cpu(CpuScaler),
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
        let props = |ctx: &DocContext| -> Option<serde_json::Value> {
            let _ = ctx;
            broken
                .intact(&at(&path!["properties"]))
                .then(|| tr.properties.clone().unwrap_or_default())
        };
        fn typed<T: DeserializeOwned>(v: Option<serde_json::Value>) -> Option<T> {
            serde_json::from_value(v?).ok()
        }
        let kind = tr.type_.as_str();
        match kind {
            traits::PATH_BASED_INGRESS | traits::APPINGRESS => {
                if let Some(first) = ingress_at.replace(t) {
                    ctx.error(
                        Code::TraitConflict,
                        &at(&path!["type"]),
                        format!("a second ingress trait on component `{}` (the first is traits[{first}]); both would be the Ingress `{}`", component.name, component.name),
                    )
                    .help = Some("put every path into one trait's `http`".into());
                    continue;
                }
                let ingress = if kind == traits::PATH_BASED_INGRESS {
                    typed::<PathBasedIngress>(props(ctx)).map(Ingress::Nginx)
                } else {
                    typed::<AppIngress>(props(ctx)).map(Ingress::Alb)
                };
                let Some(ingress) = ingress else { continue };
                check_ingress(
                    ctx,
                    &at(&path!["properties"]),
                    component,
                    &ingress,
                    port,
                    routes,
                );
                let create_service = match &ingress {
                    Ingress::Nginx(i) => i.create_service,
                    Ingress::Alb(i) => i.create_service,
                };
                if create_service {
                    let d = ctx.lenient(
                        Code::TraitConflict,
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
            traits::STORAGE => {
                let Some(storage) = typed::<Storage>(props(ctx)) else {
                    continue;
                };
                check_storage(
                    ctx,
                    &at(&path!["properties"]),
                    &storage,
                    &mut volumes,
                    &mut mounts,
                );
                out.storage.push(storage);
            }
            traits::SCALER | traits::HPA | traits::CPUSCALER => {
                if let Some((first, first_kind)) = scaling_at.replace((t, kind)) {
                    ctx.error(
                        Code::TraitConflict,
                        &at(&path!["type"]),
                        format!("`{kind}` and `{first_kind}` (traits[{first}]) both set the replicas of `{}`", component.name),
                    )
                    .help = Some("keep one: scaler for a fixed count, hpa or cpuscaler to autoscale".into());
                    continue;
                }
                match kind {
                    traits::SCALER => out.scaler = typed::<Scaler>(props(ctx)),
                    traits::HPA => {
                        if let Some(h) = typed::<Hpa>(props(ctx)) {
                            check_min_max(ctx, &at(&path!["properties", "max"]), h.min, h.max);
                            if h.cpu.is_none() && h.mem.is_none() {
                                ctx.error(
                                    Code::TraitConflict,
                                    &at(&path!["properties"]),
                                    "hpa needs a cpu or mem target",
                                );
                            }
                            out.autoscaler = Some(Autoscaler::Hpa(h));
                        }
                    }
                    _ => {
                        if let Some(c) = typed::<CpuScaler>(props(ctx)) {
                            check_min_max(ctx, &at(&path!["properties", "max"]), c.min, c.max);
                            out.autoscaler = Some(Autoscaler::Cpu(c));
                        }
                    }
                }
            }
            traits::LABELS | traits::ANNOTATIONS => {
                let Some(map) = typed::<BTreeMap<String, String>>(props(ctx)) else {
                    continue;
                };
                for (key, value) in &map {
                    let key_at = at(&[Seg::Key("properties".into()), Seg::Key(key.clone())]);
                    if let Err(why) = qualified_name(key) {
                        ctx.error(
                            Code::Name,
                            &key_at,
                            format!("`{key}` is not a {} key: {why}", kind.trim_end_matches('s')),
                        );
                    }
                    if kind == traits::LABELS {
                        if key == "app" {
                            ctx.error(Code::TraitConflict, &key_at, "the label `app` is the Rollout's selector; oamc sets it to the component name")
                                .help = Some("choose another key".into());
                        } else if let Err(why) = label_value(value) {
                            ctx.error(Code::Name, &key_at, format!("label value `{value}` {why}"));
                        }
                    }
                }
                if kind == traits::LABELS {
                    out.labels.extend(map);
                } else {
                    out.annotations.extend(map);
                }
            }
            _ => {
                ctx.lenient(
                    Code::UnknownTrait,
                    &at(&path!["type"]),
                    format!(
                        "trait `{}` on component `{}` is not supported by oamc; it is not rendered",
                        tr.type_, component.name
                    ),
                )
                .help = Some(format!(
                    "oamc compiles {}; use --strict to make this an error",
                    [
                        traits::PATH_BASED_INGRESS,
                        traits::APPINGRESS,
                        traits::STORAGE,
                        traits::SCALER,
                        traits::HPA,
                        traits::CPUSCALER,
                        traits::LABELS,
                        traits::ANNOTATIONS
                    ]
                    .join(", ")
                ));
            }
        }
    }
    out
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
            Code::TraitConflict,
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
                Code::TraitConflict,
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
                Code::AppPath,
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
            Code::TraitConflict,
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
