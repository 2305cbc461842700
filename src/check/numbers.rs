//! Numbers read as the cluster reads them.
//!
//! The API server stores a JSON `3.0` as `3`, and KubeVela's CUE then takes
//! it as an `int`: a whole number written as a float is that integer, so
//! `replicas: 3.0` and `replicas: 3` compile to the same bytes. A leading-zero
//! integer (`010`) is refused: YAML 1.1 readers such as kubectl read it as
//! octal 8, YAML 1.2 readers as 10, so its meaning depends on the tool.

use crate::diagnostic::Code;
use crate::dom::{Node, Pos, Value as Yaml};
use serde_json::{Number, Value};

/// Replace every whole float that fits an integer by that integer (`-0.0` is
/// `0`). Fractions, and floats beyond the 64-bit range, stay as they are; the
/// schema and the typed read then refuse them where an integer is wanted.
pub fn whole_floats_to_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(whole) = n.as_f64().filter(|_| n.is_f64()).and_then(as_integer) {
                *n = whole;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(whole_floats_to_integers),
        _ => {}
    }
}

fn as_integer(f: f64) -> Option<Number> {
    if !f.is_finite() || f.fract() != 0.0 {
        return None;
    }
    // 2^63 and 2^64 are exact as floats; anything below them fits.
    const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;
    const U64_LIMIT: f64 = 18_446_744_073_709_551_616.0;
    if (0.0..U64_LIMIT).contains(&f) {
        // Non-negative integers are unsigned, as every YAML reader here types them.
        Some(Number::from(f as u64))
    } else if (-I64_LIMIT..0.0).contains(&f) {
        Some(Number::from(f as i64))
    } else {
        None
    }
}

/// Whether a plain scalar is a number spelled with a leading zero (`010`,
/// `-007`, `00`, `08.5`): the spelling YAML 1.1 and 1.2 read differently.
pub fn has_leading_zero(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    digits.len() >= 2 && digits[0] == b'0' && digits[1].is_ascii_digit()
}

/// Every number in `doc` whose source spelling has a leading zero, with the
/// spelling and where it is written.
pub fn leading_zero_numbers<'a>(doc: &Node, text: &'a str, out: &mut Vec<(Pos, &'a str)>) {
    match &doc.value {
        Yaml::Int(_) | Yaml::UInt(_) | Yaml::Float(_) => {
            let spelling = text
                .get(doc.pos.offset..doc.pos.offset + doc.pos.len)
                .unwrap_or("");
            if has_leading_zero(spelling) {
                out.push((doc.pos, spelling));
            }
        }
        Yaml::Seq(items) => items
            .iter()
            .for_each(|item| leading_zero_numbers(item, text, out)),
        Yaml::Map(entries) => entries
            .iter()
            .for_each(|(_, v)| leading_zero_numbers(v, text, out)),
        _ => {}
    }
}

/// A number written where oamc takes text (a gate's `extraArgs`): the text
/// is what reaches the Job, so a number whose spelling the text would not
/// keep (`2.10` is 2.1, `1.0` is 1, `0x1F` is 31, `1e3` is 1000, `+5` is 5)
/// is refused at its line with the quoted spelling. `250` stays `250`.
/// Upstream's CUE refuses every number here (`extraArgs: string`).
pub(crate) fn check_number_as_text(ctx: &mut super::DocContext, at: &[super::Seg], text: &str) {
    let Some(node) = ctx.doc.map(|doc| doc.locate(at)) else {
        return;
    };
    if !matches!(node.value, Yaml::Int(_) | Yaml::UInt(_) | Yaml::Float(_)) {
        return;
    }
    let pos = node.pos;
    let Some(spelling) = ctx
        .file
        .text
        .get(pos.offset..pos.offset.saturating_add(pos.len))
    else {
        return;
    };
    if spelling == text {
        return;
    }
    let spelling = spelling.to_owned();
    ctx.push_at(
        Code::NumberAsText,
        Some(pos),
        format!(
            "`{spelling}` is read as the number {text}: the gate would get `{text}`, not what is written"
        ),
    )
    .help = Some(format!("write \"{spelling}\" (quoted) to keep it as written"));
}

/// Report every leading-zero number of the document (needs its text:
/// only the pass with positions can tell `010` from `10`).
pub(crate) fn report_leading_zeros(ctx: &mut super::DocContext) {
    if let Some(doc) = ctx.doc {
        let mut found = Vec::new();
        leading_zero_numbers(doc, &ctx.file.text, &mut found);
        for (pos, spelling) in found {
            let digits = spelling
                .trim_start_matches(['-', '+'])
                .trim_start_matches('0');
            let plain = if digits.is_empty() || digits.starts_with('.') {
                format!("0{digits}")
            } else {
                digits.to_owned()
            };
            let unsigned = spelling.trim_start_matches(['-', '+']);
            // go-yaml v2 reads `010` as octal 8, but `08` (not octal) as
            // the float 8, through Go's ParseInt and then ParseFloat.
            let reading = match i64::from_str_radix(unsigned, 8) {
                Ok(octal) => format!(
                    "YAML 1.1 readers such as kubectl read it as octal ({octal}), YAML 1.2 readers as decimal"
                ),
                Err(_) => format!(
                    "kubectl reads it as the number {plain} (it is not octal: an 8, a 9 or a fraction), but a leading zero is octal to YAML 1.1 readers"
                ),
            };
            ctx.push_at(
                Code::LeadingZero,
                Some(pos),
                format!(
                    "`{spelling}` is a number with a leading zero, which YAML readers disagree on"
                ),
            )
            .help = Some(format!(
                "{reading}; write `{plain}` (or quote it if it is text)"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers_and_fractions_stay() {
        let mut v =
            json!({"a": 3.0, "b": [1e3, -0.0, -2.0], "c": 0.5, "d": 1e300, "e": 7, "f": "3.0"});
        whole_floats_to_integers(&mut v);
        assert_eq!(
            v,
            json!({"a": 3, "b": [1000, 0, -2], "c": 0.5, "d": 1e300, "e": 7, "f": "3.0"})
        );
        assert!(v["a"].is_u64() && v["b"][1].is_u64() && v["b"][2].is_i64());
    }

    #[test]
    fn leading_zeros_are_spotted() {
        for yes in ["010", "00", "08", "-010", "+007", "08.5"] {
            assert!(has_leading_zero(yes), "{yes}");
        }
        for no in ["0", "-0", "0.5", "10", "0x1F", "0o17", "1e3", ".5"] {
            assert!(!has_leading_zero(no), "{no}");
        }
    }
}
