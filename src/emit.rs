//! Emit: canonical YAML for machines and Git diffs. Key order is the
//! template's, formatting is the serializer's, and strings that YAML 1.1
//! readers (Kubernetes) would take for booleans, numbers or nulls are quoted.

use crate::verify::Doc;

pub fn to_yaml_stream<'a>(docs: impl IntoIterator<Item = &'a Doc>) -> Result<String, String> {
    let mut out = String::new();
    for (i, doc) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(&doc.value)?);
    }
    Ok(out)
}

pub fn to_yaml(value: &serde_json::Value) -> Result<String, String> {
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        // Multi-line strings (scripts) as literal blocks; long single lines stay on one line.
        prefer_block_scalars: true,
        folded_wrap_chars: usize::MAX,
    };
    let mut text =
        serde_saphyr::to_string_with_options(value, options).map_err(|e| e.to_string())?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
