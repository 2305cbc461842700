//! oamc: compile OAM Applications with `appmod-service` components into the
//! manifests GitOps applies.
//!
//! The pipeline, one module per stage, driven by [`driver`]:
//! [`load`] inputs → [`dom`] spanned YAML → check (the [`check`] toolkit,
//! the JSON Schema, and each definition's rules in [`defs`]) into typed
//! values → [`plan`] one resolved model, built by each definition →
//! [`render`] templates → [`verify`] read back and cross-check → [`emit`]
//! canonical YAML. [`cli`] and [`cmp`] are thin layers over the driver.
//!
//! Imports run down the pipeline, never back up, and never in a circle
//! (held by `tests/it/architecture.rs`, which reads every `crate::` path):
//! - [`plan`] is the leaf of the model: it imports nothing from the crate
//!   but [`names`], so any stage may read it and it depends on none;
//! - a stage imports only stages before it: load, check, defs (each
//!   definition's check and plan), render, verify, emit, driver, in that
//!   order; [`settings`], [`cli`] and [`cmp`] sit above the driver;
//! - the top-level modules form no import circle.

// Input is untrusted: library code reports problems, it does not panic on them.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod check;
pub mod cli;
pub mod cmp;
pub mod defs;
pub mod diagnostic;
#[cfg(feature = "diff")]
pub mod diff;
pub mod dom;
pub mod driver;
pub mod emit;
/// The live runner behind `oamc gates` (the gates themselves are defined in `defs`).
#[cfg(feature = "gates")]
pub mod live;
pub mod load;
pub mod model;
pub mod names;
pub mod out_dir;
pub mod plan;
pub mod plan_view;
pub mod platform;
pub mod readback;
pub mod render;
pub mod schema;
pub mod semantics;
pub mod settings;
pub mod text;
pub mod timeline;
pub mod verify;

pub use driver::{Compilation, CompiledApp, Options, Validation, compile, plan_only, validate};
