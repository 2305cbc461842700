//! `labels` and `annotations`: string maps added to the metadata of every
//! resource of the component and to its pod template.

use super::{CheckedTrait, Site, TraitDefinition};
use crate::check::{DocContext, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::plan::ServicePlan;
use schemars::SchemaGenerator;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `labels` trait.
pub struct LabelsTrait;

/// The labels of a `labels` trait, checked.
#[derive(Debug, Clone)]
pub struct Labels(pub BTreeMap<String, String>);

impl TraitDefinition for LabelsTrait {
    fn name(&self) -> &'static str {
        "labels"
    }
    fn properties(&self) -> &'static str {
        "a string map"
    }
    fn renders(&self) -> &'static str {
        "added to the metadata of every resource of the component and to its pod template; not `app`, the selector"
    }
    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        string_map()
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let map = site.typed::<BTreeMap<String, String>>(props)?;
        check_map(site.ctx, &site.props_at, true, &map);
        Some(Arc::new(Labels(map)))
    }
}

/// On every object of the component and its pods; the selector (`app`) is
/// oamc's and refused here, so the order the maps merge in changes nothing.
impl CheckedTrait for Labels {
    fn plan(&self, service: &mut ServicePlan) {
        service.labels.extend(self.0.clone());
        service.pod_labels.extend(self.0.clone());
    }
}

/// The `annotations` trait.
pub struct AnnotationsTrait;

/// The annotations of an `annotations` trait, checked.
#[derive(Debug, Clone)]
pub struct Annotations(pub BTreeMap<String, String>);

impl TraitDefinition for AnnotationsTrait {
    fn name(&self) -> &'static str {
        "annotations"
    }
    fn properties(&self) -> &'static str {
        "a string map"
    }
    fn renders(&self) -> &'static str {
        "added to the metadata of every resource of the component and to its pod template"
    }
    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        string_map()
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let map = site.typed::<BTreeMap<String, String>>(props)?;
        check_map(site.ctx, &site.props_at, false, &map);
        Some(Arc::new(Annotations(map)))
    }
}

impl CheckedTrait for Annotations {
    fn plan(&self, service: &mut ServicePlan) {
        service.annotations.extend(self.0.clone());
    }
}

fn string_map() -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" } })
}

/// The keys (and, for labels, the values) of a `labels` or `annotations`
/// trait whose properties are at `at`; the label `app` is the selector's.
const ANNOTATIONS_LIMIT: usize = 256 * 1024;

fn check_map(ctx: &mut DocContext, at: &DocPath, labels: bool, map: &BTreeMap<String, String>) {
    // The API server refuses an object whose annotations, keys and values,
    // total more than 256 KiB (apimachinery `pkg/api/validation/objectmeta.go`,
    // `ValidateAnnotationsSize`, `TotalAnnotationSizeLimitB`).
    let total: usize = map.iter().map(|(k, v)| k.len() + v.len()).sum();
    if !labels && total > ANNOTATIONS_LIMIT {
        ctx.error(
            Code::Name,
            at,
            format!("the annotations total {total} bytes; Kubernetes takes at most {ANNOTATIONS_LIMIT} on an object"),
        )
        .help = Some("keep large data in a ConfigMap and name it in an annotation".into());
    }
    for (key, value) in map {
        let key_at = at.key(key.as_str());
        if let Err(why) = syntax::qualified_name(key) {
            ctx.error(
                Code::Name,
                &key_at,
                format!(
                    "`{key}` is not {} key: {why}",
                    if labels { "a label" } else { "an annotation" }
                ),
            );
        }
        if labels {
            if key == "app" {
                ctx.error(
                    Code::ReservedLabel,
                    &key_at,
                    "the label `app` is the Rollout's selector; oamc sets it to the component name",
                )
                .help = Some("choose another key".into());
            } else if let Err(why) = syntax::label_value(value) {
                ctx.error(Code::Name, &key_at, format!("label value `{value}` {why}"));
            }
        }
    }
}
