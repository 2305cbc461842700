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
pub fn manifest(doc: Doc<'_>) -> Result<Manifest, serde_saphyr::SerializeError> {
    let text = |pointer: &str| {
        doc.value
            .pointer(pointer)
            .and_then(crate::readback::Node::as_str)
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
    let texts: Vec<&str> = manifests.into_iter().map(|m| m.yaml.as_str()).collect();
    texts.join(SEPARATOR)
}

const SEPARATOR: &str = "---\n";

/// Manifests as one YAML stream, written piece by piece: printing a large
/// run does not hold a second copy of it.
pub fn write_yaml_stream<'a>(
    manifests: impl IntoIterator<Item = &'a Manifest>,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    for (i, manifest) in manifests.into_iter().enumerate() {
        if i > 0 {
            out.write_all(SEPARATOR.as_bytes())?;
        }
        out.write_all(manifest.yaml.as_bytes())?;
    }
    Ok(())
}

/// The serializer's error is its own type: the value is oamc's (verified
/// JSON), so a refusal is reported as `oamc::verify`, never dropped.
pub fn to_yaml(value: &crate::readback::Node<'_>) -> Result<String, serde_saphyr::SerializeError> {
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        // Multi-line strings (scripts) as literal blocks; long single lines stay on one line.
        prefer_block_scalars: true,
        folded_wrap_chars: usize::MAX,
    };
    // Written into one buffer per thread, reused, and copied out at its
    // size: no string grown step by step, no slack kept until printing.
    thread_local!(static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) });
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        serde_saphyr::to_fmt_writer_with_options(buffer, value, options)?;
        if !buffer.ends_with('\n') {
            buffer.push('\n');
        }
        // Every string holding `##[` was written double-quoted (the
        // serializer of `readback::Node`), where YAML's `\x5B` is `[`: the
        // same value to every reader, and no line GitHub's runner reads as a
        // legacy command. Nothing else of the output holds `#` before `[`.
        if buffer.contains("##[") {
            return Ok(buffer.replace("##[", "##\\x5B"));
        }
        Ok(buffer.as_str().to_owned())
    })
}
