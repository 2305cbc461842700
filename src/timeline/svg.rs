//! The timeline as a standalone SVG, for docs and dashboards: per component,
//! the share of requests on the new version over time (best case), each
//! gate's time shaded, each point where a gate can abort (traffic back to
//! 0%) marked, and a person's wait. Plain SVG 1.1 with no script, no
//! external reference and no font file: any renderer draws it, no browser
//! runs at build time.

use super::{RolloutTimeline, SpanKind, seconds_text};
use crate::plan::AppPlan;
use std::fmt::Write;

const WIDTH: u64 = 960;
const LEFT: u64 = 64;
const RIGHT: u64 = 24;
const PANEL: u64 = 250;
const PLOT_TOP: u64 = 60;
const PLOT_HEIGHT: u64 = 130;

const LINE: &str = "#1f6feb";
const GATE: &str = "#f2cc60";
const ABORT: &str = "#cf222e";
const PERSON: &str = "#8250df";
const GRID: &str = "#d0d7de";
const INK: &str = "#24292f";

/// XML character data and attribute values, after the one escape.
fn xml(t: &str) -> String {
    crate::text::xml(&crate::text::shown_message(t))
}

pub fn render(apps: &[AppPlan]) -> String {
    let panels: Vec<(String, RolloutTimeline)> = apps
        .iter()
        .flat_map(|app| {
            super::of_app(app)
                .rollouts
                .into_iter()
                .map(move |r| (app.name.clone(), r))
        })
        .collect();
    let height = PANEL * panels.len().max(1) as u64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        "<title>Rollout timeline: requests on the new version over time (oamc plan)</title>"
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
    for (i, (app, r)) in panels.iter().enumerate() {
        panel(&mut out, PANEL * i as u64, app, r);
    }
    out.push_str("</svg>\n");
    out
}

/// Where each span is drawn: its box from `x1` to `x2`, and where its time
/// runs (`x1` to `x1 + min × scale`). Time is to scale, and each span also
/// gets a fixed narrow slot after its time, so a step that takes no time in
/// the best case still shows its traffic.
struct Layout {
    boxes: Vec<(f64, f64)>,
    scale: f64,
    end: f64,
}

fn layout(r: &RolloutTimeline) -> Layout {
    let plot_width = (WIDTH - LEFT - RIGHT) as f64;
    let kept = r.old_version_kept_seconds;
    let seconds = (r.best_seconds + kept) as f64;
    let slots = (r.spans.len() + usize::from(kept > 0)) as f64;
    // A quarter of the width for the slots, the rest for time (all of it
    // when nothing takes time).
    let slot = if seconds > 0.0 {
        plot_width * 0.25 / slots.max(1.0)
    } else {
        plot_width / slots.max(1.0)
    };
    let scale = if seconds > 0.0 {
        plot_width * 0.75 / seconds
    } else {
        0.0
    };
    let mut x = LEFT as f64;
    let mut boxes = Vec::new();
    for span in &r.spans {
        let x2 = x + span.min_seconds as f64 * scale + slot;
        boxes.push((x, x2));
        x = x2;
    }
    if kept > 0 {
        x += kept as f64 * scale + slot;
    }
    Layout {
        boxes,
        scale,
        end: x,
    }
}

