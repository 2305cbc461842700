//! The timeline as a Mermaid gantt chart, which GitHub renders in Markdown.
//!
//! A gantt, not an xychart: an xychart spaces its points evenly along the x
//! axis, so a step's length in time cannot be drawn, while a gantt draws each
//! step over its time and keeps one section per component. The traffic share
//! goes into each task's name. Tasks chain with `after`, so only the first
//! has a clock time (`00:00:00`, local midnight in the viewer's browser,
//! which `axisFormat` shows as the elapsed time); the best case is drawn.

use crate::plan::AppPlan;
use crate::timeline::{AppTimeline, RolloutTimeline, Span, SpanKind, seconds_text};
use std::fmt::Write;

/// A gantt task's name or a section title: `:` ends a task's name, `;` a
/// statement, `#` a comment.
fn text(t: &str) -> String {
    crate::text::mermaid(t, &[':', ';'])
}

fn span_name(span: &Span) -> String {
    let range = match span.max_seconds {
        None => "waits for a person".to_owned(),
        Some(max) if max == span.min_seconds => seconds_text(max),
        Some(max) => format!("{}–{}", seconds_text(span.min_seconds), seconds_text(max)),
    };
    format!(
        "{} · {}% of requests new · {range}",
        span.label, span.traffic.new_percent
    )
}

struct Ids(usize);

impl Ids {
    fn next(&mut self) -> String {
        self.0 += 1;
        format!("t{}", self.0)
    }
}

pub fn render(apps: &[AppPlan]) -> String {
    let mut out = String::from(
        "gantt\n  title Rollout timeline, best case (oamc plan)\n  dateFormat HH:mm:ss\n  axisFormat %H:%M:%S\n",
    );
    let mut ids = Ids(0);
    for app in apps {
        let t = crate::timeline::of_app(app);
        for r in &t.rollouts {
            rollout(&mut out, &mut ids, &app.name, r);
        }
        promotion(&mut out, &mut ids, &app.name, &t);
    }
    out
}

/// One task: after `previous` (or at the start), lasting `seconds`; a step
/// of no fixed time is a milestone.
fn task(
    out: &mut String,
    ids: &mut Ids,
    previous: &mut Option<String>,
    name: &str,
    tags: &[&str],
    seconds: u64,
) {
    let id = ids.next();
    let mut parts: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    if seconds == 0 {
        parts.push("milestone".into());
    }
    parts.push(id.clone());
    parts.push(match previous {
        Some(p) => format!("after {p}"),
        None => "00:00:00".into(),
    });
    parts.push(format!("{seconds}s"));
    let _ = writeln!(out, "    {} :{}", text(name), parts.join(", "));
    *previous = Some(id);
}

fn rollout(out: &mut String, ids: &mut Ids, app: &str, r: &RolloutTimeline) {
    let _ = writeln!(
        out,
        "  section {}",
        text(&format!("{app}/{} ({})", r.component, r.strategy))
    );
    let mut previous = None;
    for span in &r.spans {
        // A gate can abort the rollout: drawn as critical.
        let tags: &[&str] = match span.kind {
            SpanKind::Gate | SpanKind::Experiment if !span.gates.is_empty() => &["crit"],
            SpanKind::Person => &["active"],
            _ => &[],
        };
        task(
            out,
            ids,
            &mut previous,
            &span_name(span),
            tags,
            span.min_seconds,
        );
    }
    if r.old_version_kept_seconds > 0 {
        task(
            out,
            ids,
            &mut previous,
            &format!(
                "old version kept for a rollback · 100% of requests new · {}",
                seconds_text(r.old_version_kept_seconds)
            ),
            &["done"],
            r.old_version_kept_seconds,
        );
    }
}

fn promotion(out: &mut String, ids: &mut Ids, app: &str, t: &AppTimeline) {
    let Some(p) = &t.promotion else {
        return;
    };
    let _ = writeln!(out, "  section {}", text(&format!("{app} promotion")));
    let mut previous = None;
    task(
        out,
        ids,
        &mut previous,
        &format!(
            "the Warehouse finds the image · within {}",
            seconds_text(p.discovery_max_seconds)
        ),
        &[],
        0,
    );
    let mut done: Vec<(String, String)> = Vec::new();
    let start = previous.clone();
    for stage in &p.stages {
        let mut at = match &stage.from {
            Some(u) => done.iter().find(|(n, _)| n == u).map(|(_, id)| id.clone()),
            None => start.clone(),
        };
        if stage.manual {
            task(
                out,
                ids,
                &mut at,
                &format!("a person promotes into {} · waits for a person", stage.name),
                &["active"],
                0,
            );
        }
        if let Some(acts) = &stage.person_acts {
            task(
                out,
                ids,
                &mut at,
                &format!("{acts} into {} · waits for a person", stage.name),
                &["active"],
                0,
            );
        }
        task(
            out,
            ids,
            &mut at,
            &format!(
                "stage {} rolls out · done {}–{} after the push{}",
                stage.name,
                seconds_text(stage.done_best_seconds),
                seconds_text(stage.done_worst_seconds),
                if stage.waits_for_person {
                    " and a person's time"
                } else {
                    ""
                }
            ),
            &[],
            stage.done_best_seconds - stage.starts_best_seconds,
        );
        if let Some(id) = at {
            done.push((stage.name.clone(), id));
        }
    }
}

#[cfg(test)]
mod tests {
    /// What would end a task's name, a statement, or open a comment or a
    /// directive is written as an entity code, which Mermaid decodes.
    #[test]
    fn a_name_cannot_end_a_task_or_open_a_directive() {
        assert_eq!(
            super::text("a: b; c # d %%{init}%% <e>\nf"),
            "a#58; b#59; c #35; d #37;#37;#123;init#125;#37;#37; #lt;e#gt;\\u#123;a#125;f"
        );
    }
}
