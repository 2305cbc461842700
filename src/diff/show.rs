//! The report as text (a terminal or a CI log), Markdown (one pull-request
//! comment) or JSON. Every user string passes `text::shown` (and, in
//! Markdown, the Markdown escape after it); the output is bounded: values
//! are cut, fields per resource and the comment's length are capped.

use super::report::{AppDiff, FieldChange, Report, ResourceDiff, Status};
use serde_json::Value;
use std::fmt::Write;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    /// Risks first, then each Application's plan changes and resources.
    Text,
    /// One pull-request comment: risks first, a collapsible section per Application.
    Markdown,
    /// The whole report, for scripts.
    Json,
}

/// Fields shown per resource before the rest are counted.
const MAX_FIELDS: usize = 40;
/// Characters of one value shown.
const MAX_VALUE: usize = 120;
/// A GitHub comment holds 65,536 characters; the details stop before that.
pub const MAX_MARKDOWN: usize = 60_000;
/// Risk rows listed before the rest are counted.
const MAX_RISKS: usize = 200;

pub fn render(
    report: &Report,
    format: DiffFormat,
    color: bool,
) -> Result<String, serde_json::Error> {
    Ok(match format {
        DiffFormat::Text => text(report, color),
        DiffFormat::Markdown => markdown(report),
        DiffFormat::Json => {
            crate::text::json_without_commands(serde_json::to_string_pretty(report)? + "\n")
        }
    })
}

/// A value as a reviewer reads it: text plainly, anything else as JSON;
/// escaped and cut.
fn value(v: Option<&Value>) -> String {
    let raw = match v {
        None => return "(absent)".to_owned(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => other.to_string(),
    };
    crate::text::shown_within(&raw, MAX_VALUE).into_owned()
}

fn shown(s: &str) -> String {
    crate::text::shown(s).into_owned()
}

fn counts(report: &Report) -> String {
    let n = |s: Status| report.applications.iter().filter(|a| a.status == s).count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{} ({} added, {} removed, {} changed), {}",
        plural(
            report.applications.len(),
            "Application differs",
            "Applications differ"
        ),
        n(Status::Added),
        n(Status::Removed),
        n(Status::Changed),
        plural(report.risks.len(), "risk", "risks")
    )
}

fn app_title(a: &AppDiff) -> String {
    let ns = match (&a.namespace_before, &a.namespace) {
        (Some(before), after) => format!(
            " (namespace {} → {})",
            before.as_deref().map_or("none".to_owned(), shown),
            after.as_deref().map_or("none".to_owned(), shown)
        ),
        (None, Some(ns)) => format!(" (namespace {})", shown(ns)),
        (None, None) => String::new(),
    };
    format!("{}{ns}", shown(&a.name))
}

fn text(report: &Report, color: bool) -> String {
    let paint = |code: &str, s: String| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    let sign_color = |s: Status| match s {
        Status::Added => "32",
        Status::Removed => "31",
        Status::Changed => "33",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "oamc diff {} → {}: {}",
        shown(&report.base),
        shown(&report.head),
        if report.is_empty() {
            "no change".to_owned()
        } else {
            counts(report)
        }
    );
    if !report.risks.is_empty() {
        let _ = writeln!(out, "\nrisks:");
        for r in &report.risks {
            let _ = writeln!(
                out,
                "  {} {}: {}: {}\n      ({}; {})",
                paint("1;31", "!".into()),
                shown(&r.application),
                shown(&r.subject),
                crate::text::shown_message(&r.reason),
                r.kind.code(),
                r.reference
            );
        }
    }
    for a in &report.applications {
        let _ = writeln!(
            out,
            "\n{} Application {}",
            paint(sign_color(a.status), a.status.sign().to_string()),
            app_title(a)
        );
        let mut scope = None;
        for c in &a.plan {
            if scope != Some(&c.scope) {
                let _ = writeln!(out, "    {}:", shown(&c.scope));
                scope = Some(&c.scope);
            }
            let _ = writeln!(out, "      {}", plan_line(c, "→"));
        }
        let mut group = None;
        for r in &a.resources {
            if group != Some(&r.group) {
                let _ = writeln!(out, "    resources of {}:", shown(&r.group));
                group = Some(&r.group);
            }
            let _ = writeln!(
                out,
                "      {} {}",
                paint(sign_color(r.status), r.status.sign().to_string()),
                shown(&r.title())
            );
            for f in r.fields.iter().take(MAX_FIELDS) {
                let _ = writeln!(
                    out,
                    "          {}: {} → {}",
                    shown(&f.path),
                    value(f.before.as_ref()),
                    value(f.after.as_ref())
                );
            }
            if r.fields.len() > MAX_FIELDS {
                let _ = writeln!(
                    out,
                    "          … and {} more fields (--format json lists all)",
                    r.fields.len() - MAX_FIELDS
                );
            }
        }
    }
    out
}

