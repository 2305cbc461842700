//! `plan --format mermaid`: each component's rollout and the promotion as
//! one flowchart, every name written so it cannot break the chart.

use super::events::{Event, events, on_failure};
use crate::plan::{AppPlan, PromotionPlan};
use std::fmt::Write;

/// Mermaid node ids are letters, digits and underscores; `__` separates the
/// parts. Each part is written injectively ([`id_part`]), so two names give
/// two ids and two Applications' diagrams never merge.
fn node_id(prefix: &str, suffix: &str) -> String {
    format!("{prefix}__{suffix}")
}

/// A name as an id part: ASCII letters and digits kept, any other character
/// written `_` and six hex digits. `_` is always followed by a hex digit, so
/// `__` never occurs inside a part and the parts of an id read back one way:
/// `a-b` and `a.b` stay apart (`a_00002db`, `a_00002eb`).
fn id_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push_str(&format!("_{:06x}", u32::from(c)));
        }
    }
    out
}

/// The id prefix of an Application: its namespace and name.
fn app_prefix(app: &AppPlan) -> String {
    format!(
        "{}__{}",
        id_part(app.namespace.as_deref().unwrap_or("")),
        id_part(&app.name)
    )
}

/// A flowchart label inside `"…"` ([`crate::text::mermaid`]).
fn label(text: &str) -> String {
    crate::text::mermaid(text, &[])
}

pub(super) fn mermaid(apps: &[AppPlan]) -> String {
    let mut out = String::from("flowchart TD\n");
    for app in apps {
        for s in &app.services {
            let prefix = format!("{}__{}", app_prefix(app), id_part(&s.name));
            let abort = node_id(&prefix, "abort");
            let _ = writeln!(
                out,
                "  subgraph {}[\"{} ({})\"]",
                node_id(&prefix, "rollout"),
                label(&s.name),
                s.strategy.name()
            );
            let mut previous: Option<String> = None;
            let mut has_gate = false;
            for (i, e) in events(s).into_iter().enumerate() {
                let id = node_id(&prefix, &i.to_string());
                let node = match &e {
                    Event::Start(t) => format!("{id}([\"{}\"])", label(t)),
                    Event::Action(t) => format!("{id}[\"{}\"]", label(t)),
                    Event::Gate { label: t } => format!("{id}{{\"{}\"}}", label(t)),
                    Event::Done(t) => format!("{id}([\"{}\"])", label(t)),
                };
                let _ = writeln!(out, "    {node}");
                if let Some(prev) = &previous {
                    let _ = writeln!(out, "    {prev} --> {id}");
                }
                if matches!(e, Event::Gate { .. }) {
                    has_gate = true;
                    let _ = writeln!(out, "    {id} -- fails --> {abort}");
                }
                previous = Some(id);
            }
            if has_gate {
                let _ = writeln!(out, "    {abort}[[\"{}\"]]", label(on_failure(s)));
            }
            let _ = writeln!(out, "  end");
        }
        if let Some(p) = &app.promotion {
            mermaid_promotion(&mut out, &app_prefix(app), p);
        }
    }
    out
}

fn mermaid_promotion(out: &mut String, app_prefix: &str, p: &PromotionPlan) {
    let prefix = format!("{app_prefix}__kargo");
    let warehouse = node_id(&prefix, "warehouse");
    let _ = writeln!(
        out,
        "  subgraph {}[\"promotion: {}\"]",
        node_id(&prefix, "pipeline"),
        label(&p.project)
    );
    let _ = writeln!(
        out,
        "    {warehouse}[(\"{}\")]",
        label(&format!("Warehouse: {}", p.image_repo))
    );
    for stage in &p.stages {
        // `stage__`: a stage named `warehouse` is not the Warehouse.
        let stage_id = |name: &str| node_id(&prefix, &format!("stage__{}", id_part(name)));
        let id = stage_id(&stage.name);
        let _ = writeln!(
            out,
            "    {id}[\"{}\"]",
            label(&format!("stage {}", stage.name))
        );
        let from = stage
            .upstream
            .as_ref()
            .map_or(warehouse.clone(), |u| stage_id(u));
        let how = if stage.auto_promote { "auto" } else { "manual" };
        let _ = writeln!(out, "    {from} -- {how} --> {id}");
        let deploy = node_id(&prefix, &format!("argocd__{}", id_part(&stage.name)));
        let _ = writeln!(
            out,
            "    {deploy}[\"{}\"]",
            label(&format!(
                "commit {}{}, Argo CD {} syncs it",
                p.repo_file(&stage.name),
                p.task_of(stage)
                    .and_then(|t| t.steps.iter().find_map(|s| s.person_acts()))
                    .map_or(String::new(), |acts| format!(", {acts}")),
                p.argocd_app.show(&stage.name)
            ))
        );
        let _ = writeln!(out, "    {id} --> {deploy}");
    }
    let _ = writeln!(out, "  end");
}
