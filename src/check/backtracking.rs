//! Regular expressions a backtracking engine can take exponential time on.
//!
//! ingress-nginx writes an nginx-trait path, with `use-regex`, as the
//! location `~* "^<path>"` (`internal/ingress/controller/template/template.go`,
//! `buildLocation`): nginx matches every request URI against it with PCRE,
//! which backtracks. `/api/(a+)+$` takes over 20 s on a 32-byte URI there,
//! and the ingress controller is shared by every team. oamc's own regex
//! engine (the `regex` crate, which never backtracks) accepts such a pattern,
//! so the shape itself is refused, read with `regex-syntax` (the `regex`
//! crate's own parser, case-insensitive as `~*` is):
//!
//! - a repetition without a small bound over something that holds a
//!   repetition of no fixed count, where the two can start on the same
//!   character (`(a+)+`, `((a*)*)*b`, `(\w+\s?)*`, `(a{1,3})+`): the text can
//!   be split between them in exponentially many ways;
//! - such a repetition over alternatives that can start on the same
//!   character (`(a|ab)*`, `(x|X)+` under `~*`).
//!
//! Repetitions whose parts cannot start alike (`(v[0-9]+/)*`) are kept: each
//! character decides which part it belongs to. Backreferences, which PCRE
//! has and `regex` has not, are refused by `regex` already.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Repetitions bounded below this are not "unbounded" here: at most this
/// many ways to split per level.
const SMALL_BOUND: u32 = 16;

/// Why `pattern` can backtrack catastrophically, or `None`. The caller has
/// compiled it already, so a parse that fails here is one past this
/// check's own nesting bound: refused, never passed unchecked.
pub fn catastrophic(pattern: &str) -> Option<String> {
    match regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern)
    {
        Ok(hir) => find(&hir),
        Err(_) => Some(format!(
            "nests groups and repetitions more than {NEST_LIMIT} deep, past what oamc checks for backtracking"
        )),
    }
}

/// How deep a path's groups and repetitions may nest (the check recurses).
const NEST_LIMIT: u32 = 64;

fn unbounded(hir: &Hir) -> Option<&Hir> {
    match hir.kind() {
        HirKind::Repetition(r) if r.max.is_none_or(|max| max >= SMALL_BOUND) => Some(&r.sub),
        _ => None,
    }
}

/// A repetition whose count is not fixed (`a+`, `a{1,3}`): it can take
/// more or less of the text, which is what gives the outer one choices.
fn variable(hir: &Hir) -> Option<&Hir> {
    match hir.kind() {
        HirKind::Repetition(r) if r.max != Some(r.min) => Some(&r.sub),
        _ => None,
    }
}

fn find(hir: &Hir) -> Option<String> {
    if let Some(body) = unbounded(hir) {
        let outer = first(body);
        if nested_repetition(body, &outer) {
            return Some(
                "nests a repetition inside a repetition that can start on the same character (as `(a+)+` does): PCRE, which nginx matches it with, can take exponential time on it".to_owned(),
            );
        }
        if overlapping_alternatives(body) {
            return Some(
                "repeats alternatives that can start on the same character (as `(a|ab)*` does): PCRE, which nginx matches it with, can take exponential time on it".to_owned(),
            );
        }
    }
    children(hir).iter().find_map(find)
}

fn children(hir: &Hir) -> Vec<Hir> {
    match hir.kind() {
        HirKind::Repetition(r) => vec![(*r.sub).clone()],
        HirKind::Capture(c) => vec![(*c.sub).clone()],
        HirKind::Concat(items) | HirKind::Alternation(items) => items.clone(),
        _ => Vec::new(),
    }
}

/// A repetition of no fixed count inside `body` whose own body can start
/// on a character `body` can start on.
fn nested_repetition(body: &Hir, outer: &First) -> bool {
    variable(body).is_some_and(|inner| first(inner).overlaps(outer))
        || children(body)
            .iter()
            .any(|child| nested_repetition(child, outer))
}