fn plan_line(c: &super::report::PlanChange, arrow: &str) -> String {
    let v = |s: &Option<String>| {
        s.as_deref().map_or("(none)".to_owned(), |s| {
            crate::text::shown_message(s).into_owned()
        })
    };
    match (&c.before, &c.after) {
        (Some(before), Some(after)) => {
            let (before, after) = narrowed(before, after);
            format!(
                "{}: {} {arrow} {}",
                shown(&c.text),
                crate::text::shown_message(&before),
                crate::text::shown_message(&after)
            )
        }
        (None, Some(_)) => format!("{}: {}", shown(&c.text), v(&c.after)),
        (Some(_), None) => format!("{}: {}", shown(&c.text), v(&c.before)),
        (None, None) => shown(&c.text),
    }
}

/// The parts of two descriptions that differ, with the parts they share
/// cut to `…`: "step changed" rows repeated whole sentences, hiding the one
/// number that moved. Clauses (`; `) both share at either end go first,
/// then words, keeping two words of context on each side. The JSON report
/// keeps both whole.
pub fn narrowed(before: &str, after: &str) -> (String, String) {
    const SHORT: usize = 60;
    fn trim<'a>(a: &[&'a str], b: &[&'a str], keep: usize) -> (usize, usize) {
        let lead = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let max_tail = a.len().min(b.len()) - lead;
        let tail = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(max_tail)
            .take_while(|(x, y)| x == y)
            .count();
        (lead.saturating_sub(keep), tail.saturating_sub(keep))
    }
    fn join(parts: &[&str], lead: usize, tail: usize, sep: &str) -> String {
        let mut out = String::new();
        if lead > 0 {
            out.push('…');
            out.push_str(if sep == " " { " " } else { sep });
        }
        out.push_str(&parts[lead..parts.len() - tail].join(sep));
        if tail > 0 {
            out.push_str(sep);
            out.push('…');
        }
        out
    }
    // Short values read best whole.
    if before.chars().count() <= SHORT && after.chars().count() <= SHORT {
        return (before.to_owned(), after.to_owned());
    }
    // A step's label (`gate: performance gate: `) stays, so the row says
    // which step the shown part is of.
    let label_end = |t: &str| {
        let first = t.split("; ").next().unwrap_or(t);
        first.match_indices(": ").nth(1).map(|(i, _)| i + 2)
    };
    if let (Some(i), Some(j)) = (label_end(before), label_end(after))
        && before[..i] == after[..j]
    {
        let (b, a) = narrowed(&before[i..], &after[j..]);
        if b != before[i..] || a != after[j..] {
            return (
                format!("{}{b}", &before[..i]),
                format!("{}{a}", &after[..j]),
            );
        }
    }
    let (a, b): (Vec<&str>, Vec<&str>) =
        (before.split("; ").collect(), after.split("; ").collect());
    let (lead, tail) = trim(&a, &b, 0);
    let (a_mid, b_mid) = (&a[lead..a.len() - tail], &b[lead..b.len() - tail]);
    if a_mid.is_empty() && b_mid.is_empty() {
        return (before.to_owned(), after.to_owned());
    }
    let (a_text, b_text) = if let ([x], [y]) = (a_mid, b_mid) {
        // One clause each: narrow it to the words that differ.
        let (xw, yw): (Vec<&str>, Vec<&str>) = (x.split(' ').collect(), y.split(' ').collect());
        let (wl, wt) = trim(&xw, &yw, 2);
        (join(&xw, wl, wt, " "), join(&yw, wl, wt, " "))
    } else {
        (a_mid.join("; "), b_mid.join("; "))
    };
    let wrap = |mid: String| {
        if mid.is_empty() {
            // A clause only the other side has: this side is the shared rest.
            return "…".to_owned();
        }
        let mut out = String::new();
        if lead > 0 {
            out.push_str("…; ");
        }
        out.push_str(&mid);
        if tail > 0 {
            out.push_str("; …");
        }
        out
    };
    let (a_out, b_out) = (wrap(a_text), wrap(b_text));
    // What differs only in separators can narrow to the same text: whole.
    if a_out == b_out {
        return (before.to_owned(), after.to_owned());
    }
    (a_out, b_out)
}

