//! Typed OAM: the KubeVela `Application` envelope. Each definition's own
//! properties live with it under `defs/`; together they are the single source
//! of the JSON Schema (`oamc schema`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const API_VERSION: &str = "core.oam.dev/v1beta1";
pub const KIND: &str = "Application";

/// A KubeVela `core.oam.dev/v1beta1` Application.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "OAM Application (as compiled by oamc)")]
pub struct Application {
    #[schemars(extend("const" = API_VERSION))]
    pub api_version: String,
    #[schemars(extend("const" = KIND))]
    pub kind: String,
    pub metadata: Metadata,
    pub spec: ApplicationSpec,
}

/// The parts of Kubernetes ObjectMeta that oamc reads; other fields are allowed and ignored.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Metadata {
    #[schemars(extend("x-oamc-format" = "dns1123-subdomain"))]
    pub name: String,
    #[schemars(extend("x-oamc-format" = "dns1123-label"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct ApplicationSpec {
    pub components: Vec<Component>,
    /// Application policies; oamc reads the ones it knows and ignores the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
}

/// One OAM component. `properties` are checked against the schema of its `type`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    #[schemars(extend("x-oamc-format" = "dns1123-label"))]
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traits: Vec<Trait>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Trait {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Policy {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

/// A value written either as a string or as a number; oamc uses its text.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum TextOrNumber {
    Text(String),
    Number(serde_json::Number),
}

impl TextOrNumber {
    pub fn text(&self) -> String {
        match self {
            TextOrNumber::Text(s) => s.clone(),
            TextOrNumber::Number(n) => n.to_string(),
        }
    }
}
