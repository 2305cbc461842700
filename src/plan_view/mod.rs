//! `oamc plan`: the rollout a person will see, read from the same resolved
//! plan the renderer formats, in every format: text, a Mermaid flowchart,
//! JSON, a Mermaid gantt chart and an SVG picture of the timeline.

mod events;
mod gantt;
mod mermaid;
mod svg;
mod text;

pub use events::step_lines;

use crate::plan::AppPlan;
use crate::timeline;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Numbered steps, for a terminal.
    Text,
    /// A Mermaid flowchart, for a pull request or a README.
    Mermaid,
    /// The resolved plan itself (the model the templates format) with each
    /// Application's `timeline`, for scripts.
    Json,
    /// The timeline as a Mermaid gantt chart: each step over time, best case.
    Gantt,
    /// The timeline as a standalone SVG: the share of requests on the new
    /// version over time, gates and where they can abort.
    Svg,
}

pub fn render(apps: &[AppPlan], format: PlanFormat) -> Result<String, serde_json::Error> {
    Ok(match format {
        PlanFormat::Text => apps.iter().map(text::text).collect::<Vec<_>>().join("\n"),
        PlanFormat::Mermaid => mermaid::mermaid(apps),
        PlanFormat::Json => {
            /// The plan as the templates see it, its timeline beside it.
            #[derive(serde::Serialize)]
            struct WithTimeline<'a> {
                #[serde(flatten)]
                plan: &'a AppPlan,
                timeline: timeline::AppTimeline,
            }
            let apps: Vec<WithTimeline> = apps
                .iter()
                .map(|plan| WithTimeline {
                    plan,
                    timeline: timeline::of_app(plan),
                })
                .collect();
            crate::text::json_without_commands(serde_json::to_string_pretty(&apps)? + "\n")
        }
        PlanFormat::Gantt => gantt::render(apps),
        PlanFormat::Svg => svg::render(apps),
    })
}