/// Text as Markdown reads it literally, after `shown`: a backslash before
/// each character CommonMark or GitHub's Markdown gives a meaning inline
/// (emphasis, code, links, HTML, entities, tables, strikethrough, math),
/// and before a `#`, `+`, `-` or `=` that starts the text (a heading, list
/// or underline). Other punctuation stays as written, so the comment's
/// source reads as its text (`ghcr.io/acme/rocket:1.4.2`).
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.chars().enumerate() {
        let inline = matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '$'
        );
        let at_start = i == 0 && matches!(c, '#' | '+' | '-' | '=');
        if inline || at_start {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text inside raw HTML (a `<summary>`): entities for `& < > "`.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// User text in a Markdown code span, as the comment shows every string a
/// repository controls: GitHub turns no mention (`@octocat`,
/// `@acme/security-team`), reference (`#1`, `acme/other#3`), URL or e-mail
/// inside code into a link or a notification (its mention and reference
/// filters skip `code` elements, and GFM's autolink extension does not
/// apply in code spans). The fence is one backtick longer than the longest
/// run in the text, with a space either side, which CommonMark strips. In a
/// table cell a `|` is written `\|`: GFM ends a cell at a bare pipe even
/// inside code.
fn code(text: &str, in_table: bool) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let text = if in_table {
        text.replace('|', "\\|")
    } else {
        text.to_owned()
    };
    format!("{fence} {text} {fence}")
}

/// [`code`] in a table cell.
fn cell(text: &str) -> String {
    code(text, true)
}

/// The marker a bot finds its earlier comment by, to update it.
pub const MARKER: &str = "<!-- oamc-diff -->";

fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(
        out,
        "### oamc diff: {} → {}\n",
        code(&shown(&report.base), false),
        code(&shown(&report.head), false)
    );
    if report.is_empty() {
        let _ = writeln!(out, "No change to any Application.");
        return out;
    }
    let _ = writeln!(out, "{}\n", md(&counts(report)));
    if !report.risks.is_empty() {
        let _ = writeln!(out, "#### ⚠️ Risks\n");
        let _ = writeln!(
            out,
            "| Risk | Application | Subject | What happens | Upstream |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        // The risks come first, within half the comment.
        let mut shown_risks = 0;
        for r in report.risks.iter().take(MAX_RISKS) {
            let row = format!(
                "| {} | {} | {} | {} | {} |\n",
                md(r.kind.code()),
                cell(&shown(&r.application)),
                cell(&shown(&r.subject)),
                cell(&crate::text::shown_message(&r.reason)),
                md(r.reference)
            );
            if out.len() + row.len() > MAX_MARKDOWN / 2 {
                break;
            }
            out.push_str(&row);
            shown_risks += 1;
        }
        if report.risks.len() > shown_risks {
            let _ = writeln!(
                out,
                "\n… and {} more risks (`oamc diff` locally, or `--format json`, lists all).",
                report.risks.len() - shown_risks
            );
        }
        out.push('\n');
    }
    let mut left_out = Vec::new();
    for a in &report.applications {
        let section = app_markdown(a);
        if out.len() + section.len() > MAX_MARKDOWN {
            left_out.push(a);
            continue;
        }
        out.push_str(&section);
    }
    if !left_out.is_empty() {
        // Named while the comment has room (a name is at most 240 characters).
        let mut names = Vec::new();
        let mut room = MAX_COMMENT - 1_000 - out.len().min(MAX_COMMENT - 1_000);
        for a in left_out.iter().take(50) {
            let name = code(&shown(&a.name), false);
            if name.len() + 2 > room {
                break;
            }
            room -= name.len() + 2;
            names.push(name);
        }
        let _ = writeln!(
            out,
            "{} more Applications differ, left out to keep this comment under GitHub's 65,536 characters: {}{}. Run `oamc diff` locally, or read its `--format json` report, for all of them.",
            left_out.len(),
            names.join(", "),
            if left_out.len() > names.len() {
                ", …"
            } else {
                ""
            }
        );
    }
    within_comment_limit(out)
}

/// What GitHub takes as one comment, in bytes (it counts 65,536 characters;
/// a character is at least a byte), with room for the closing line.
const MAX_COMMENT: usize = 65_000;

/// The comment cut at a line under [`MAX_COMMENT`], saying how much was
/// left out and where to read it, should the budgets above not hold it.
fn within_comment_limit(mut out: String) -> String {
    if out.len() <= MAX_COMMENT {
        return out;
    }
    let cut = out[..MAX_COMMENT - 400].rfind('\n').map_or(0, |i| i + 1);
    let left = out.len() - cut;
    out.truncate(cut);
    let _ = writeln!(
        out,
        "\n… {left} more bytes of this report are left out to keep the comment under GitHub's 65,536 characters: run `oamc diff` locally, or read its `--format json` report."
    );
    out
}

