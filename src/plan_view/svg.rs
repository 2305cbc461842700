//! The timeline as a standalone SVG, for docs and dashboards: per component,
//! the share of requests on the new version over time (best case), each
//! gate in its own lane under it, each point where a gate can abort (traffic
//! back to 0%) marked, and a person's wait; then, with a kargo-promotion
//! policy, each stage from a new image's push. Plain SVG 1.1 with no script,
//! no external reference and no font file: any renderer draws it, no
//! browser runs at build time.
//!
//! Time is to scale. A step that takes no time in the best case (a weight
//! change, a switch) would be a vertical line, so it gets a narrow hatched
//! slot of its own, outside the scale, and the legend says so. The picture
//! is as wide and as tall as what it shows.

use crate::plan::AppPlan;
use crate::timeline::{PromotionTimeline, RolloutTimeline, SpanKind, StageTimeline, seconds_text};
use std::fmt::Write;

const LEFT: f64 = 72.0;
const RIGHT: f64 = 32.0;
/// The width the timed part of a rollout takes, whatever its length.
const TIMED: f64 = 640.0;
/// A step that takes no time: its slot.
const NARROW: f64 = 16.0;
const PLOT_TOP: f64 = 40.0;
const PLOT_HEIGHT: f64 = 140.0;
const LANE: f64 = 22.0;
const FONT: f64 = 13.0;
/// About this many px a character at 13 px sans-serif (wide enough for
/// DejaVu Sans, the widest of the usual defaults).
const CHAR: f64 = 7.6;
/// Characters of a user's name shown in the picture.
const MAX_NAME: usize = 60;

const LINE: &str = "#1f6feb";
const GATE: &str = "#f2cc60";
const ABORT: &str = "#cf222e";
const PERSON: &str = "#8250df";
const GRID: &str = "#d0d7de";
const INK: &str = "#24292f";
const SOFT: &str = "#57606a";

/// XML character data and attribute values, after the one escape.
fn xml(t: &str) -> String {
    crate::text::xml(&crate::text::shown_message(t))
}

/// A user's name as the picture shows it: escaped and short.
fn name(t: &str) -> String {
    crate::text::xml(&crate::text::shown_within(t, MAX_NAME))
}

fn width_of(text: &str) -> f64 {
    text.chars().count().min(MAX_NAME * 3) as f64 * CHAR
}

/// One part of the picture, drawn at the origin, and its size.
struct Part {
    body: String,
    width: f64,
    height: f64,
}

pub fn render(apps: &[AppPlan]) -> String {
    let mut parts = Vec::new();
    for app in apps {
        let timeline = crate::timeline::of_app(app);
        for r in &timeline.rollouts {
            parts.push(rollout(&app.name, r));
        }
        if let Some(p) = &timeline.promotion {
            parts.push(promotion(&app.name, p));
        }
    }
    let width = parts.iter().map(|p| p.width).fold(480.0, f64::max).ceil();
    let height = parts.iter().map(|p| p.height).sum::<f64>().max(40.0).ceil();
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{FONT}">"#
    );
    let _ = writeln!(
        out,
        "<title>Rollout timeline: requests on the new version over time (oamc plan)</title>"
    );
    // The hatch that marks a step drawn outside the time scale.
    let _ = writeln!(
        out,
        r##"<defs><pattern id="no-time" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="{GRID}" stroke-width="3"/></pattern></defs>"##
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let mut top = 0.0;
    for (i, part) in parts.iter().enumerate() {
        let _ = writeln!(out, r#"<g id="panel-{i}" transform="translate(0 {top})">"#);
        out.push_str(&part.body);
        out.push_str("</g>\n");
        top += part.height;
    }
    out.push_str("</svg>\n");
    out
}

/// Where each span is drawn: its slot from `x1` to `x2`. A span with time
/// takes `seconds × scale`; one without takes [`NARROW`].
struct Layout {
    boxes: Vec<(f64, f64)>,
    scale: f64,
    end: f64,
}

fn layout(r: &RolloutTimeline) -> Layout {
    let kept = r.old_version_kept_seconds;
    let seconds = (r.best_seconds + kept) as f64;
    let scale = if seconds > 0.0 { TIMED / seconds } else { 0.0 };
    let mut x = LEFT;
    let mut boxes = Vec::new();
    for span in &r.spans {
        let w = if span.min_seconds == 0 {
            NARROW
        } else {
            span.min_seconds as f64 * scale
        };
        boxes.push((x, x + w));
        x += w;
    }
    x += kept as f64 * scale;
    Layout {
        boxes,
        scale,
        end: x,
    }
}

/// Lanes for bars with labels: each bar (and its label after it) goes in
/// the first lane where it overlaps nothing. Returns each bar's lane.
fn lanes(bars: &[(f64, f64)]) -> Vec<usize> {
    let mut ends: Vec<f64> = Vec::new();
    bars.iter()
        .map(|&(x1, x2)| {
            let lane = ends
                .iter()
                .position(|&e| e + 8.0 <= x1)
                .unwrap_or(ends.len());
            if lane == ends.len() {
                ends.push(x2);
            } else {
                ends[lane] = x2;
            }
            lane
        })
        .collect()
}

/// One rollout's layout, which each part of its picture reads.
struct Plot<'a> {
    r: &'a RolloutTimeline,
    boxes: Vec<(f64, f64)>,
    scale: f64,
    end: f64,
}

