//! The one integration-test binary: every module links the crate once (as
//! ripgrep and just do), and runs the real `oamc` binary where users would.

mod api_server;
mod app_server;
mod architecture;
mod cli;
mod cmp;
mod common;
mod complete_or_refused;
mod controllers;
mod diagnostics;
#[cfg(feature = "diff")]
mod diff;
mod docs;
mod gate_scripts;
#[cfg(feature = "gates")]
mod gates;
#[cfg(feature = "gates")]
mod gates_bre;
mod hostile;
mod hostile_repository;
mod hostile_text;
mod output_dir;
mod precommit;
mod promotion;
mod promql_grammar;
mod properties;

mod release;
mod render_golden;
mod schema_editors;
mod schema_formats;
mod templates;
mod timeline;
mod upstream_differential;
mod wheel;
