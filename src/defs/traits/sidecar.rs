//! `sidecar`: KubeVela's trait of the same name, one more container in every
//! pod of the component (a log shipper, a proxy), sharing the pod's volumes.
//! Its properties are KubeVela v1.9's `sidecar` parameter but `livenessProbe`
//! and `readinessProbe`, and `env` takes `value` only; the schema refuses
//! the rest, so nothing written is dropped.

use super::{CheckedTrait, Site, TraitDefinition, schema_of};
use crate::check::syntax;
use crate::defs::env::EnvVar;
use crate::diagnostic::Code;
use crate::plan::{ServicePlan, SidecarPlan, VolumeMountPlan};
use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `sidecar` trait.
pub struct SidecarTrait;

/// `sidecar`: a container beside the app's in every pod.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sidecar trait properties")]
pub struct Sidecar {
    /// Name of the container; unique among the pod's containers.
    #[schemars(extend("x-oamc-format" = "dns1123-label"))]
    pub name: String,
    /// Container image.
    #[schemars(extend("x-oamc-format" = "image"))]
    pub image: String,
    /// The container's command (the image's entrypoint when absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// Arguments to the command. The kubelet expands `$(VAR)` in `cmd`,
    /// `args` and env values, as for any container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Volumes of the pod (declared by a `storage` trait of the component)
    /// mounted into this container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<SidecarVolume>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SidecarVolume {
    /// A volume a `storage` trait of the component declares.
    pub name: String,
    /// Where it is mounted in this container; absolute.
    pub path: String,
}

impl TraitDefinition for SidecarTrait {
    fn name(&self) -> &'static str {
        "sidecar"
    }
    fn properties(&self) -> &'static str {
        "`name`, `image`, `cmd`, `args`, `env: [{name, value}]`, `volumes: [{name, path}]`"
    }
    fn renders(&self) -> &'static str {
        "a second container in the Rollout's pod template, after the app's; `volumes` mounts volumes a `storage` trait of the component declares"
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<Sidecar>(generator)
    }
    /// Kubernetes' `validateContainers` and `validateVolumeMounts`
    /// (kubernetes v1.33 `pkg/apis/core/validation/validation.go`): a
    /// container name is a DNS-1123 label, unique in the pod; each mount
    /// names a volume of the pod, at a path no other mount of the container uses.
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let sidecar = site.typed::<Sidecar>(props)?;
        let at = &site.props_at;
        let t = site.index;
        if let Err(why) = syntax::dns1123_label(&sidecar.name) {
            site.ctx.error(
                Code::Name,
                &at.key("name"),
                format!("container name `{}` {why}", sidecar.name),
            );
        }
        if let Some(first) = site.claims.containers.insert(sidecar.name.clone(), Some(t)) {
            let first = first.map_or("the component's container (image_name)".to_owned(), |i| {
                format!("the sidecar of traits[{i}]")
            });
            site.ctx
                .error(
                    Code::TraitConflict,
                    &at.key("name"),
                    format!(
                        "the pod already has a container `{}`: {first}",
                        sidecar.name
                    ),
                )
                .help = Some("container names are unique in a pod; rename one".into());
        }
        if let Err(why) = syntax::image_reference(&sidecar.image) {
            site.ctx.error(
                Code::Image,
                &at.key("image"),
                format!("sidecar image `{}` {why}", sidecar.image),
            );
        }
        crate::check::env_names(
            site.ctx,
            &at.key("env"),
            sidecar.env.iter().map(|e| e.name.as_str()),
        );
        let mut paths: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, v) in sidecar.volumes.iter().enumerate() {
            let here = at.key("volumes").index(i);
            site.claims
                .volume_uses
                .push((here.key("name"), v.name.clone()));
            if !v.path.starts_with('/') {
                site.ctx.error(
                    Code::MountPath,
                    &here.key("path"),
                    format!("path `{}` must be an absolute path", v.path),
                );
            }
            if let Some(first) = paths.insert(&v.path, i) {
                site.ctx.error(
                    Code::TraitConflict,
                    &here.key("path"),
                    format!(
                        "two volumes are mounted at `{}` (the first is volumes[{first}])",
                        v.path
                    ),
                );
            }
        }
        Some(Arc::new(sidecar))
    }
}

/// After the app's container, in the order the traits are written.
impl CheckedTrait for Sidecar {
    fn plan(&self, service: &mut ServicePlan) {
        service.sidecars.push(SidecarPlan {
            name: self.name.clone(),
            image: self.image.clone(),
            command: self.cmd.clone(),
            args: self.args.clone(),
            env: self.env.iter().map(EnvVar::plan).collect(),
            volume_mounts: self
                .volumes
                .iter()
                .map(|v| VolumeMountPlan {
                    name: v.name.clone(),
                    mount_path: v.path.clone(),
                    sub_path: None,
                    read_only: false,
                })
                .collect(),
        });
    }
}