fn rollout(app: &str, r: &RolloutTimeline) -> Part {
    let Layout { boxes, scale, end } = layout(r);
    let plot = Plot {
        r,
        boxes,
        scale,
        end,
    };
    let mut out = String::new();
    let title = format!(
        "{} / {} ({}): requests on the new version over time, best case",
        name(app),
        name(&r.component),
        r.strategy
    );
    let mut width = LEFT + width_of(&title);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold" fill="{INK}">{title}</text>"#
    );
    plot.grid(&mut out);
    plot.ticks(&mut out, &mut width);
    plot.share(&mut out, &mut width);
    plot.marks(&mut out, &mut width);
    let lanes_top = PLOT_TOP + PLOT_HEIGHT + 30.0;
    let lanes_used = plot.gate_lanes(&mut out, &mut width, lanes_top);
    let person = if r.waits_for_person {
        " + a person's time"
    } else {
        ""
    };
    let lines = [
        format!(
            "{} at best · {} at most before it completes or aborts{person}",
            seconds_text(r.best_seconds),
            seconds_text(r.worst_seconds),
        ),
        "time to scale; hatched: a step that takes no time (drawn narrow, outside the scale) · image pulls and pod starts not counted".to_owned(),
    ];
    let at = (lanes_top + lanes_used * LANE + 8.0, false);
    let foot = foot_lines(&mut out, &mut width, at, &lines);
    Part {
        body: out,
        width: (width.max(end) + RIGHT).ceil(),
        height: (foot + 18.0).ceil(),
    }
}

/// The height in the plot of a share of requests.
fn y(percent: f64) -> f64 {
    PLOT_TOP + PLOT_HEIGHT * (1.0 - percent / 100.0)
}

/// Notes under a picture, one a line, after `foot`; where the last one is.
/// `escaped`: written through `xml` (the rollout's notes, oamc's own words
/// without markup, are written as they are).
fn foot_lines(
    out: &mut String,
    width: &mut f64,
    (mut foot, escaped): (f64, bool),
    lines: &[String],
) -> f64 {
    for line in lines {
        foot += 16.0;
        let shown = if escaped { xml(line) } else { line.clone() };
        let _ = writeln!(
            out,
            r#"<text x="{LEFT}" y="{foot:.1}" fill="{SOFT}">{shown}</text>"#
        );
        *width = width.max(LEFT + width_of(line));
    }
    foot
}

