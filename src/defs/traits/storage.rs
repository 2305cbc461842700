//! KubeVela's `storage` trait: volumes mounted into the pods, and a
//! PersistentVolumeClaim per claim it does not only mount.

use super::{CheckedTrait, Site, TraitDefinition, schema_of};
use crate::check::{DocContext, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::plan::{PvcPlan, ServicePlan, VolumeMountPlan, VolumePlan};
use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `storage` trait.
pub struct StorageTrait;

impl TraitDefinition for StorageTrait {
    fn name(&self) -> &'static str {
        "storage"
    }
    fn properties(&self) -> &'static str {
        "`pvc`, `configMap`, `secret`, `emptyDir` lists: `name`, `mountPath`, `subPath`, `readOnly`; pvc: `claimName`, `mountOnly`, `storageClassName`, `accessModes = [ReadWriteOnce]` (KubeVela's default; oamc renders a claim only with `ReadWriteMany` or `ReadOnlyMany`, which a rollout's pods on two nodes can mount), `size = 8Gi`; configMap/secret: `cmName`/`secretName`, `defaultMode`; emptyDir: `medium`"
    }
    fn renders(&self) -> &'static str {
        "volumes and mounts in the Rollout's pod template; a PersistentVolumeClaim per pvc entry without `mountOnly`"
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<Storage>(generator)
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let storage = site.typed::<Storage>(props)?;
        let claims = &mut *site.claims;
        check_storage(
            site.ctx,
            &site.props_at,
            &storage,
            &mut claims.volumes,
            &mut claims.mounts,
        );
        Some(Arc::new(storage))
    }
}