/// Two alternatives of an alternation in `body` (through groups and the
/// start of a sequence) that can start on the same character.
fn overlapping_alternatives(body: &Hir) -> bool {
    match body.kind() {
        HirKind::Capture(c) => overlapping_alternatives(&c.sub),
        HirKind::Concat(items) => items.first().is_some_and(overlapping_alternatives),
        HirKind::Alternation(items) => {
            let firsts: Vec<First> = items.iter().map(first).collect();
            firsts
                .iter()
                .enumerate()
                .any(|(i, a)| firsts[i + 1..].iter().any(|b| a.overlaps(b)))
        }
        _ => false,
    }
}

/// The characters a match can start with, as ranges, and whether it can
/// be empty (then what follows can start it too: `any` stands for that).
#[derive(Default)]
struct First {
    ranges: Vec<(u32, u32)>,
    any: bool,
}

impl First {
    fn overlaps(&self, other: &First) -> bool {
        if (self.any && !other.ranges.is_empty()) || (other.any && !self.ranges.is_empty()) {
            return true;
        }
        self.ranges
            .iter()
            .any(|a| other.ranges.iter().any(|b| a.0 <= b.1 && b.0 <= a.1))
    }
}

fn first(hir: &Hir) -> First {
    let mut out = First::default();
    let nullable = first_into(hir, &mut out);
    out.any |= nullable;
    out
}

/// Adds the characters `hir` can start with; returns whether it can match empty.
fn first_into(hir: &Hir, out: &mut First) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0)
            .ok()
            .and_then(|s| s.chars().next())
        {
            Some(c) => {
                out.ranges.push((u32::from(c), u32::from(c)));
                false
            }
            None => {
                // Bytes that are not UTF-8: any first byte, conservatively.
                out.ranges.push((0, u32::from(char::MAX)));
                lit.0.is_empty()
            }
        },
        HirKind::Class(Class::Unicode(class)) => {
            out.ranges.extend(
                class
                    .ranges()
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end()))),
            );
            false
        }
        HirKind::Class(Class::Bytes(class)) => {
            out.ranges.extend(
                class
                    .ranges()
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end()))),
            );
            false
        }
        HirKind::Repetition(r) => first_into(&r.sub, out) || r.min == 0,
        HirKind::Capture(c) => first_into(&c.sub, out),
        HirKind::Concat(items) => items.iter().all(|item| first_into(item, out)),
        // Every alternative adds its characters: no short cut.
        HirKind::Alternation(items) => {
            let mut nullable = false;
            for item in items {
                nullable |= first_into(item, out);
            }
            nullable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::catastrophic;

    #[test]
    fn the_classic_shapes_are_found() {
        for bad in [
            "/api/(a+)+$",
            "/api/((a*)*)*b",
            "/x/(\\w+\\s?)*$",
            "/x/(a|ab)*c",
            "/x/(ab|a)*c",
            "/x/(.*a){20}",
            "/x/(?:[a-z]+)*",
            "/x/(a*b*)*$",
            "/x/(a{1,3})+$",
        ] {
            assert!(catastrophic(bad).is_some(), "{bad}");
        }
        // Past the check's nesting bound: refused, not passed unchecked.
        let deep = format!("/{}a+{}", "(".repeat(70), ")+".repeat(70));
        assert!(
            regex::Regex::new(&deep).is_ok(),
            "the compile check takes it"
        );
        assert!(catastrophic(&deep).is_some());
    }

    #[test]
    fn repetitions_that_cannot_start_alike_are_kept() {
        for good in [
            "/api/v[0-9]+",
            "/api/(v[0-9]+/)*",
            "/app/(.*)",
            "/static/[a-z0-9._-]+\\.(css|js)$",
            "/x/(ab|cd)+",
            "/x/(ab{2})+",
            "/",
            "/v1(/|$)(.*)",
        ] {
            assert_eq!(catastrophic(good), None, "{good}");
        }
    }
}