fn panel(out: &mut String, top: u64, app: &str, r: &RolloutTimeline) {
    let Layout { boxes, scale, end } = layout(r);
    let y0 = top + PLOT_TOP;
    let y = |percent: f64| y0 as f64 + PLOT_HEIGHT as f64 * (1.0 - percent / 100.0);
    let _ = writeln!(out, r#"<g id="panel-{}">"#, top / PANEL);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="{}" font-size="14" font-weight="bold" fill="{INK}">{} / {} ({}): requests on the new version over time, best case</text>"#,
        top + 22,
        xml(app),
        xml(&r.component),
        r.strategy
    );
    for percent in [0.0, 50.0, 100.0] {
        let _ = writeln!(
            out,
            r#"<line x1="{LEFT}" y1="{yy:.1}" x2="{end:.1}" y2="{yy:.1}" stroke="{GRID}"/><text x="{}" y="{:.1}" text-anchor="end" fill="{INK}">{percent}%</text>"#,
            LEFT - 6,
            y(percent) + 4.0,
            yy = y(percent),
        );
    }
    // The time at each step's start, where it differs from the last label
    // and leaves room for it; then the end.
    let mut ticks: Vec<(f64, u64)> = r
        .spans
        .iter()
        .zip(&boxes)
        .map(|(s, (x1, _))| (*x1, s.start_seconds))
        .collect();
    ticks.push((end, r.best_seconds + r.old_version_kept_seconds));
    let mut last: Option<(f64, u64)> = None;
    let count = ticks.len();
    for (i, (xx, t)) in ticks.into_iter().enumerate() {
        let at_end = i + 1 == count;
        if last.is_some_and(|(lx, lt)| lt == t || xx - lx < if at_end { 70.0 } else { 48.0 }) {
            continue;
        }
        let anchor = if at_end && i > 0 { "end" } else { "middle" };
        let _ = writeln!(
            out,
            r#"<line x1="{xx:.1}" y1="{y0}" x2="{xx:.1}" y2="{}" stroke="{GRID}"/><text x="{xx:.1}" y="{}" text-anchor="{anchor}" fill="{INK}">{}</text>"#,
            y0 + PLOT_HEIGHT + 4,
            y0 + PLOT_HEIGHT + 18,
            seconds_text(t),
        );
        last = Some((xx, t));
    }
    // Gates under the line, their names in two rows above the plot.
    let mut row = 0;
    for (span, (x1, x2)) in r.spans.iter().zip(&boxes) {
        if span.kind != SpanKind::Gate && span.gates.is_empty() {
            continue;
        }
        // About 6.6 px a character at 12 px: a name that would run past
        // the right edge ends at its box instead.
        let wide = span.label.chars().count() as f64 * 6.6;
        let (tx, anchor) = if x1 + 2.0 + wide > (WIDTH - 4) as f64 {
            (x2 - 2.0, "end")
        } else {
            (x1 + 2.0, "start")
        };
        let _ = writeln!(
            out,
            r#"<rect class="gate" x="{x1:.1}" y="{y0}" width="{:.1}" height="{PLOT_HEIGHT}" fill="{GATE}" fill-opacity="0.45"/><text x="{tx:.1}" y="{}" text-anchor="{anchor}" fill="{INK}">{}</text>"#,
            x2 - x1,
            y0 - 5 - 13 * (row % 2),
            xml(&span.label),
        );
        row += 1;
    }
    // The share of requests: a step line through every span, its value
    // written where it changes.
    let mut points = Vec::new();
    let mut before: Option<f64> = None;
    let mut labelled = f64::MIN;
    for (span, (x1, x2)) in r.spans.iter().zip(&boxes) {
        let level = y(span.traffic.new_percent);
        points.push(format!("{x1:.1},{level:.1}"));
        points.push(format!("{x2:.1},{level:.1}"));
        // A value is written where it changes, if the last one left room.
        if before != Some(span.traffic.new_percent) && x1 - labelled >= 40.0 {
            labelled = *x1;
            let (dy, anchor) = if span.traffic.new_percent > 90.0 {
                (14.0, "start")
            } else {
                (-5.0, "start")
            };
            let _ = writeln!(
                out,
                r#"<text class="share" x="{:.1}" y="{:.1}" text-anchor="{anchor}" fill="{LINE}">{}%</text>"#,
                x1 + 3.0,
                level + dy,
                span.traffic.new_percent
            );
        }
        before = Some(span.traffic.new_percent);
    }
    points.push(format!("{end:.1},{:.1}", y(100.0)));
    let _ = writeln!(
        out,
        r#"<polyline class="traffic" points="{}" fill="none" stroke="{LINE}" stroke-width="2.5"/>"#,
        points.join(" ")
    );
    if r.old_version_kept_seconds > 0
        && let Some((_, x2)) = boxes.last()
    {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" fill="{INK}">old version kept {}</text>"#,
            x2 + 3.0,
            y(0.0) - 4.0,
            seconds_text(r.old_version_kept_seconds)
        );
    }
    // Where a gate can abort: traffic back to the old version.
    for (span, (x1, _)) in r.spans.iter().zip(&boxes) {
        if let Some(after) = span.fails_after_seconds {
            let xx = x1 + after.min(span.min_seconds) as f64 * scale;
            let _ = writeln!(
                out,
                r#"<line class="abort" x1="{xx:.1}" y1="{:.1}" x2="{xx:.1}" y2="{:.1}" stroke="{ABORT}" stroke-width="2" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" fill="{ABORT}">abort</text>"#,
                y(span.traffic.new_percent),
                y(0.0),
                xx + 3.0,
                y(0.0) - 4.0,
            );
        }
        if span.kind == SpanKind::Person {
            let _ = writeln!(
                out,
                r#"<line class="person" x1="{x1:.1}" y1="{y0}" x2="{x1:.1}" y2="{}" stroke="{PERSON}" stroke-width="2" stroke-dasharray="2 2"/><text x="{:.1}" y="{}" fill="{PERSON}">a person promotes</text>"#,
                y0 + PLOT_HEIGHT,
                x1 + 3.0,
                y0 + 28,
            );
        }
    }
    let person = if r.waits_for_person {
        " + a person's time"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="{}" fill="{INK}">{} at best · {} at most before it completes or aborts{person} · steps that take no time drawn narrow · image pulls and pod starts not counted</text>"#,
        y0 + PLOT_HEIGHT + 38,
        seconds_text(r.best_seconds),
        seconds_text(r.worst_seconds),
    );
    out.push_str("</g>\n");
}