/// KubeVela's `storage` trait: volumes mounted into the pods.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "storage trait properties")]
pub struct Storage {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pvc: Vec<PvcVolume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_map: Vec<ConfigMapVolume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret: Vec<SecretVolume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empty_dir: Vec<EmptyDirVolume>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PvcVolume {
    /// Volume name (and claim name unless `claimName` is set).
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_name: Option<String>,
    /// Mount an existing claim instead of rendering a PersistentVolumeClaim.
    #[serde(default)]
    pub mount_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    #[serde(default = "defaults::access_modes")]
    pub access_modes: Vec<AccessMode>,
    /// Requested size.
    #[serde(default = "defaults::storage_size")]
    pub size: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum AccessMode {
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

impl AccessMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMapVolume {
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// The ConfigMap (default: `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cm_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 511))]
    pub default_mode: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretVolume {
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// The Secret (default: `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 511))]
    pub default_mode: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmptyDirVolume {
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    /// `Memory` for a tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
}

/// Upstream's defaults, named so the schema and the docs can show them.
pub mod defaults {
    pub fn access_modes() -> Vec<super::AccessMode> {
        vec![super::AccessMode::ReadWriteOnce]
    }
    pub fn storage_size() -> String {
        "8Gi".into()
    }
}

fn check_storage(
    ctx: &mut DocContext,
    at: &DocPath,
    s: &Storage,
    volumes: &mut BTreeMap<String, usize>,
    mounts: &mut BTreeMap<String, usize>,
) {
    check_references(ctx, at, s);
    check_claims(ctx, at, s);
    check_mounts(ctx, at, s, volumes, mounts);
}

/// The objects the volumes name (claims, ConfigMaps, Secrets, classes).
fn check_references(ctx: &mut DocContext, at: &DocPath, s: &Storage) {
    // The objects the volumes refer to are named by the user and reach the
    // cluster (and, for a claim oamc renders, a file name in the output).
    let references =
        s.pvc
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some(("pvc", i, "claimName", v.claim_name.as_ref()?)))
            .chain(
                s.config_map
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| Some(("configMap", i, "cmName", v.cm_name.as_ref()?))),
            )
            .chain(
                s.secret.iter().enumerate().filter_map(|(i, v)| {
                    Some(("secret", i, "secretName", v.secret_name.as_ref()?))
                }),
            )
            .chain(s.pvc.iter().enumerate().filter_map(|(i, v)| {
                Some(("pvc", i, "storageClassName", v.storage_class_name.as_ref()?))
            }));
    for (kind, i, field, name) in references {
        if let Err(why) = syntax::dns1123_subdomain(name) {
            ctx.error(
                Code::Name,
                &at.key(kind).index(i).key(field),
                format!("{field} `{}` {why}", crate::text::shown(name)),
            )
            .help = Some("Kubernetes object names are DNS-1123 subdomains".into());
        }
    }
}

/// The claims oamc renders: shared access, and a size.
fn check_claims(ctx: &mut DocContext, at: &DocPath, s: &Storage) {
    // A Rollout runs the old and the new pods side by side, on any node.
    // A ReadWriteOnce volume attaches to one node: a pod elsewhere waits in
    // ContainerCreating (Kubernetes `pkg/controller/volume/attachdetach/
    // reconciler`, Multi-Attach); ReadWriteOncePod admits one pod (scheduler
    // plugin `volumerestrictions`). Until the progress deadline aborts.
    for (i, v) in s.pvc.iter().enumerate() {
        let shared = v
            .access_modes
            .iter()
            .any(|m| matches!(m, AccessMode::ReadWriteMany | AccessMode::ReadOnlyMany));
        if !v.mount_only && !shared {
            let modes: Vec<&str> = v.access_modes.iter().map(|m| m.as_str()).collect();
            ctx.error(
                Code::StorageAccessMode,
                &at.key("pvc").index(i).key("accessModes"),
                format!(
                    "claim `{}` is {}: a pod of the canary or another replica on a second node cannot mount it, and the rollout stalls until its progress deadline",
                    v.name,
                    if modes.is_empty() { "without an access mode".to_owned() } else { modes.join(", ") }
                ),
            )
            .help = Some("set accessModes: [ReadWriteMany] with a storage class that provides it (EFS, NFS, CephFS), or use an emptyDir for a per-pod cache".into());
        }
    }
    // A claim oamc renders asks for a positive size (kubernetes
    // `ValidatePersistentVolumeClaimSpec`: `ValidatePositiveQuantityValue`).
    for (i, v) in s.pvc.iter().enumerate().filter(|(_, v)| !v.mount_only) {
        let why = match crate::check::quantity::parse(&v.size) {
            Ok(q) if q > crate::check::quantity::Quantity::ZERO => None,
            Ok(_) => Some("must be greater than zero".to_owned()),
            Err(why) => Some(why.to_string()),
        };
        if let Some(why) = why {
            ctx.error(
                Code::StorageSize,
                &at.key("pvc").index(i).key("size"),
                format!("size `{}` {why}", crate::text::shown(&v.size)),
            )
            .help = Some("e.g. `8Gi`".into());
        }
    }
}

/// Each volume's name and mount: valid, and each once.
fn check_mounts(
    ctx: &mut DocContext,
    at: &DocPath,
    s: &Storage,
    volumes: &mut BTreeMap<String, usize>,
    mounts: &mut BTreeMap<String, usize>,
) {
    let entries = s
        .pvc
        .iter()
        .enumerate()
        .map(|(i, v)| ("pvc", i, &v.name, &v.mount_path, &v.sub_path))
        .chain(
            s.config_map
                .iter()
                .enumerate()
                .map(|(i, v)| ("configMap", i, &v.name, &v.mount_path, &v.sub_path)),
        )
        .chain(
            s.secret
                .iter()
                .enumerate()
                .map(|(i, v)| ("secret", i, &v.name, &v.mount_path, &v.sub_path)),
        )
        .chain(
            s.empty_dir
                .iter()
                .enumerate()
                .map(|(i, v)| ("emptyDir", i, &v.name, &v.mount_path, &v.sub_path)),
        );
    for (kind, i, name, mount, sub_path) in entries {
        let here = |field: &str| at.key(kind).index(i).key(field);
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
        // A subPath stays inside the volume: relative, without `..`
        // (kubernetes `pkg/apis/core/validation/validation.go`,
        // `validateLocalDescendingPath`).
        if let Some(sub) = sub_path {
            let why = if sub.starts_with('/') {
                Some("must be a relative path")
            } else if sub.split('/').any(|part| part == "..") {
                Some("must not contain `..`")
            } else {
                None
            };
            if let Some(why) = why {
                ctx.error(
                    Code::MountPath,
                    &here("subPath"),
                    format!(
                        "subPath `{}` {why}: Kubernetes mounts only a path inside the volume",
                        crate::text::shown(sub)
                    ),
                );
            }
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

/// The volumes in the pod, mounted into the app's container, and a claim for
/// each PVC the trait does not only mount.
impl CheckedTrait for Storage {
    fn plan(&self, service: &mut ServicePlan) {
        let mut mounts = Vec::new();
        let mut mount =
            |name: &str, mount_path: &str, sub_path: &Option<String>, read_only: bool| {
                mounts.push(VolumeMountPlan {
                    name: name.to_owned(),
                    mount_path: mount_path.to_owned(),
                    sub_path: sub_path.clone(),
                    read_only,
                })
            };
        let mut volumes = Vec::new();
        for v in &self.pvc {
            let claim = v.claim_name.clone().unwrap_or_else(|| v.name.clone());
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "persistentVolumeClaim",
                source: Some(claim.clone()),
                default_mode: None,
                medium: None,
            });
            mount(&v.name, &v.mount_path, &v.sub_path, v.read_only);
            if !v.mount_only {
                service.persistent_volume_claims.push(PvcPlan {
                    name: claim,
                    access_modes: v.access_modes.iter().map(|m| m.as_str()).collect(),
                    storage_class_name: v.storage_class_name.clone(),
                    size: v.size.clone(),
                });
            }
        }
        for v in &self.config_map {
            let source = v.cm_name.clone().unwrap_or_else(|| v.name.clone());
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "configMap",
                source: Some(source),
                default_mode: v.default_mode,
                medium: None,
            });
            mount(&v.name, &v.mount_path, &v.sub_path, v.read_only);
        }
        for v in &self.secret {
            let source = v.secret_name.clone().unwrap_or_else(|| v.name.clone());
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "secret",
                source: Some(source),
                default_mode: v.default_mode,
                medium: None,
            });
            mount(&v.name, &v.mount_path, &v.sub_path, v.read_only);
        }
        for v in &self.empty_dir {
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "emptyDir",
                source: None,
                default_mode: None,
                medium: v.medium.clone(),
            });
            mount(&v.name, &v.mount_path, &v.sub_path, false);
        }
        service.volumes.extend(volumes);
        service
            .container
            .volume_mounts
            .extend(mounts.iter().cloned());
        service.volume_mounts.extend(mounts);
    }
}