fn app_markdown(a: &AppDiff) -> String {
    let mut out = String::new();
    let resources = a.resources.len();
    let _ = writeln!(
        out,
        "<details>\n<summary>{} <b><code>{}</code></b>: {} plan change{}, {} resource{}</summary>\n",
        a.status.sign(),
        html(&app_title(a)),
        a.plan.len(),
        if a.plan.len() == 1 { "" } else { "s" },
        resources,
        if resources == 1 { "" } else { "s" },
    );
    if !a.plan.is_empty() {
        let _ = writeln!(
            out,
            "**Plan**\n\n| Where | Change | Before | After |\n|---|---|---|---|"
        );
        for c in &a.plan {
            let (before, after) = match (&c.before, &c.after) {
                (Some(b), Some(a)) => {
                    let (b, a) = narrowed(b, a);
                    (Some(b), Some(a))
                }
                (b, a) => (b.clone(), a.clone()),
            };
            let v = |s: &Option<String>| {
                s.as_deref()
                    .map_or("—".to_owned(), |s| cell(&crate::text::shown_message(s)))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&shown(&c.scope)),
                cell(&shown(&c.text)),
                v(&before),
                v(&after)
            );
        }
        out.push('\n');
    }
    if !a.resources.is_empty() {
        let _ = writeln!(
            out,
            "**Resources**\n\n| | Resource | Of | Field | Before | After |\n|---|---|---|---|---|---|"
        );
        for r in &a.resources {
            resource_rows(&mut out, r);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "</details>\n");
    out
}

fn resource_rows(out: &mut String, r: &ResourceDiff) {
    let head = format!(
        "| {} | {} | {} ",
        md(&r.status.sign().to_string()),
        cell(&shown(&r.title())),
        cell(&shown(&r.group))
    );
    if r.fields.is_empty() {
        let _ = writeln!(out, "{head}| | | |");
        return;
    }
    let cell = |f: &FieldChange| {
        format!(
            "| {} | {} | {} |",
            cell(&shown(&f.path)),
            cell(&value(f.before.as_ref())),
            cell(&value(f.after.as_ref()))
        )
    };
    for (i, f) in r.fields.iter().take(MAX_FIELDS).enumerate() {
        if i == 0 {
            let _ = writeln!(out, "{head}{}", cell(f));
        } else {
            let _ = writeln!(out, "| | | {}", cell(f));
        }
    }
    if r.fields.len() > MAX_FIELDS {
        let _ = writeln!(
            out,
            "| | | | … and {} more fields | | |",
            r.fields.len() - MAX_FIELDS
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowed_keeps_what_differs_and_two_words_around_it() {
        let before = "gate: performance gate: ab: 1000 requests, 10 at a time; no failed request; mean latency below 250 ms";
        let after = "gate: performance gate: ab: 1000 requests, 10 at a time; no failed request; mean latency below 500 ms";
        assert_eq!(
            narrowed(before, after),
            (
                "gate: performance gate: …; … latency below 250 ms".into(),
                "gate: performance gate: …; … latency below 500 ms".into()
            )
        );
        let (b, a) = narrowed(
            "gate: metrics gate: x >= 0.5 passes (4 x every 30s); y fails the rollout (1 x every 1s)",
            "gate: metrics gate: x >= 0.2 passes (4 x every 30s); y fails the rollout (1 x every 1s)",
        );
        assert_eq!(b, "gate: metrics gate: x >= 0.5 passes (4 …; …");
        assert_eq!(a, "gate: metrics gate: x >= 0.2 passes (4 …; …");
        assert_eq!(
            narrowed("mean latency below 160 ms", "mean latency below 900 ms"),
            (
                "mean latency below 160 ms".into(),
                "mean latency below 900 ms".into()
            )
        );
        // Nothing shared, or short: whole.
        assert_eq!(
            narrowed("busybox:1.36", "httpd:2"),
            ("busybox:1.36".into(), "httpd:2".into())
        );
        // Differing only in a separator: both whole, never equal.
        let long = "word ".repeat(15);
        let (b, a) = narrowed(&format!("{long}; y"), &format!("{long}; y; "));
        assert_ne!(b, a);
        let (b, a) = narrowed(&format!("{long}; b"), &format!("{long}; b; c"));
        // A clause added: the shared ones are cut, the new one shown.
        assert_eq!((b.as_str(), a.as_str()), ("…", "…; c"));
    }

    #[test]
    fn md_escapes_what_markdown_reads_and_nothing_else() {
        assert_eq!(md("ghcr.io/acme/rocket:1.4.2"), "ghcr.io/acme/rocket:1.4.2");
        assert_eq!(
            md("a_b *c* `d` [e](f) <g> | ~h~ &amp; $x$"),
            "a\\_b \\*c\\* \\`d\\` \\[e\\](f) \\<g\\> \\| \\~h\\~ \\&amp; \\$x\\$"
        );
        assert_eq!(md("# not a heading"), "\\# not a heading");
        assert_eq!(md("- not a list"), "\\- not a list");
        assert_eq!(md("a-b"), "a-b");
    }
}
