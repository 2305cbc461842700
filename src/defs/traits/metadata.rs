//! `labels` and `annotations`: string maps added to the metadata of every
//! resource of the component and to its pod template.

use crate::check::{DocContext, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use std::collections::BTreeMap;

/// The keys (and, for labels, the values) of a `labels` or `annotations`
/// trait at `base`; the label `app` is the selector's.
pub(super) fn check_map(
    ctx: &mut DocContext,
    base: &DocPath,
    name: &str,
    labels: bool,
    map: &BTreeMap<String, String>,
) {
    for (key, value) in map {
        let key_at = base.key("properties").key(key.as_str());
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
