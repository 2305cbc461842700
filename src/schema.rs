//! The JSON Schema of an Application as oamc compiles it, generated from the
//! typed model: the envelope, plus the `appmod-service` properties wherever a
//! component has that type.

use crate::defs::appmod::{APPMOD_SERVICE, AppmodService};
use crate::defs::promotion::{KARGO_PROMOTION, KargoPromotion};
use crate::model::Application;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// Where this release's schema is published: the committed file at the
/// release tag, so a modeline pinned to it works from any repository.
pub const SCHEMA_ID: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/raw/v",
    env!("CARGO_PKG_VERSION"),
    "/schemas/appmod-service.schema.json"
);

/// One or more Go duration parts: a number (`5`, `5.`, `.5`, `5.5`) and a unit.
const GO_PARTS: &str = "(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|\u{b5}s|\u{3bc}s|ms|s|m|h))+";

/// A DNS-1123 label: lowercase letters, digits and `-`, at most 63.
const LABEL: &str = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
const ANY_LABEL: &str = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?";

/// The string formats oamc checks (`x-oamc-format` in the schema), as JSON
/// Schema keywords, so editors and other validators refuse what oamc
/// refuses: a `pattern`, and a `maxLength` where a pattern cannot count.
/// Each accepts exactly what its rule in `check::syntax` accepts
/// (`tests/it/schema_formats.rs` holds them together); the rule's diagnostic,
/// not the schema's, is what oamc reports.
pub fn format_keywords(format: &str) -> Option<(String, Option<u32>)> {
    let path = "[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?";
    // A first component followed by `/` and holding a `.` or `:` is a registry.
    let first = "[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?";
    let host = "(?:[A-Za-z0-9.-]*\\.[A-Za-z0-9.-]*(?::[0-9]+)?|[A-Za-z0-9.-]+:[0-9]+|localhost)";
    let tag = ":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    let digest = "@[a-z0-9+._-]+:[0-9A-Fa-f]{32,}";
    Some(match format {
        // Go's `time.ParseDuration` without a `-` (oamc refuses negatives);
        // a pause also a bare count of seconds (Argo's `strconv.ParseInt`
        // first); Kargo's CRD pattern. Range (292 years, 2^31 seconds) is
        // the rule's: a pattern cannot count.
        "duration" => (format!("^\\+?(?:0|{GO_PARTS})$"), None),
        "pause" => (format!("^\\+?(?:[0-9]+|{GO_PARTS})$"), None),
        "kargo-interval" => ("^(?:[0-9]+(?:\\.[0-9]+)?[smh])+$".to_owned(), None),
        // Units from the largest down, each at most once, up to six digits; never zero in total.
        "promql-duration" => (
            "^(?=.*[1-9])(?:[0-9]{1,6}y)?(?:[0-9]{1,6}w)?(?:[0-9]{1,6}d)?(?:[0-9]{1,6}h)?(?:[0-9]{1,6}m)?(?:[0-9]{1,6}s)?(?:[0-9]{1,6}ms)?$".to_owned(),
            None,
        ),
        "metric-name" => ("^[a-zA-Z_:][a-zA-Z0-9_:]*$".to_owned(), None),
        "url-path" => ("^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$".to_owned(), None),
        "app-path" => ("^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$".to_owned(), None),
        "dns1123-label" => (format!("^{LABEL}$"), None),
        // Kubernetes counts the whole name only, not each label.
        "dns1123-subdomain" => (format!("^{ANY_LABEL}(?:\\.{ANY_LABEL})*$"), Some(253)),
        "image" => (
            format!(
                "^(?:{host}/{path}(?:/{path})*|{first}(?:/{path})+|{path})(?:{tag}(?:{digest})?|{digest})$"
            ),
            None,
        ),
        _ => return None,
    })
}

pub fn application_schema() -> Value {
    // Draft 7: what editors support best, and a cheaper meta-schema to check at start-up.
    let mut generator = SchemaSettings::draft07().into_generator();
    let props_ref = generator.subschema_for::<AppmodService>();
    let promotion_ref = generator.subschema_for::<KargoPromotion>();
    let trait_schemas: Vec<(&str, Value)> = crate::defs::TRAITS
        .iter()
        .map(|t| (t.name(), t.schema(&mut generator)))
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

/// A `pattern` (and `maxLength`) beside every `x-oamc-format` oamc knows.
fn add_patterns(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let keywords = map
                .get("x-oamc-format")
                .and_then(Value::as_str)
                .and_then(format_keywords);
            if let Some((pattern, max_length)) = keywords {
                map.insert("pattern".into(), Value::String(pattern));
                if let Some(max) = max_length {
                    map.insert("maxLength".into(), max.into());
                }
            }
            map.values_mut().for_each(add_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(add_patterns),
        _ => {}
    }
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

/// The schema for editors and other validators: the checker's, plus a
/// pattern for each format. oamc's checker does without them: its rules
/// check the same formats and say why, and compiling the patterns would cost
/// every run about a millisecond.
pub fn editor_schema() -> Value {
    let mut schema = application_schema();
    add_patterns(&mut schema);
    schema
}

/// The committed, pretty-printed editor form (`schemas/appmod-service.schema.json`).
pub fn application_schema_text() -> String {
    pretty(&editor_schema())
}

/// The checker's form, compiled into the binary (`src/driver/application.schema.json`).
pub fn checker_schema_text() -> String {
    pretty(&application_schema())
}

/// Pretty JSON through `Value`'s own `Display` (`{:#}`), which cannot fail:
/// no empty schema can be printed in place of an error.
fn pretty(schema: &Value) -> String {
    format!("{schema:#}\n")
}

#[cfg(test)]
mod tests {
    /// The checker's committed form is what the types generate
    /// (`OAMC_BLESS=1 cargo test --lib` rewrites it).
    #[test]
    fn the_checker_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/driver/application.schema.json"
        );
        let generated = super::checker_schema_text();
        if std::env::var_os("OAMC_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            std::fs::read_to_string(path).unwrap() == generated,
            "src/driver/application.schema.json is stale: OAMC_BLESS=1 cargo test --lib"
        );
    }
}
