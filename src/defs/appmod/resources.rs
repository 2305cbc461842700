//! The container's `resources`, held to what the API server checks of a pod
//! template's `ResourceRequirements` (kubernetes v1.33
//! `pkg/apis/core/validation/validation.go`: `validateResourceRequirements`,
//! `validateContainerResourceName`, `ValidateResourceQuantityValue`;
//! `pkg/apis/core/helper/helpers.go`: `IsOvercommitAllowed`,
//! `IsExtendedResourceName`). The Rollout is a custom resource, so the API
//! server takes it as written; the ReplicaSet Argo Rollouts then creates is
//! refused, after oamc exited 0.

use crate::check::quantity::{self, Quantity};
use crate::check::{DocContext, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One side of the requirements: each resource's name and its quantity, as
/// written (text, or a number kubectl sends as JSON).
pub(super) type Amounts = BTreeMap<String, Value>;

/// What Kubernetes makes of a resource name in a container.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resource {
    /// cpu, memory, ephemeral-storage, `kubernetes.io/…`: a request may be
    /// below its limit.
    Native,
    /// `hugepages-<size>`: request and limit equal, amounts whole pages.
    HugePages(Quantity),
    /// `vendor.example/device`: whole numbers, request and limit equal.
    Extended,
}

/// Why a resource name is refused.
#[derive(Debug)]
enum NameError {
    /// Not a qualified name at all.
    Syntax(syntax::Invalid),
    /// A name, but not one of a container resource (the rule, worded).
    Unknown(&'static str),
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::Syntax(why) => write!(f, "is not a resource name: {why}"),
            NameError::Unknown(why) => f.write_str(why),
        }
    }
}

fn resource(name: &str) -> Result<Resource, NameError> {
    if let Err(why) = syntax::qualified_name(name) {
        return Err(NameError::Syntax(why));
    }
    if let Some(size) = name.strip_prefix("hugepages-") {
        return match quantity::parse(size) {
            Ok(page) if page > Quantity::ZERO => Ok(Resource::HugePages(page)),
            _ => Err(NameError::Unknown(
                "names no page size Kubernetes reads (e.g. `hugepages-2Mi`)",
            )),
        };
    }
    if !name.contains('/') {
        return match name {
            "cpu" | "memory" | "ephemeral-storage" => Ok(Resource::Native),
            _ => Err(NameError::Unknown(
                "is not a container resource: Kubernetes takes cpu, memory, ephemeral-storage, hugepages-<size>, or a domain-prefixed extended resource (`nvidia.com/gpu`)",
            )),
        };
    }
    if name.contains("kubernetes.io/") {
        return Ok(Resource::Native);
    }
    // An extended resource is also counted by quota as `requests.<name>`,
    // which must be a qualified name too (`IsExtendedResourceName`).
    let for_quota = format!("requests.{name}");
    if name.starts_with("requests.") || syntax::qualified_name(&for_quota).is_err() {
        return Err(NameError::Unknown(
            "does not follow the extended resource name standard (`<domain>/<name>`)",
        ));
    }
    Ok(Resource::Extended)
}

