//! `path-based-ingress` (NGINX) and `appingress` (AWS Load Balancer
//! Controller): an Ingress `<name>` routing to the component's all-pods
//! Service, on a port that Service has.

use super::{CheckedTrait, Routes, Site, Slot, TraitDefinition, schema_of};
use crate::check::{DocContext, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::model::Component;
use crate::names;
use crate::path;
use crate::plan::{IngressPathPlan, IngressPlan, ServicePlan, StrategyPlan};
use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `path-based-ingress` trait.
pub struct PathBasedIngressTrait;

impl TraitDefinition for PathBasedIngressTrait {
    fn name(&self) -> &'static str {
        "path-based-ingress"
    }
    fn properties(&self) -> &'static str {
        "`domain`, `http: {path: port}`, `class = nginx`, `rewritePath = true`"
    }
    fn renders(&self) -> &'static str {
        "an NGINX Ingress `<name>`: regex paths `<path>(/\\|$)(.*)` rewritten to `/$2`"
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<PathBasedIngress>(generator)
    }
    fn slot(&self) -> Option<Slot> {
        Some(Slot::Ingress)
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let ingress = Ingress::Nginx(site.typed(props)?);
        check(site, ingress)
    }
}

/// The `appingress` trait.
pub struct AppIngressTrait;

impl TraitDefinition for AppIngressTrait {
    fn name(&self) -> &'static str {
        "appingress"
    }
    fn properties(&self) -> &'static str {
        "`domain`, `http: {path: port}`, `class = alb`, `targetType = ip`, `type = internet-facing\\|internal`"
    }
    fn renders(&self) -> &'static str {
        "an AWS Load Balancer Controller Ingress `<name>`"
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<AppIngress>(generator)
    }
    fn slot(&self) -> Option<Slot> {
        Some(Slot::Ingress)
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let ingress = Ingress::Alb(site.typed(props)?);
        check(site, ingress)
    }
}

fn check(site: &mut Site<'_, '_>, ingress: Ingress) -> Option<Arc<dyn CheckedTrait>> {
    check_ingress(
        site.ctx,
        &site.props_at,
        site.component,
        &ingress,
        site.port,
        &mut site.claims.routes,
    );
    let create_service = match &ingress {
        Ingress::Nginx(i) => i.create_service,
        Ingress::Alb(i) => i.create_service,
    };
    if create_service {
        let d = site.ctx.lenient(
            Code::TraitIgnored,
            &site.props_at.key("createService"),
            format!(
                "oamc always renders the Service `{}`; createService is ignored",
                site.component.name
            ),
        );
        d.help = Some("remove createService".into());
    }
    Some(Arc::new(ingress))
}

impl CheckedTrait for Ingress {
    fn plan(&self, service: &mut ServicePlan) {
        // argo-rollouts v1.9.1 docs/features/traffic-management/alb.md: the
        // backend's port must be `use-annotation`, or the AWS Load Balancer
        // Controller ignores the weights (`utils/ingress/wrapper.go` writes
        // such backends itself). check_router_ingress made the names agree.
        let alb_routed = matches!(self, Ingress::Alb(_))
            && matches!(
                &service.strategy,
                StrategyPlan::Canary { traffic_routing: Some(r), .. } if r.alb.is_some()
            );
        service.ingress = Some(IngressPlan {
            use_annotation: alb_routed,
            ..plan_ingress(&service.name, self)
        });
    }
}

/// `path-based-ingress`: an NGINX Ingress with regex paths rewritten to the app.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "path-based-ingress trait properties")]
pub struct PathBasedIngress {
    /// Host of the rule (a wildcard first label is allowed, e.g. `*.example.com`).
    pub domain: String,
    /// Path prefix → Service port. The port must be the component's `port`.
    pub http: BTreeMap<String, u32>,
    /// IngressClass.
    #[serde(default = "defaults::nginx")]
    pub class: String,
    /// Rewrite `<path>/x` to `/x` before it reaches the app.
    #[serde(default = "defaults::yes")]
    pub rewrite_path: bool,
    /// Upstream's option to create a Service; oamc always renders `<name>`.
    #[serde(default)]
    pub create_service: bool,
}

/// `appingress`: an AWS Load Balancer Controller Ingress.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "appingress trait properties")]
pub struct AppIngress {
    pub domain: String,
    /// Path → Service port. The port must be the component's `port`.
    pub http: BTreeMap<String, u32>,
    #[serde(default = "defaults::alb")]
    pub class: String,
    /// `ip` or `instance`.
    #[serde(default = "defaults::ip")]
    pub target_type: String,
    /// Load balancer scheme.
    #[serde(default, rename = "type")]
    pub scheme: AlbScheme,
    #[serde(default)]
    pub create_service: bool,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AlbScheme {
    #[default]
    InternetFacing,
    Internal,
}

impl AlbScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            AlbScheme::InternetFacing => "internet-facing",
            AlbScheme::Internal => "internal",
        }
    }
}

