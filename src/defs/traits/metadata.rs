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
        check_map(site.ctx, &site.props_at, self.name(), true, &map);
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
        check_map(site.ctx, &site.props_at, self.name(), false, &map);
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
fn check_map(
    ctx: &mut DocContext,
    at: &DocPath,
    name: &str,
    labels: bool,
    map: &BTreeMap<String, String>,
) {
    for (key, value) in map {
        let key_at = at.key(key.as_str());
        if let Err(why) = qualified_name(key) {
            ctx.error(
                Code::Name,
                &key_at,
                format!("`{key}` is not a {} key: {why}", name.trim_end_matches('s')),
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
            } else if let Err(why) = label_value(value) {
                ctx.error(Code::Name, &key_at, format!("label value `{value}` {why}"));
            }
        }
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
