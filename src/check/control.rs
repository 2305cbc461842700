//! Control characters in user strings. A tab and a line break are text;
//! every other C0 character, DEL and the C1 range are refused at their line:
//! they reach manifests, logs and terminals, where they can hide or rewrite
//! what a reviewer sees, and YAML 1.1 readers refuse some of them outright.
//! Unicode format characters (category Cf: bidi controls such as U+202E,
//! zero-width characters such as U+200B) are refused the same way: they make
//! a name, path or value read as something it is not.

use super::DocContext;
use crate::diagnostic::Code;
use crate::dom::{Pos, Seg};
use serde_json::Value;

fn refused(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Report every string (value or key) of `doc` holding a refused character.
pub(crate) fn report_control_characters(ctx: &mut DocContext, doc: &Value) {
    walk(ctx, doc, &mut Vec::new());
}

/// A step of the walk's path, borrowed from the document.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The path as diagnostics take it: built only for a string with something
/// to report (every input node is walked, and few have).
fn path(at: &[Step]) -> Vec<Seg> {
    at.iter()
        .map(|step| match step {
            Step::Key(key) => Seg::Key((*key).to_owned()),
            Step::Index(i) => Seg::Index(*i),
        })
        .collect()
}

fn walk<'a>(ctx: &mut DocContext, value: &'a Value, at: &mut Vec<Step<'a>>) {
    match value {
        Value::String(s) => check(ctx, s, |ctx| ctx.pos(&path(at)), "value"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Index(i));
                walk(ctx, item, at);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                check(ctx, key, |ctx| ctx.key_pos(&path(at), key), "key");
                at.push(Step::Key(key));
                walk(ctx, item, at);
                at.pop();
            }
        }
        _ => {}
    }
}

/// A refusal: which characters, its code, how they are named, and why.
type Rule = (fn(char) -> bool, Code, &'static str, &'static str);

const RULES: [Rule; 2] = [
    (
        crate::text::is_format,
        Code::FormatCharacter,
        "invisible format character",
        "remove it: bidi controls and zero-width characters make text read as something it is not",
    ),
    (
        refused,
        Code::ControlCharacter,
        "control character",
        "remove it; tabs and line breaks are the only control characters oamc passes on",
    ),
];

fn check(ctx: &mut DocContext, text: &str, pos: impl Fn(&DocContext) -> Option<Pos>, what: &str) {
    // Most text is ASCII with no control character: one pass decides.
    if text
        .bytes()
        .all(|b| (b' '..0x7f).contains(&b) || b == b'\n' || b == b'\t')
    {
        return;
    }
    for (matches, code, kind, help) in RULES {
        if let Some(c) = text.chars().find(|c| matches(*c)) {
            let pos = pos(ctx);
            ctx.push_at(
                code,
                pos,
                format!(
                    "this {what} holds the {kind} U+{:04X}: `{}`",
                    u32::from(c),
                    crate::text::shown(text)
                ),
            )
            .help = Some(help.into());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tabs_and_line_breaks_are_text_and_the_rest_is_refused() {
        for ok in ['\n', '\t', 'a', 'é', '\u{a0}'] {
            assert!(!super::refused(ok), "{ok:?}");
        }
        for bad in ['\0', '\u{7}', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}'] {
            assert!(super::refused(bad), "{bad:?}");
        }
    }
}
