//! What KubeVela does beside the components that oamc does not do: its
//! workflow (`spec.workflow`) and its built-in policies. In this GitOps flow
//! Argo CD applies what oamc prints, at once, so a workflow step (a `suspend`
//! approval before deploying) or a policy that changes the Application's own
//! resources (`override` replicas, `topology` clusters) would simply not
//! happen. Each is refused at its line with what to use instead; none can be
//! listed in `--external-types`, since nothing else would render it.

use crate::check::DocContext;
use crate::diagnostic::Code;
use crate::path;

/// KubeVela's built-in policies that act on this Application's own resources
/// or on how they are applied (KubeVela's `vela-templates/definitions/
/// internal/policy/`, every one but the schema), and what does the same here.
pub const BUILTIN_POLICIES: &[(&str, &str)] = &[
    (
        "override",
        "write the properties in the component itself; for values that differ per stage, keep one Application per stage (`deployment/<stage>/application.yaml`), which the kargo-promotion policy promotes",
    ),
    (
        "topology",
        "deploy to clusters and namespaces with the kargo-promotion policy's stages and their Argo CD `destination`s",
    ),
    (
        "replication",
        "keep one Application per copy, or one per stage with the kargo-promotion policy",
    ),
    (
        "garbage-collect",
        "Argo CD prunes what the rendered stream stops holding: set `syncPolicy.automated.prune` on the Argo CD Application",
    ),
    (
        "apply-once",
        "Argo CD decides what it applies: use `ignoreDifferences` or the `argocd.argoproj.io/sync-options` annotation on the Argo CD Application",
    ),
    (
        "shared-resource",
        "give the shared object one owner: one Argo CD Application renders it",
    ),
    (
        "take-over",
        "Argo CD adopts existing objects it applies; remove the policy",
    ),
    (
        "read-only",
        "leave the object out of the Application; Argo CD applies all it renders",
    ),
    (
        "resource-update",
        "Argo CD updates by server-side or client-side apply: set `syncOptions` on the Argo CD Application",
    ),
];

/// What to use instead of the built-in policy `name`, if it is one.
pub fn builtin_policy(name: &str) -> Option<&'static str> {
    BUILTIN_POLICIES
        .iter()
        .find(|(policy, _)| *policy == name)
        .map(|(_, instead)| *instead)
}

/// KubeVela's built-in workflow steps (`vela-templates/definitions/internal/
/// workflowstep/`) that users write around a deploy, and what does the same
/// here. Any other step type gets [`OTHER_STEP`].
pub const WORKFLOW_STEPS: &[(&str, &str)] = &[
    (
        "suspend",
        "for an approval before a stage, give that stage of the kargo-promotion policy `autoPromote: false`: Kargo then promotes only when a person does",
    ),
    (
        "deploy",
        "Argo CD applies every rendered object: remove the step (for clusters, use the kargo-promotion policy's stages and their `destination`s)",
    ),
    (
        "apply-component",
        "Argo CD applies every rendered object: remove the step",
    ),
    (
        "apply-application",
        "Argo CD applies every rendered object: remove the step",
    ),
    (
        "step-group",
        "each of its steps is refused on its own line with what to use instead; remove the group with them",
    ),
    (
        "apply-object",
        "write the object beside the Application and render with `--pass-through`, which prints it after the rendered objects",
    ),
    (
        "depends-on-app",
        "order Applications with Argo CD sync waves (`argocd.argoproj.io/sync-wave`), or promote them through Kargo stages",
    ),
    (
        "notification",
        "use Argo CD notifications (a trigger on sync) or Kargo's promotion events",
    ),
    (
        "webhook",
        "use Argo CD notifications (a webhook service), or an `http` step in the Kargo promotion",
    ),
    (
        "request",
        "use an `http` step in the Kargo promotion, or a gate (`functionalGate`) that calls the endpoint",
    ),
];

/// What to use instead of a step type [`WORKFLOW_STEPS`] does not list.
pub const OTHER_STEP: &str = "run it outside the GitOps flow (a CI job, or an `http` step in the Kargo promotion), and remove it from `spec.workflow`";

/// At most this many steps are named one by one; the rest are counted.
const MAX_STEP_DIAGNOSTICS: usize = 20;

/// A workflow with steps is refused at each step's `type` (a step group's
/// own steps too), with what does the same here: oamc prints what Argo CD
/// applies at once, so no step would run. A workflow with only a `mode`
/// is refused at `spec.workflow`. An empty workflow (`{}`, `steps: []`)
/// changes nothing and passes.
pub(crate) fn check_workflow(ctx: &mut DocContext, json: &serde_json::Value) {
    use serde_json::Value;
    let Some(workflow) = json.pointer("/spec/workflow") else {
        return;
    };
    let empty = match workflow {
        Value::Null => true,
        Value::Object(map) => map.iter().all(|(_, v)| match v {
            Value::Array(items) => items.is_empty(),
            Value::Object(fields) => fields.is_empty(),
            Value::Null => true,
            _ => false,
        }),
        _ => false,
    };
    if empty {
        return;
    }
    // Each step and sub-step, with its path, in order.
    let mut steps = Vec::new();
    let top = workflow.get("steps").and_then(Value::as_array);
    for (i, step) in top.into_iter().flatten().enumerate() {
        let at = path!["spec", "workflow", "steps", i];
        steps.push((at.clone(), step));
        let subs = step.get("subSteps").and_then(Value::as_array);
        for (j, sub) in subs.into_iter().flatten().enumerate() {
            steps.push((at.key("subSteps").index(j), sub));
        }
    }
    // A step without a readable type is refused too, at the step.
    let typed: Vec<_> = steps
        .iter()
        .map(|(at, step)| (at, step.get("type").and_then(Value::as_str)))
        .collect();
    if typed.is_empty() {
        // At the key, where the workflow is written.
        let pos = ctx.key_pos(&path!["spec"], "workflow");
        ctx.push_at(
            Code::Workflow,
            pos,
            "oamc does not run KubeVela workflows: Argo CD applies the rendered objects at once",
        )
        .help = Some("remove `spec.workflow`; for an approval before a stage, give that stage of the kargo-promotion policy `autoPromote: false`".into());
        return;
    }
    for (at, kind) in typed.iter().take(MAX_STEP_DIAGNOSTICS) {
        let Some(kind) = kind else {
            ctx.error(
                Code::Workflow,
                at,
                "a workflow step without a type: KubeVela refuses it, and oamc does not run workflows",
            )
            .help = Some("remove `spec.workflow`; for an approval before a stage, give that stage of the kargo-promotion policy `autoPromote: false`".into());
            continue;
        };
        let instead = WORKFLOW_STEPS
            .iter()
            .find(|(step, _)| step == kind)
            .map_or(OTHER_STEP, |(_, instead)| *instead);
        ctx.error(
            Code::Workflow,
            &at.key("type"),
            format!(
                "KubeVela would run the workflow step `{}` in the cluster; oamc prints what Argo CD applies at once, so it would not happen",
                crate::text::shown_within(kind, 40)
            ),
        )
        .help = Some(instead.into());
    }
    if typed.len() > MAX_STEP_DIAGNOSTICS {
        let pos = ctx.key_pos(&path!["spec"], "workflow");
        ctx.push_at(
            Code::Workflow,
            pos,
            format!(
                "and {} more workflow steps, refused alike",
                typed.len() - MAX_STEP_DIAGNOSTICS
            ),
        );
    }
}
