//! The JSON Schema of an Application as oamc compiles it, generated from the
//! typed model: the envelope, plus the `appmod-service` properties wherever a
//! component has that type.

use crate::model::{APPMOD_SERVICE, Application, AppmodService, KARGO_PROMOTION, KargoPromotion};
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

pub const SCHEMA_ID: &str = "urn:oamc:schema:appmod-service";

pub fn application_schema() -> Value {
    // Draft 7: what editors support best, and a cheaper meta-schema to check at start-up.
    let mut generator = SchemaSettings::draft07().into_generator();
    let props_ref = generator.subschema_for::<AppmodService>();
    let promotion_ref = generator.subschema_for::<KargoPromotion>();
    let trait_schemas: Vec<(&str, Value)> = crate::defs::TRAITS
        .iter()
        .map(|t| (t.name, t.schema(&mut generator)))
        .collect();
    let root = generator.into_root_schema_for::<Application>();
    let mut schema = root.to_value();
    strip_null(&mut schema);
    schema["$id"] = json!(SCHEMA_ID);
    // Typed components: their properties must match the component type's schema.
    schema["definitions"]["Component"]["allOf"] = json!([{
        "if": {
            "properties": { "type": { "const": APPMOD_SERVICE } },
            "required": ["type"]
        },
        "then": {
            "properties": { "properties": props_ref.to_value() },
            "required": ["properties"]
        }
    }]);
    schema["definitions"]["Trait"]["allOf"] = trait_schemas
        .iter()
        .map(|(name, props)| {
            json!({
                "if": { "properties": { "type": { "const": name } }, "required": ["type"] },
                "then": { "properties": { "properties": props }, "required": ["properties"] }
            })
        })
        .collect();
    schema["definitions"]["Policy"]["allOf"] = json!([{
        "if": {
            "properties": { "type": { "const": KARGO_PROMOTION } },
            "required": ["type"]
        },
        "then": {
            "properties": { "properties": promotion_ref.to_value() },
            "required": ["properties"]
        }
    }]);
    schema
}

/// The schema as committed under `schemas/`, compiled into the binary: the
/// same text the types generate (a test holds them equal), without running
/// schemars at every start.
pub fn committed_schema() -> Value {
    serde_json::from_str(include_str!("../schemas/appmod-service.schema.json"))
        .unwrap_or_else(|_| application_schema())
}

/// `null` is never a useful value for an optional property here, and an
/// `anyOf [X, null]` would hide every error inside X behind "matches no schema".
fn strip_null(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get("anyOf") {
                let rest: Vec<Value> = options
                    .iter()
                    .filter(|o| o.get("type").is_none_or(|t| t != "null"))
                    .cloned()
                    .collect();
                if rest.len() == 1 && options.len() == 2 {
                    map.remove("anyOf");
                    if let Value::Object(inner) = &rest[0] {
                        for (k, v) in inner {
                            map.entry(k.clone()).or_insert(v.clone());
                        }
                    }
                }
            }
            map.values_mut().for_each(strip_null);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// The committed, pretty-printed form (`schemas/appmod-service.schema.json`).
pub fn application_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&application_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// Follow a schema path (as jsonschema reports it, through `$ref`s) to the
/// sub-schema it names.
pub fn walk<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut node = root;
    for seg in path {
        node = if seg == "$ref" {
            let target = node.get("$ref")?.as_str()?;
            resolve_local(root, target)?
        } else {
            match node {
                Value::Object(map) => map.get(seg)?,
                Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            }
        };
    }
    Some(node)
}

fn resolve_local<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}
