//! Emit: canonical YAML for machines and Git diffs. Key order is the
//! template's, formatting is the serializer's, and strings that YAML 1.1
//! readers (Kubernetes) would take for booleans, numbers or nulls are quoted.

use crate::verify::Doc;

/// One resource as it is written out.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `metadata.namespace`, when the resource sets one.
    pub namespace: Option<String>,
    /// Canonical YAML of the resource, ending in a newline.
    pub yaml: String,
}

/// Emit one verified document. Takes it by value so the parsed tree is
/// freed where it was built (a worker thread), not at the end on the main one.
pub fn manifest(doc: Doc) -> Result<Manifest, serde_saphyr::SerializeError> {
    let text = |pointer: &str| {
        doc.value
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Ok(Manifest {
        yaml: to_yaml(&doc.value)?,
        api_version: text("/apiVersion").unwrap_or_default(),
        namespace: text("/metadata/namespace"),
        kind: doc.kind,
        name: doc.name,
    })
}

/// Manifests as one YAML stream.
pub fn to_yaml_stream<'a>(manifests: impl IntoIterator<Item = &'a Manifest>) -> String {
    let mut out = String::new();
    for (i, manifest) in manifests.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&manifest.yaml);
    }
    out
}

/// The serializer's error is its own type: the value is oamc's (verified
/// JSON), so a refusal is reported as `oamc::verify`, never dropped.
pub fn to_yaml(value: &serde_json::Value) -> Result<String, serde_saphyr::SerializeError> {
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        // Multi-line strings (scripts) as literal blocks; long single lines stay on one line.
        prefer_block_scalars: true,
        folded_wrap_chars: usize::MAX,
    };
    let mut text = serde_saphyr::to_string_with_options(value, options)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
