//! `scaler` (a fixed replica count), `hpa` and `cpuscaler`
//! (HorizontalPodAutoscalers on the Rollout, which then leaves `replicas`
//! to them).

use super::{CheckedTrait, Site, Slot, TraitDefinition, schema_of};
use crate::check::DocContext;
use crate::diagnostic::Code;
use crate::dom::{DocPath, Seg};
use crate::model::TextOrNumber;
use crate::path;
use crate::plan::{HpaMetricPlan, HpaPlan, ServicePlan};
use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The `scaler` trait.
pub struct ScalerTrait;

impl TraitDefinition for ScalerTrait {
    fn name(&self) -> &'static str {
        "scaler"
    }
    fn properties(&self) -> &'static str {
        "`replicas`"
    }
    fn renders(&self) -> &'static str {
        "the Rollout's replicas"
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<Scaler>(generator)
    }
    fn slot(&self) -> Option<Slot> {
        Some(Slot::Replicas)
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        Some(Arc::new(site.typed::<Scaler>(props)?))
    }
}

impl CheckedTrait for Scaler {
    fn plan(&self, service: &mut ServicePlan) {
        service.replicas = Some(self.replicas);
    }
}

/// The `hpa` trait.
pub struct HpaTrait;

impl TraitDefinition for HpaTrait {
    fn name(&self) -> &'static str {
        "hpa"
    }
    fn properties(&self) -> &'static str {
        "`min = 1`, `max = 10`, `cpu = {type: Utilization, value: 50}`, `mem`"
    }
    fn renders(&self) -> &'static str {
        "an `autoscaling/v2` HorizontalPodAutoscaler on the Rollout; the Rollout then leaves `replicas` to it"
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<Hpa>(generator)
    }
    fn slot(&self) -> Option<Slot> {
        Some(Slot::Replicas)
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let hpa = site.typed::<Hpa>(props)?;
        let checked = check_hpa(site.ctx, &site.props_at, hpa)?;
        for (key, resource, target) in [
            ("cpu", "cpu", &checked.cpu),
            ("mem", "memory", &checked.mem),
        ] {
            if let Some(HpaTarget::Utilization(_)) = target {
                site.claims
                    .utilization
                    .push((site.props_at.key(key).key("type"), resource));
            }
        }
        Some(Arc::new(Autoscaler::Hpa(checked)))
    }
}

/// The `cpuscaler` trait.
pub struct CpuScalerTrait;

impl TraitDefinition for CpuScalerTrait {
    fn name(&self) -> &'static str {
        "cpuscaler"
    }
    fn properties(&self) -> &'static str {
        "`min = 1`, `max = 10`, `cpuUtil = 50`"
    }
    fn renders(&self) -> &'static str {
        "the same, on CPU only"
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<CpuScaler>(generator)
    }
    fn slot(&self) -> Option<Slot> {
        Some(Slot::Replicas)
    }
    fn check(&self, site: &mut Site<'_, '_>, props: &Value) -> Option<Arc<dyn CheckedTrait>> {
        let c = site.typed::<CpuScaler>(props)?;
        check_min_max(site.ctx, &site.props_at.key("max"), c.min, c.max);
        // cpuUtil is a Utilization target, written or not.
        let at = if props.get("cpuUtil").is_some() {
            site.props_at.key("cpuUtil")
        } else {
            site.base.key("type")
        };
        site.claims.utilization.push((at, "cpu"));
        Some(Arc::new(Autoscaler::Cpu(c)))
    }
}

/// The Rollout leaves `replicas` to the HorizontalPodAutoscaler.
impl CheckedTrait for Autoscaler {
    fn plan(&self, service: &mut ServicePlan) {
        service.autoscaler = Some(plan_autoscaler(&service.name, self));
        service.replicas = None;
    }
}

/// `scaler`: a fixed number of replicas.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "scaler trait properties")]
pub struct Scaler {
    #[schemars(range(min = 0, max = 10000))]
    pub replicas: u32,
}

