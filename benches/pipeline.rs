//! In-process cost of each pipeline stage on the spec's example (all three
//! gates). `cargo bench`; the whole-process comparison is scripts/bench.sh.

use oamc::diagnostic::SourceFile;
use std::sync::Arc;

fn main() {
    divan::main();
}

const APP: &str = include_str!("../fixtures/render/spec-gates/application.yaml");

fn file() -> Arc<SourceFile> {
    Arc::new(SourceFile {
        name: "application.yaml".into(),
        text: APP.into(),
    })
}

#[divan::bench]
fn parse() -> Vec<oamc::dom::Node> {
    oamc::dom::parse_stream(divan::black_box(APP)).unwrap()
}

#[divan::bench]
fn check(bencher: divan::Bencher) {
    let checker = oamc::driver::Checker::new(Default::default());
    let file = file();
    bencher.bench_local(|| checker.check_file(divan::black_box(&file)));
}

/// The spec example checked and planned, and the built-in templates.
fn planned() -> (oamc::plan::AppPlan, oamc::render::Templates) {
    let report = oamc::driver::Checker::new(Default::default()).check_file(&file());
    let plan = oamc::defs::plan_app(&report.apps[0], None, &Default::default());
    (
        plan,
        oamc::render::Templates::load(None, None).ok().unwrap(),
    )
}

/// The spec example rendered (not yet verified), and the templates.
fn rendered() -> (Vec<oamc::render::RenderedDoc>, oamc::render::Templates) {
    let (plan, templates) = planned();
    let docs = templates.render_app(&plan, Default::default()).unwrap();
    (docs, templates)
}

#[divan::bench]
fn plan(bencher: divan::Bencher) {
    let report = oamc::driver::Checker::new(Default::default()).check_file(&file());
    let platform = oamc::platform::Platform::default();
    bencher
        .bench_local(|| oamc::defs::plan_app(divan::black_box(&report.apps[0]), None, &platform));
}

#[divan::bench]
fn render(bencher: divan::Bencher) {
    let (plan, templates) = planned();
    bencher.bench_local(|| {
        templates
            .render_app(divan::black_box(&plan), Default::default())
            .unwrap()
    });
}

#[divan::bench]
fn verify(bencher: divan::Bencher) {
    let (docs, templates) = rendered();
    bencher.bench_local(|| oamc::verify::verify(divan::black_box(&docs), &templates).unwrap());
}

/// Reading one Application's rendered documents back: the fast reader
/// `verify` uses, and serde-saphyr, which it stands in for.
#[divan::bench(args = ["readback", "serde-saphyr"])]
fn read_back(bencher: divan::Bencher, reader: &str) {
    let (docs, _) = rendered();
    let read = match reader {
        "readback" => oamc::readback::read_documents,
        _ => oamc::dom::parse_values,
    };
    bencher.bench_local(|| {
        for doc in divan::black_box(&docs) {
            read(&doc.text).unwrap();
        }
    });
}

#[divan::bench]
fn emit(bencher: divan::Bencher) {
    let (docs, templates) = rendered();
    let verified = oamc::verify::verify(&docs, &templates).unwrap();
    // Emitting consumes the documents; the copy is made outside the timing.
    bencher
        .with_inputs(|| verified.clone())
        .bench_local_values(|docs| {
            let manifests: Vec<_> = docs
                .into_iter()
                .map(|doc| oamc::emit::manifest(doc).unwrap())
                .collect();
            oamc::emit::to_yaml_stream(&manifests)
        });
}
