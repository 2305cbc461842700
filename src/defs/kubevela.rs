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

/// A workflow with steps (or a mode) is refused at `spec.workflow`: oamc
/// prints what Argo CD applies at once, so a step would not run. An empty
/// workflow (`{}`, `steps: []`) changes nothing and passes.
pub(crate) fn check_workflow(ctx: &mut DocContext, json: &serde_json::Value) {
    let Some(workflow) = json.pointer("/spec/workflow") else {
        return;
    };
    let empty = match workflow {
        serde_json::Value::Null => true,
        serde_json::Value::Object(map) => map.iter().all(|(_, v)| match v {
            serde_json::Value::Array(items) => items.is_empty(),
            serde_json::Value::Object(fields) => fields.is_empty(),
            serde_json::Value::Null => true,
            _ => false,
        }),
        _ => false,
    };
    if empty {
        return;
    }
    let steps: Vec<String> = workflow
        .get("steps")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|step| step.get("type").and_then(serde_json::Value::as_str))
        .map(|t| format!("`{}`", crate::text::shown_within(t, 40)))
        .take(5)
        .collect();
    let which = if steps.is_empty() {
        String::new()
    } else {
        format!(" ({})", steps.join(", "))
    };
    // At the key, where the workflow is written.
    let pos = ctx.key_pos(&path!["spec"], "workflow");
    ctx.push_at(
        Code::Workflow,
        pos,
        format!(
            "oamc does not run KubeVela workflows: Argo CD applies the rendered objects at once, so these steps{which} would not happen"
        ),
    )
    .help = Some(
        "for an approval before a stage, give that stage of the kargo-promotion policy `autoPromote: false` (promoting is then a person's decision in Kargo); steps that only deploy (`deploy`, `apply-component`) need nothing: remove `spec.workflow`".into(),
    );
}