fn amount_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Check `requests` and `limits` at `at` (`…properties.resources`).
pub(super) fn check(
    ctx: &mut DocContext,
    at: &DocPath,
    requests: Option<Amounts>,
    limits: Option<Amounts>,
) {
    let mut read = BTreeMap::new();
    let mut compute = false;
    let mut huge = None;
    let sides = [("requests", requests), ("limits", limits)];
    for (kind, amounts) in &sides {
        let kind = *kind;
        for (name, value) in amounts.iter().flatten() {
            let here = at.key(kind).key(name);
            let kind_of = match resource(name) {
                Ok(r) => r,
                Err(why) => {
                    // At the key, where the name is written.
                    let pos = ctx.key_pos(&at.key(kind), name);
                    ctx.push_at(
                        Code::ResourceName,
                        pos,
                        format!("`{}` {why}", crate::text::shown(name)),
                    );
                    continue;
                }
            };
            compute |= matches!(name.as_str(), "cpu" | "memory");
            if matches!(kind_of, Resource::HugePages(_)) {
                huge.get_or_insert(here.clone());
            }
            let Some(text) = amount_text(value) else {
                continue;
            };
            let amount = match quantity::parse(&text) {
                Ok(q) => q,
                Err(why) => {
                    ctx.error(
                        Code::Quantity,
                        &here,
                        format!("{kind}.{name} `{}` {why}", crate::text::shown(&text)),
                    )
                    .help = Some(
                        "e.g. `512Mi` (binary), `1G` (decimal), `500m` (thousandths), `2`".into(),
                    );
                    continue;
                }
            };
            if let Some(why) = refused_amount(kind_of, amount) {
                ctx.error(
                    Code::ResourceValue,
                    &here,
                    format!("{kind}.{name} `{}` {why}", crate::text::shown(&text)),
                );
                continue;
            }
            read.insert((kind, name.as_str()), (kind_of, amount, text));
        }
    }
    if let (Some(here), false) = (huge, compute) {
        ctx.error(
            Code::ResourceValue,
            &here,
            "huge pages need a cpu or memory request or limit beside them; Kubernetes refuses them alone",
        );
    }
    for ((kind, name), (kind_of, request, text)) in &read {
        if *kind != "requests" {
            continue;
        }
        let limit = read.get(&("limits", name));
        if let Some(why) = over_limit(*kind_of, *request, limit.map(|(_, q, t)| (*q, t.as_str()))) {
            ctx.error(
                Code::ResourceLimit,
                &at.key("requests").key(*name),
                format!("requests.{name} `{}` {why}", crate::text::shown(text)),
            )
            .help = Some(match kind_of {
                Resource::Native => "lower the request, or raise the limit".into(),
                _ => format!("give `limits.{name}` the same amount"),
            });
        }
    }
}

/// Why the API server refuses this amount of this resource, if it does.
fn refused_amount(kind: Resource, amount: Quantity) -> Option<String> {
    if amount < Quantity::ZERO {
        return Some("is negative; Kubernetes refuses a negative amount".into());
    }
    match kind {
        Resource::Extended if !amount.is_whole() => {
            Some("is a fraction; Kubernetes counts extended resources in whole units".into())
        }
        Resource::HugePages(page) if !amount.is_multiple_of(page) => {
            Some("is not a whole number of pages of this size".into())
        }
        _ => None,
    }
}

/// Why a request and its limit (if given) cannot stand together.
fn over_limit(
    kind: Resource,
    request: Quantity,
    limit: Option<(Quantity, &str)>,
) -> Option<String> {
    match (kind, limit) {
        (Resource::Native, Some((limit, text)))
            if request.cmp_value(limit) == Ordering::Greater =>
        {
            Some(format!(
                "is above its limit `{}`; Kubernetes refuses a request over the limit",
                crate::text::shown(text)
            ))
        }
        (Resource::Native, _) => None,
        (_, None) => Some(
            "has no limit; Kubernetes needs an equal limit for huge pages and extended resources"
                .into(),
        ),
        (_, Some((limit, text))) if request.cmp_value(limit) != Ordering::Equal => Some(format!(
            "differs from its limit `{}`; Kubernetes needs them equal for huge pages and extended resources",
            crate::text::shown(text)
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_as_kubernetes_reads_them() {
        for native in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "example.kubernetes.io/x",
        ] {
            assert!(matches!(resource(native), Ok(Resource::Native)), "{native}");
        }
        assert!(matches!(resource("nvidia.com/gpu"), Ok(Resource::Extended)));
        assert!(matches!(
            resource("hugepages-2Mi"),
            Ok(Resource::HugePages(_))
        ));
        for refused in ["gpu", "CPU", "hugepages-x", "requests.a/b", "a/b/c", ""] {
            assert!(resource(refused).is_err(), "{refused}");
        }
    }
}