/// Upstream's defaults, named so the schema and the docs can show them.
pub mod defaults {
    pub fn nginx() -> String {
        "nginx".into()
    }
    pub fn alb() -> String {
        "alb".into()
    }
    pub fn ip() -> String {
        "ip".into()
    }
    pub fn yes() -> bool {
        true
    }
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

fn check_ingress(
    ctx: &mut DocContext,
    at: &DocPath,
    component: &Component,
    ingress: &Ingress,
    port: Option<u32>,
    routes: &mut Routes,
) {
    let (host, paths) = ingress.host_and_paths();
    let bare = host.strip_prefix("*.").unwrap_or(host);
    // An empty domain is a rule without a host: every host (upstream's too).
    if !host.is_empty()
        && let Err(why) = syntax::host_name(bare)
    {
        ctx.error(
            Code::Name,
            &at.join(&path!["domain"]),
            format!("domain `{host}` {why}"),
        );
    }
    // `ingressClassName` names an IngressClass: the API server refuses one
    // that is not a DNS subdomain (kubernetes `pkg/apis/networking/validation`,
    // `ValidateIngressClassName`), an empty one included.
    let class = match ingress {
        Ingress::Nginx(i) => &i.class,
        Ingress::Alb(i) => &i.class,
    };
    if let Err(why) = syntax::dns1123_subdomain(class) {
        ctx.error(
            Code::Name,
            &at.join(&path!["class"]),
            if class.is_empty() {
                format!("the ingress class {why}")
            } else {
                format!("class `{}` {why}", crate::text::shown(class))
            },
        )
        .help =
            Some("the name of an IngressClass (`kubectl get ingressclass`), e.g. `nginx`".into());
    }
    if paths.is_empty() {
        ctx.error(
            Code::TraitNoPaths,
            &at.join(&path!["http"]),
            "http needs at least one path",
        );
    }
    for (path, route_port) in paths {
        let entry = at.key("http").key(path.as_str());
        let checked = match ingress {
            Ingress::Nginx(_) => syntax::nginx_path(path),
            Ingress::Alb(_) => syntax::ingress_prefix_path(path),
        };
        if let Err(why) = checked {
            // At the key, where the path is written.
            let pos = ctx.key_pos(&at.key("http"), path);
            ctx.push_at(Code::AppPath, pos, format!("path `{path}` {why}"));
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

/// The Ingress of an ingress trait: always to the all-pods Service `<name>`, never the preview.
fn plan_ingress(name: &str, ingress: &Ingress) -> IngressPlan {
    let (host, paths) = ingress.host_and_paths();
    let (class, annotations, regex) = match ingress {
        Ingress::Nginx(i) => {
            let mut a = BTreeMap::from([(
                "nginx.ingress.kubernetes.io/use-regex".to_owned(),
                "true".to_owned(),
            )]);
            if i.rewrite_path {
                a.insert(
                    "nginx.ingress.kubernetes.io/rewrite-target".into(),
                    "/$2".into(),
                );
            }
            (i.class.clone(), a, true)
        }
        Ingress::Alb(i) => {
            let a = BTreeMap::from([
                (
                    "alb.ingress.kubernetes.io/target-type".to_owned(),
                    i.target_type.clone(),
                ),
                (
                    "alb.ingress.kubernetes.io/scheme".to_owned(),
                    i.scheme.as_str().to_owned(),
                ),
                (
                    "alb.ingress.kubernetes.io/group.name".to_owned(),
                    i.scheme.as_str().to_owned(),
                ),
            ]);
            (i.class.clone(), a, false)
        }
    };
    IngressPlan {
        name: names::ingress(name),
        class,
        host: host.to_owned(),
        annotations,
        paths: paths
            .iter()
            .map(|(prefix, port)| IngressPathPlan {
                prefix: prefix.clone(),
                // NGINX regex: the prefix, then `/` or the end, then the rest (captured as $2).
                path: if regex {
                    format!("{prefix}(/|$)(.*)")
                } else {
                    prefix.clone()
                },
                port: *port,
            })
            .collect(),
        path_type: if regex {
            "ImplementationSpecific"
        } else {
            "Prefix"
        },
        service: names::service(name),
        use_annotation: false,
    }
}