impl Plot<'_> {
    /// Steps outside the time scale, hatched; the share's grid.
    fn grid(&self, out: &mut String) {
        let Plot { r, boxes, end, .. } = self;
        let end = *end;
        let y0 = PLOT_TOP;
        for (span, (x1, x2)) in r.spans.iter().zip(boxes) {
            if span.min_seconds == 0 {
                let _ = writeln!(
                    out,
                    r#"<rect class="no-time" x="{x1:.1}" y="{y0}" width="{:.1}" height="{PLOT_HEIGHT}" fill="url(#no-time)"/>"#,
                    x2 - x1
                );
            }
        }
        for percent in [0.0, 50.0, 100.0] {
            let _ = writeln!(
                out,
                r#"<line x1="{LEFT}" y1="{yy:.1}" x2="{end:.1}" y2="{yy:.1}" stroke="{GRID}"/><text x="{}" y="{:.1}" text-anchor="end" fill="{INK}">{percent}%</text>"#,
                LEFT - 8.0,
                y(percent) + 4.0,
                yy = y(percent),
            );
        }
    }

    fn ticks(&self, out: &mut String, width: &mut f64) {
        let Plot { r, boxes, end, .. } = self;
        let end = *end;
        let y0 = PLOT_TOP;
        // The time at each step's start where it differs from the last label
        // and leaves room for it; then the end.
        let mut ticks: Vec<(f64, u64)> = r
            .spans
            .iter()
            .zip(boxes)
            .map(|(s, (x1, _))| (*x1, s.start_seconds))
            .collect();
        ticks.push((end, r.best_seconds + r.old_version_kept_seconds));
        let mut last: Option<(f64, u64, f64)> = None;
        let axis = y0 + PLOT_HEIGHT;
        for (xx, t) in ticks {
            let label = seconds_text(t);
            let half = width_of(&label) / 2.0;
            if last.is_some_and(|(lx, lt, lhalf)| lt == t || xx - half < lx + lhalf + 6.0) {
                continue;
            }
            let _ = writeln!(
                out,
                r#"<line x1="{xx:.1}" y1="{y0}" x2="{xx:.1}" y2="{:.1}" stroke="{GRID}"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle" fill="{INK}">{label}</text>"#,
                axis + 4.0,
                axis + 18.0,
            );
            last = Some((xx, t, half));
            *width = width.max(xx + half);
        }
    }

    fn share(&self, out: &mut String, width: &mut f64) {
        let Plot { r, boxes, end, .. } = self;
        let end = *end;
        // The share of requests: a step line through every span, its value
        // written where it changes, inside the plot.
        let mut points = Vec::new();
        let mut before: Option<f64> = None;
        let mut labelled = f64::MIN;
        for (span, (x1, x2)) in r.spans.iter().zip(boxes) {
            let level = y(span.traffic.new_percent);
            points.push(format!("{x1:.1},{level:.1}"));
            points.push(format!("{x2:.1},{level:.1}"));
            let text = format!("{}%", span.traffic.new_percent);
            if before != Some(span.traffic.new_percent) && x1 - labelled >= 44.0 {
                labelled = *x1;
                // Above the line, below it near the top, and clear of the
                // abort labels at the bottom.
                let dy = match span.traffic.new_percent {
                    p if p > 85.0 => 16.0,
                    p if p < 10.0 => -22.0,
                    _ => -6.0,
                };
                // A value that would run past the plot ends at its step instead.
                let (tx, anchor) = if x1 + 3.0 + width_of(&text) > end {
                    (x2 - 3.0, "end")
                } else {
                    (x1 + 3.0, "start")
                };
                let _ = writeln!(
                    out,
                    r#"<text class="share" x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" fill="{LINE}">{text}</text>"#,
                    level + dy,
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
            // In the time it is kept, under the 100% line.
            let text = format!(
                "old version kept {}",
                seconds_text(r.old_version_kept_seconds)
            );
            let (tx, anchor) = if end - x2 >= width_of(&text) + 6.0 {
                ((x2 + end) / 2.0, "middle")
            } else {
                (x2 + 3.0, "start")
            };
            let _ = writeln!(
                out,
                r#"<text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" fill="{INK}">{text}</text>"#,
                y(100.0) + 18.0,
            );
            *width = width.max(x2 + 3.0 + width_of(&text));
        }
    }

    fn marks(&self, out: &mut String, width: &mut f64) {
        let Plot {
            r, boxes, scale, ..
        } = self;
        let scale = *scale;
        let y0 = PLOT_TOP;
        // Where a gate can abort (its word once where marks crowd), and where a
        // person acts.
        let mut abort_said = f64::MIN;
        for (span, (x1, _)) in r.spans.iter().zip(boxes) {
            if let Some(after) = span.fails_after_seconds {
                let xx = x1 + after.min(span.min_seconds) as f64 * scale;
                let _ = writeln!(
                    out,
                    r#"<line class="abort" x1="{xx:.1}" y1="{:.1}" x2="{xx:.1}" y2="{:.1}" stroke="{ABORT}" stroke-width="2" stroke-dasharray="4 3"/>"#,
                    y(span.traffic.new_percent),
                    y(0.0),
                );
                if xx - abort_said >= width_of("abort") + 8.0 {
                    abort_said = xx;
                    let _ = writeln!(
                        out,
                        r#"<text x="{:.1}" y="{:.1}" fill="{ABORT}">abort</text>"#,
                        xx + 3.0,
                        y(0.0) - 5.0,
                    );
                }
            }
            if span.kind == SpanKind::Person {
                let _ = writeln!(
                    out,
                    r#"<line class="person" x1="{x1:.1}" y1="{y0}" x2="{x1:.1}" y2="{:.1}" stroke="{PERSON}" stroke-width="2" stroke-dasharray="2 2"/><text x="{:.1}" y="{:.1}" fill="{PERSON}">a person promotes</text>"#,
                    y0 + PLOT_HEIGHT,
                    x1 + 3.0,
                    y0 + 30.0,
                );
                *width = width.max(x1 + 3.0 + width_of("a person promotes"));
            }
        }
    }

    fn gate_lanes(&self, out: &mut String, width: &mut f64, lanes_top: f64) -> f64 {
        let Plot { r, boxes, .. } = self;
        // Each gate in a lane of its own under the axis: gates that run at one
        // moment (an A/B test's) side by side in separate lanes, each labelled.
        let mut bars = Vec::new();
        for (span, &(x1, x2)) in r.spans.iter().zip(boxes) {
            for gate in &span.gates {
                let label = format!("{} gate", gate.name());
                let fits = width_of(&label) + 6.0 <= x2 - x1;
                let reach = if fits {
                    x2
                } else {
                    x2 + 4.0 + width_of(&label)
                };
                bars.push((x1, x2, label, fits, reach));
            }
        }
        let lane_of = lanes(&bars.iter().map(|b| (b.0, b.4)).collect::<Vec<_>>());
        for ((x1, x2, label, fits, reach), lane) in bars.iter().zip(&lane_of) {
            let top = lanes_top + *lane as f64 * LANE;
            let tx = if *fits { x1 + 4.0 } else { x2 + 4.0 };
            let _ = writeln!(
                out,
                r#"<rect class="gate" x="{x1:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{GATE}" stroke="{INK}" stroke-width="0.5"/><text x="{tx:.1}" y="{:.1}" fill="{INK}">{label}</text>"#,
                (x2 - x1).max(2.0),
                LANE - 6.0,
                top + LANE - 10.0,
            );
            *width = width.max(*reach);
        }
        lane_of.iter().max().map_or(0, |l| l + 1) as f64
    }
}

/// A stage's times, and what a person does on its way; whether one does.
fn stage_note(stage: &StageTimeline) -> (String, bool) {
    let mut note = format!(
        "{} – {}",
        seconds_text(stage.done_best_seconds),
        seconds_text(stage.done_worst_seconds)
    );
    if stage.manual {
        note.push_str(" + a person promotes");
    }
    if let Some(acts) = &stage.person_acts {
        note.push_str(&format!(" + {acts}"));
    }
    (note, stage.manual || stage.person_acts.is_some())
}

/// The promotion: each stage a row, from a new image's push, in order. The
/// solid bar runs from when the stage's rollout can start at best to when
/// it is done at best; the light one on to the latest it is done, the
/// Warehouse's interval and every slowest rollout included.
fn promotion(app: &str, p: &PromotionTimeline) -> Part {
    let mut out = String::new();
    let title = format!("{}: promotion of a new image through its stages", name(app));
    let mut width = LEFT + width_of(&title);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold" fill="{INK}">{title}</text>"#
    );
    let names: Vec<String> = p.stages.iter().map(|s| name(&s.name)).collect();
    let label_width = names.iter().map(|n| width_of(n)).fold(0.0, f64::max);
    let x0 = (LEFT + label_width + 12.0).max(LEFT + 40.0);
    let last = p
        .stages
        .iter()
        .map(|s| s.done_worst_seconds)
        .max()
        .unwrap_or(0)
        .max(p.discovery_max_seconds)
        .max(1);
    let scale = TIMED / last as f64;
    let x = |t: u64| x0 + t as f64 * scale;
    let top = 40.0;
    let row = 26.0;
    for (i, (stage, shown)) in p.stages.iter().zip(&names).enumerate() {
        let yy = top + i as f64 * row;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{INK}">{shown}</text>"#,
            x0 - 8.0,
            yy + 14.0
        );
        let (b1, b2) = (x(stage.starts_best_seconds), x(stage.done_best_seconds));
        let w2 = x(stage.done_worst_seconds);
        let _ = writeln!(
            out,
            r#"<rect class="stage-worst" x="{b1:.1}" y="{:.1}" width="{:.1}" height="16" fill="{LINE}" fill-opacity="0.2"/><rect class="stage" x="{b1:.1}" y="{:.1}" width="{:.1}" height="16" fill="{LINE}"/>"#,
            yy + 2.0,
            (w2 - b1).max(2.0),
            yy + 2.0,
            (b2 - b1).max(2.0),
        );
        let (note, person) = stage_note(stage);
        if stage.manual {
            let _ = writeln!(
                out,
                r#"<line class="person" x1="{b1:.1}" y1="{:.1}" x2="{b1:.1}" y2="{:.1}" stroke="{PERSON}" stroke-width="2" stroke-dasharray="2 2"/>"#,
                yy,
                yy + 20.0
            );
        }
        let nx = w2.max(b2) + 6.0;
        let colour = if person { PERSON } else { SOFT };
        let _ = writeln!(
            out,
            r#"<text x="{nx:.1}" y="{:.1}" fill="{colour}">{note}</text>"#,
            yy + 14.0
        );
        width = width.max(nx + width_of(&note));
    }
    let axis = top + p.stages.len() as f64 * row + 4.0;
    let mut ticks = vec![0, p.discovery_max_seconds, last];
    ticks.sort_unstable();
    ticks.dedup();
    let mut shown_at = f64::MIN;
    for t in ticks {
        let label = seconds_text(t);
        let xx = x(t);
        if xx - shown_at < width_of(&label) + 8.0 {
            continue;
        }
        shown_at = xx;
        let _ = writeln!(
            out,
            r#"<line x1="{xx:.1}" y1="{top}" x2="{xx:.1}" y2="{:.1}" stroke="{GRID}"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle" fill="{INK}">{label}</text>"#,
            axis,
            axis + 14.0
        );
    }
    let lines = [
        format!(
            "from the image's push: solid at best, light at the latest (the Warehouse looks every {}, every slowest rollout)",
            seconds_text(p.discovery_max_seconds)
        ),
        "not counted: Kargo's commit and push, Argo CD's sync, a person's time".to_owned(),
    ];
    let foot = foot_lines(&mut out, &mut width, (axis + 18.0, true), &lines);
    Part {
        body: out,
        width: (width.max(x(last)) + RIGHT).ceil(),
        height: (foot + 18.0).ceil(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_that_overlap_go_to_separate_lanes() {
        assert_eq!(lanes(&[(0.0, 10.0), (0.0, 10.0), (30.0, 40.0)]), [0, 1, 0]);
        assert_eq!(
            lanes(&[(0.0, 100.0), (50.0, 60.0), (104.0, 110.0)]),
            [0, 1, 1]
        );
    }
}
