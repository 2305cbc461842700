//! The registry of definitions oamc compiles: component, trait and policy
//! types. The schema, the checker's dispatch, its help text and "did you
//! mean", and a test that holds README's trait table to it all read this one
//! list, so a type cannot be known in one place and missing in another.

use crate::model;
use schemars::SchemaGenerator;
use serde_json::{Value, json};

/// Component types oamc compiles.
pub const COMPONENT_TYPES: &[&str] = &[model::APPMOD_SERVICE];

/// Policy types oamc applies.
pub const POLICY_TYPES: &[&str] = &[model::KARGO_PROMOTION];

/// A trait type oamc compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraitKind {
    PathBasedIngress,
    AppIngress,
    Storage,
    Scaler,
    Hpa,
    CpuScaler,
    Labels,
    Annotations,
}

/// One trait definition: its type name, what it renders, its properties' schema.
pub struct TraitDef {
    pub kind: TraitKind,
    pub name: &'static str,
    /// What it renders, in a few words (README's trait table names each type).
    pub renders: &'static str,
    schema: fn(&mut SchemaGenerator) -> Value,
}

fn string_map(_: &mut SchemaGenerator) -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" } })
}

fn schema_of<T: schemars::JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// Every trait oamc compiles, in README's order.
pub const TRAITS: &[TraitDef] = &[
    TraitDef {
        kind: TraitKind::PathBasedIngress,
        name: "path-based-ingress",
        renders: "an NGINX Ingress",
        schema: schema_of::<model::PathBasedIngress>,
    },
    TraitDef {
        kind: TraitKind::AppIngress,
        name: "appingress",
        renders: "an AWS Load Balancer Controller Ingress",
        schema: schema_of::<model::AppIngress>,
    },
    TraitDef {
        kind: TraitKind::Storage,
        name: "storage",
        renders: "volumes, mounts and PersistentVolumeClaims",
        schema: schema_of::<model::Storage>,
    },
    TraitDef {
        kind: TraitKind::Scaler,
        name: "scaler",
        renders: "the Rollout's replicas",
        schema: schema_of::<model::Scaler>,
    },
    TraitDef {
        kind: TraitKind::Hpa,
        name: "hpa",
        renders: "a HorizontalPodAutoscaler on CPU and/or memory",
        schema: schema_of::<model::Hpa>,
    },
    TraitDef {
        kind: TraitKind::CpuScaler,
        name: "cpuscaler",
        renders: "a HorizontalPodAutoscaler on CPU",
        schema: schema_of::<model::CpuScaler>,
    },
    TraitDef {
        kind: TraitKind::Labels,
        name: "labels",
        renders: "labels on every resource of the component",
        schema: string_map,
    },
    TraitDef {
        kind: TraitKind::Annotations,
        name: "annotations",
        renders: "annotations on every resource of the component",
        schema: string_map,
    },
];

impl TraitDef {
    pub fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        (self.schema)(generator)
    }
}

impl TraitKind {
    pub fn from_name(name: &str) -> Option<TraitKind> {
        TRAITS.iter().find(|t| t.name == name).map(|t| t.kind)
    }

    pub fn name(self) -> &'static str {
        TRAITS
            .iter()
            .find(|t| t.kind == self)
            .map_or("", |t| t.name)
    }
}

/// Every trait type name, in registry order.
pub fn trait_names() -> impl Iterator<Item = &'static str> {
    TRAITS.iter().map(|t| t.name)
}

/// The known type an unknown `found` is most likely a typo of: at most two
/// edits away (one for names of four letters or fewer), ignoring case and
/// `-`/`_`, and never `found` itself.
pub fn misspelling_of<'a>(
    found: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let fold = |s: &str| s.to_ascii_lowercase().replace(['-', '_'], "");
    let want = fold(found);
    let allowed = if found.chars().count() <= 4 { 1 } else { 2 };
    known
        .into_iter()
        .filter(|k| *k != found)
        .map(|k| (strsim::damerau_levenshtein(&want, &fold(k)), k))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_recognised_and_other_types_are_not() {
        let traits = || trait_names();
        assert_eq!(
            misspelling_of("path-based-ingres", traits()),
            Some("path-based-ingress")
        );
        assert_eq!(misspelling_of("hpa", traits()), None);
        assert_eq!(misspelling_of("hap", traits()), Some("hpa"));
        assert_eq!(misspelling_of("gateway", traits()), None);
        assert_eq!(misspelling_of("sidecar", traits()), None);
        assert_eq!(
            misspelling_of("appmod-servce", COMPONENT_TYPES.iter().copied()),
            Some("appmod-service")
        );
        assert_eq!(
            misspelling_of("webservice", COMPONENT_TYPES.iter().copied()),
            None
        );
        assert_eq!(
            misspelling_of("AppmodService", COMPONENT_TYPES.iter().copied()),
            Some("appmod-service")
        );
    }

    #[test]
    fn every_kind_has_one_definition() {
        for def in TRAITS {
            assert_eq!(TraitKind::from_name(def.name), Some(def.kind));
            assert_eq!(def.kind.name(), def.name);
        }
        let mut names: Vec<_> = trait_names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TRAITS.len());
    }
}