/// `hpa`: a HorizontalPodAutoscaler on CPU and/or memory.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hpa trait properties")]
pub struct Hpa {
    #[serde(default = "defaults::hpa_min")]
    #[schemars(range(min = 1, max = 10000))]
    pub min: u32,
    #[serde(default = "defaults::hpa_max")]
    #[schemars(range(min = 1, max = 10000))]
    pub max: u32,
    #[serde(default = "defaults::hpa_cpu")]
    pub cpu: Option<ResourceTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<ResourceTarget>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceTarget {
    /// `Utilization` (percent of requests) or `AverageValue` (a quantity).
    #[serde(default, rename = "type")]
    pub kind: TargetType,
    pub value: TextOrNumber,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum TargetType {
    #[default]
    Utilization,
    AverageValue,
}

/// `cpuscaler`: a HorizontalPodAutoscaler on CPU utilization.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "cpuscaler trait properties")]
pub struct CpuScaler {
    #[serde(default = "defaults::hpa_min")]
    #[schemars(range(min = 1, max = 10000))]
    pub min: u32,
    #[serde(default = "defaults::hpa_max")]
    #[schemars(range(min = 1, max = 10000))]
    pub max: u32,
    #[serde(default = "defaults::cpu_util")]
    #[schemars(range(min = 1, max = 1000))]
    pub cpu_util: u32,
}

/// Upstream's defaults, named so the schema and the docs can show them.
pub mod defaults {
    use super::TextOrNumber;
    pub fn hpa_min() -> u32 {
        1
    }
    pub fn hpa_max() -> u32 {
        10
    }
    pub fn hpa_cpu() -> Option<super::ResourceTarget> {
        Some(super::ResourceTarget {
            kind: super::TargetType::Utilization,
            value: TextOrNumber::Number(50.into()),
        })
    }
    pub fn cpu_util() -> u32 {
        50
    }
}

#[derive(Debug, Clone)]
pub enum Autoscaler {
    Hpa(CheckedHpa),
    Cpu(CpuScaler),
}

/// An `hpa` trait with its targets typed.
#[derive(Debug, Clone)]
pub struct CheckedHpa {
    pub min: u32,
    pub max: u32,
    pub cpu: Option<HpaTarget>,
    pub mem: Option<HpaTarget>,
}

/// What an HPA metric aims for: a whole percentage of the requests, or a quantity.
#[derive(Debug, Clone, PartialEq)]
pub enum HpaTarget {
    Utilization(u32),
    AverageValue(String),
}

fn check_hpa(ctx: &mut DocContext, at: &DocPath, h: Hpa) -> Option<CheckedHpa> {
    check_min_max(ctx, &at.join(&path!["max"]), h.min, h.max);
    if h.cpu.is_none() && h.mem.is_none() {
        ctx.error(Code::HpaTarget, at, "hpa needs a cpu or mem target");
        return None;
    }
    let mut target = |key: &str, t: Option<ResourceTarget>| -> Result<Option<HpaTarget>, ()> {
        let Some(t) = t else { return Ok(None) };
        let value_at = at.key(key).key("value");
        let checked = match (t.kind, &t.value) {
            (TargetType::Utilization, TextOrNumber::Number(n)) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| (1..=i32::MAX as u32).contains(v))
                .map(HpaTarget::Utilization),
            (TargetType::Utilization, TextOrNumber::Text(_)) => None,
            (TargetType::AverageValue, v) => {
                let text = v.text();
                // Positive, as the HPA's validation requires (kubernetes
                // `pkg/apis/autoscaling/validation`, `validateMetricTarget`).
                crate::check::quantity::parse(&text)
                    .is_ok_and(|q| q > crate::check::quantity::Quantity::ZERO)
                    .then_some(HpaTarget::AverageValue(text))
            }
        };
        match checked {
            Some(c) => Ok(Some(c)),
            None => {
                let (what, example) = match t.kind {
                    TargetType::Utilization => {
                        ("a whole percentage of the pods' requests", "value: 50")
                    }
                    TargetType::AverageValue => ("a positive Kubernetes quantity", "value: 500m"),
                };
                ctx.error(
                    Code::HpaTarget,
                    &value_at,
                    format!(
                        "{key} target `{}` must be {what} for type {:?}",
                        t.value.text(),
                        t.kind
                    ),
                )
                .help = Some(format!("e.g. {example}"));
                Err(())
            }
        }
    };
    let cpu = target("cpu", h.cpu);
    let mem = target("mem", h.mem);
    Some(CheckedHpa {
        min: h.min,
        max: h.max,
        // An Err was reported where it was found.
        cpu: cpu.ok()?,
        mem: mem.ok()?,
    })
}

fn check_min_max(ctx: &mut DocContext, at: &[Seg], min: u32, max: u32) {
    if min > max {
        ctx.error(
            Code::TraitMinMax,
            at,
            format!("max ({max}) is below min ({min})"),
        );
    }
}

fn plan_autoscaler(name: &str, a: &Autoscaler) -> HpaPlan {
    let metric = |resource: &'static str, t: &HpaTarget| match t {
        HpaTarget::Utilization(percent) => HpaMetricPlan {
            resource,
            target_type: "Utilization",
            utilization: Some(u64::from(*percent)),
            average_value: None,
        },
        HpaTarget::AverageValue(quantity) => HpaMetricPlan {
            resource,
            target_type: "AverageValue",
            utilization: None,
            average_value: Some(quantity.clone()),
        },
    };
    match a {
        Autoscaler::Hpa(h) => HpaPlan {
            name: crate::names::autoscaler(name),
            min: h.min,
            max: h.max,
            metrics: h
                .cpu
                .iter()
                .map(|t| metric("cpu", t))
                .chain(h.mem.iter().map(|t| metric("memory", t)))
                .collect(),
        },
        Autoscaler::Cpu(c) => HpaPlan {
            name: crate::names::autoscaler(name),
            min: c.min,
            max: c.max,
            metrics: vec![HpaMetricPlan {
                resource: "cpu",
                target_type: "Utilization",
                utilization: Some(u64::from(c.cpu_util)),
                average_value: None,
            }],
        },
    }
}
