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
const PANEL: u64 = 230;
const PLOT_TOP: u64 = 44;
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

/// A tick step of whole, readable seconds giving at most eight ticks.
fn tick_step(total: u64) -> u64 {
    const STEPS: &[u64] = &[
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| total / s <= 8)
        .unwrap_or_else(|| total.div_ceil(8).max(1))
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

fn panel(out: &mut String, top: u64, app: &str, r: &RolloutTimeline) {
    let total = (r.best_seconds + r.old_version_kept_seconds).max(1);
    let plot_width = WIDTH - LEFT - RIGHT;
    let x = |seconds: u64| LEFT as f64 + seconds as f64 * plot_width as f64 / total as f64;
    let y0 = top + PLOT_TOP;
    let y = |percent: f64| y0 as f64 + PLOT_HEIGHT as f64 * (1.0 - percent / 100.0);
    let _ = writeln!(out, r#"<g id="panel-{}">"#, top / PANEL);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="{}" font-size="14" font-weight="bold" fill="{INK}">{} / {} ({}): requests on the new version, best case</text>"#,
        top + 22,
        xml(app),
        xml(&r.component),
        r.strategy
    );
    // The grid: 0, 50 and 100% of requests; a tick every readable step.
    for percent in [0.0, 50.0, 100.0] {
        let _ = writeln!(
            out,
            r#"<line x1="{LEFT}" y1="{yy:.1}" x2="{}" y2="{yy:.1}" stroke="{GRID}"/><text x="{}" y="{:.1}" text-anchor="end" fill="{INK}">{percent}%</text>"#,
            WIDTH - RIGHT,
            LEFT - 6,
            y(percent) + 4.0,
            yy = y(percent),
        );
    }
    let step = tick_step(total);
    let mut t = 0;
    while t <= total {
        let _ = writeln!(
            out,
            r#"<line x1="{xx:.1}" y1="{}" x2="{xx:.1}" y2="{}" stroke="{GRID}"/><text x="{xx:.1}" y="{}" text-anchor="middle" fill="{INK}">{}</text>"#,
            y0,
            y0 + PLOT_HEIGHT + 4,
            y0 + PLOT_HEIGHT + 18,
            seconds_text(t),
            xx = x(t),
        );
        t += step;
    }
    // Gates first, under the line.
    for span in r
        .spans
        .iter()
        .filter(|s| s.kind == SpanKind::Gate || !s.gates.is_empty())
    {
        let (x1, x2) = (
            x(span.start_seconds),
            x(span.start_seconds + span.min_seconds),
        );
        let _ = writeln!(
            out,
            r#"<rect class="gate" x="{x1:.1}" y="{y0}" width="{:.1}" height="{PLOT_HEIGHT}" fill="{GATE}" fill-opacity="0.45"/><text x="{:.1}" y="{}" fill="{INK}">{}</text>"#,
            (x2 - x1).max(3.0),
            x1 + 2.0,
            y0 - 4,
            xml(&span.label),
        );
    }
    // The share of requests: a step line through every span.
    let mut points = Vec::new();
    for span in &r.spans {
        let level = y(span.traffic.new_percent);
        points.push(format!("{:.1},{level:.1}", x(span.start_seconds)));
        points.push(format!(
            "{:.1},{level:.1}",
            x(span.start_seconds + span.min_seconds)
        ));
    }
    points.push(format!("{:.1},{:.1}", x(total), y(100.0)));
    let _ = writeln!(
        out,
        r#"<polyline class="traffic" points="{}" fill="none" stroke="{LINE}" stroke-width="2.5"/>"#,
        points.join(" ")
    );
    // Where a gate can abort: traffic back to the old version.
    for span in &r.spans {
        if let Some(after) = span.fails_after_seconds {
            let xx = x(span.start_seconds + after.min(span.min_seconds));
            let _ = writeln!(
                out,
                r#"<line class="abort" x1="{xx:.1}" y1="{:.1}" x2="{xx:.1}" y2="{:.1}" stroke="{ABORT}" stroke-width="2" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" fill="{ABORT}">abort: 0%</text>"#,
                y(span.traffic.new_percent),
                y(0.0),
                xx + 3.0,
                y(0.0) - 4.0,
            );
        }
        if span.kind == SpanKind::Person {
            let xx = x(span.start_seconds);
            let _ = writeln!(
                out,
                r#"<line class="person" x1="{xx:.1}" y1="{y0}" x2="{xx:.1}" y2="{}" stroke="{PERSON}" stroke-width="2" stroke-dasharray="2 2"/><text x="{:.1}" y="{}" fill="{PERSON}">a person promotes</text>"#,
                y0 + PLOT_HEIGHT,
                xx + 3.0,
                y0 + 14,
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
        r#"<text x="{LEFT}" y="{}" fill="{INK}">{} at best, {} at most before it completes or aborts{person}; image pulls and pod starts not counted</text>"#,
        y0 + PLOT_HEIGHT + 38,
        seconds_text(r.best_seconds),
        seconds_text(r.worst_seconds),
    );
    out.push_str("</g>\n");
}
