//! `appmod-service`: a web service rolled out by Argo Rollouts (canary,
//! blue/green or an A/B experiment) behind up to three quality gates. Its
//! properties (`props`), rules (`rules`) and plan (`plan`) live here.

mod plan;
pub mod props;
mod resources;
mod rules;
pub(crate) use rules::moving_tag;

pub use crate::defs::gates::NAMESPACE_ARG;
pub use crate::defs::gates::performance::CheckedPerformance;
pub(crate) use plan::plan_service;
pub use plan::{AB_CANARY, AB_VARIANT_LABEL};
pub use props::*;
pub(crate) use rules::check_component;

use super::traits::CheckedTraits;

#[derive(Debug, Clone)]
pub struct CheckedService {
    pub name: String,
    pub props: AppmodService,
    pub traits: CheckedTraits,
    /// The performance gate's tool and limit, resolved once.
    pub performance: Option<CheckedPerformance>,
    /// The web gate's target and JSONPath, read once.
    pub web: Option<crate::defs::gates::web::CheckedWeb>,
    /// Every duration of the properties, read once.
    pub durations: CheckedDurations,
}

/// The component's durations as the controllers read them, read once by the
/// checker (the rules reported any that does not read): the planner, the
/// timeline and `diff` use these, and never parse text again.
#[derive(Debug, Clone)]
pub struct CheckedDurations {
    /// Between canary weights; none: the platform's.
    pub canary_pause: Option<crate::plan::PauseDuration>,
    pub functional_pause: Option<crate::plan::PauseDuration>,
    pub performance_pause: Option<crate::plan::PauseDuration>,
    pub metrics_pause: Option<crate::plan::PauseDuration>,
    /// Each metrics criterion's interval, in order.
    pub intervals: Vec<crate::plan::GoDuration>,
    /// The web gate's pause and interval.
    pub web: Option<(crate::plan::PauseDuration, crate::plan::GoDuration)>,
    pub ab_duration: crate::plan::GoDuration,
}
