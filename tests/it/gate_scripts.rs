//! The gate Jobs' scripts, run for real: the exact command, args and env of
//! each rendered AnalysisTemplate, with only `{{args.service-name}}` filled in
//! (as Argo Rollouts does), executed with the tools gate images carry —
//! busybox (as in `busybox` and `httpd:alpine`), the GNU tools, ab from
//! apache2-utils and Artillery from npm — against a test server on loopback.
//!
//! Nothing here is skipped: a missing tool fails the test with the package
//! that provides it (`.ci/run` installs them all).

use crate::common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::app_server::{App, closed_port};

fn serve() -> u16 {
    crate::app_server::serve(App::default())
}

/// One component per case, rendered by the real binary; its gate Jobs by name.
fn render(components: &[Value]) -> BTreeMap<String, Value> {
    let app = json!({
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "gates"},
        "spec": {"components": components},
    });
    let out = oamc(&["render", "-"], Some(&app.to_string()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    yaml_docs(&text(&out.stdout))
        .into_iter()
        .filter(|d| d["kind"] == "AnalysisTemplate")
        .map(|d| {
            let name = d["metadata"]["name"].as_str().unwrap().to_owned();
            let job = d
                .pointer("/spec/metrics/0/provider/job/spec/template/spec/containers/0")
                .expect("a Job gate")
                .clone();
            (name, job)
        })
        .collect()
}

fn component(name: &str, port: u16, app_path: &str, gate: &str, body: Value) -> Value {
    json!({
        "name": name,
        "type": "appmod-service",
        "properties": {
            "image": "ghcr.io/acme/shop:1.0.0",
            "image_name": "shop",
            "port": port,
            "appPath": app_path,
            gate: body,
        },
    })
}

/// A directory of the tools one kind of gate image has, and nothing else.
struct Toolset {
    name: &'static str,
    dir: PathBuf,
}

fn required(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.exists(),
        "{path} is missing: install {package} (.ci/run does)"
    );
    p
}

fn toolset(name: &'static str, tools: &[(&str, PathBuf)]) -> Toolset {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("oamc-gate-tools-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (tool, target) in tools {
        std::os::unix::fs::symlink(target, dir.join(tool)).unwrap();
    }
    Toolset { name, dir }
}

fn busybox_tools(extra: &[(&str, PathBuf)]) -> Toolset {
    let busybox = required("/bin/busybox", "busybox");
    let mut tools: Vec<(&str, PathBuf)> = ["sh", "grep", "awk", "head", "cat", "env", "mktemp"]
        .iter()
        .map(|t| (*t, busybox.clone()))
        .collect();
    tools.extend(extra.iter().cloned());
    let set = toolset("busybox", &tools);
    // wget as on busybox builds without timeout support: `-T` crashes it
    // (a segmentation fault, status 139), so a script that passes it fails.
    let wget = set.dir.join("wget");
    std::fs::write(
        &wget,
        "#!/bin/busybox sh\nfor a in \"$@\"; do case \"$a\" in -T*) echo 'Segmentation fault' >&2; exit 139;; esac; done\nexec /bin/busybox wget \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wget, std::fs::Permissions::from_mode(0o755)).unwrap();
    set
}

fn gnu_tools(extra: &[(&str, PathBuf)]) -> Toolset {
    let mut tools = vec![
        ("sh", required("/bin/bash", "bash")),
        ("wget", required("/usr/bin/wget", "wget")),
        ("grep", required("/bin/grep", "grep")),
        ("awk", required("/usr/bin/gawk", "gawk")),
        ("head", required("/usr/bin/head", "coreutils")),
        ("cat", required("/bin/cat", "coreutils")),
        ("env", required("/usr/bin/env", "coreutils")),
    ];
    tools.extend(extra.iter().cloned());
    toolset("gnu", &tools)
}

/// Debian's defaults: dash as `sh`, mawk as `awk`.
fn debian_tools(extra: &[(&str, PathBuf)]) -> Toolset {
    let mut tools = vec![
        ("sh", required("/bin/dash", "dash")),
        ("awk", required("/usr/bin/mawk", "mawk")),
        ("cat", required("/bin/cat", "coreutils")),
        ("env", required("/usr/bin/env", "coreutils")),
    ];
    tools.extend(extra.iter().cloned());
    toolset("dash-mawk", &tools)
}

fn ab() -> (&'static str, PathBuf) {
    ("ab", required("/usr/bin/ab", "apache2-utils"))
}

fn artillery() -> Vec<(&'static str, PathBuf)> {
    let bin = root().join("tests/tools/node_modules/.bin/artillery");
    assert!(
        bin.exists(),
        "Artillery is missing: run `npm ci --prefix tests/tools` (.ci/run does)"
    );
    vec![
        ("artillery", bin),
        ("node", required("/usr/bin/node", "nodejs")),
    ]
}

/// What a run of one gate printed and how it ended.
struct Run {
    code: Option<i32>,
    log: String,
}

/// Run the container's command and args with its env, as the kubelet would,
/// with only the tools of `tools` on PATH.
fn run_job(job: &Value, tools: &Toolset) -> Run {
    let command: Vec<&str> = job["command"]
        .as_array()
        .unwrap()
        .iter()
        .chain(job["args"].as_array().unwrap())
        .map(|v| v.as_str().unwrap())
        .collect();
    // A home and /tmp of its own, as each pod has.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let home = tools.dir.join(format!("home-{run}"));
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(tools.dir.join(command[0]));
    cmd.args(&command[1..])
        .env_clear()
        .env("PATH", &tools.dir)
        .env("HOME", &home)
        .env("TMPDIR", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // As the kubelet sets them: each value expanded over the ones before it.
    let mut defined = std::collections::BTreeMap::new();
    for e in job["env"].as_array().unwrap() {
        let value = e["value"]
            .as_str()
            .unwrap()
            .replace("{{args.service-name}}", "127.0.0.1");
        let value = kubelet_expand(&value, &defined);
        cmd.env(e["name"].as_str().unwrap(), &value);
        defined.insert(e["name"].as_str().unwrap().to_owned(), value);
    }
    let mut child = cmd.spawn().expect("the gate's shell starts");
    // The Job's activeDeadlineSeconds, scaled down: a hung script fails the test.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    Run {
        code: status.and_then(|s| s.code()),
        log: format!("{}{}", text(&out.stdout), text(&out.stderr)),
    }
}

/// Every case's verdict with every toolset; all mismatches reported at once.
/// A load (the performance gate) holds the load lock for the whole judgement.
/// The cases run side by side, but for those in `timed` (expected to pass a
/// latency limit), which then run one at a time: a busy machine never turns
/// such a pass into a failure, and other load only makes the failing cases
/// fail more.
fn judge(
    cases: &[(&str, bool)],
    timed: &[&str],
    jobs: &BTreeMap<String, Value>,
    template: &str,
    sets: &[Toolset],
) {
    let load = template == "performance-gate";
    let _alone = load.then(crate::app_server::load_lock);
    let alone = |case: &str| timed.contains(&case);
    let runs: Vec<(&str, &str, bool)> = sets
        .iter()
        .flat_map(|set| {
            cases
                .iter()
                .map(move |(case, pass)| (set.name, *case, *pass))
        })
        .collect();
    let set_named = |name: &str| sets.iter().find(|s| s.name == name).unwrap();
    let job = |case: &str| &jobs[&format!("{template}-{case}")];
    let mut results: Vec<(&str, &str, bool, Run)> = Vec::new();
    // Side by side: every case but the timed ones.
    std::thread::scope(|s| {
        let spawned: Vec<_> = runs
            .iter()
            .filter(|(_, case, _)| !alone(case))
            .map(|&(set, case, pass)| {
                let (job, tools) = (job(case), set_named(set));
                (set, case, pass, s.spawn(move || run_job(job, tools)))
            })
            .collect();
        for (set, case, pass, run) in spawned {
            results.push((set, case, pass, run.join().unwrap()));
        }
    });
    // One at a time: the timed cases.
    for &(set, case, pass) in runs.iter().filter(|(_, case, _)| alone(case)) {
        results.push((set, case, pass, run_job(job(case), set_named(set))));
    }
    let mut wrong = Vec::new();
    for (set, case, pass, run) in results {
        let expected = if pass { Some(0) } else { Some(1) };
        if run.code != expected {
            wrong.push(format!(
                "{template}-{case} with {set}: exit {:?}, expected {expected:?}\n{}",
                run.code, run.log
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n---\n"));
}

#[test]
fn the_functional_gate_judges_pages_with_busybox_and_gnu_tools() {
    let up = serve();
    let down = closed_port();
    let gate = |text: &str| json!({"pause": "5s", "image": "busybox:1.36", "extraArgs": text});
    let cases = [
        // (case, port, appPath, expected text, passes)
        ("present", up, "/app", "status: ok", true),
        // A basic regular expression, as upstream's `grep -q` read it.
        ("pattern", up, "/app", "status.*ok", true),
        ("absent", up, "/app", "status: broken", false),
        // appPath `/app/` and `/app` fetch the same `/app/`.
        ("slash", up, "/app/", "<h1>shop</h1>", true),
        // A redirect is followed to the page it names.
        ("redirect", up, "/moved", "status: ok", true),
        ("not-found", up, "/nowhere", "status: ok", false),
        ("server-error", up, "/error", "boom", false),
        ("down", down, "/app", "status: ok", false),
        // No expected text: any 2xx answer passes (upstream's default `extraArgs: ""`).
        ("any-answer", up, "/app", "", true),
        ("any-answer-down", down, "/app", "", false),
    ];
    let components: Vec<Value> = cases
        .iter()
        .map(|(name, port, path, text, _)| {
            component(name, *port, path, "functionalGate", gate(text))
        })
        .collect();
    let jobs = render(&components);
    let verdicts: Vec<(&str, bool)> = cases.iter().map(|c| (c.0, c.4)).collect();
    judge(
        &verdicts,
        &[],
        &jobs,
        "functional-gate",
        &[busybox_tools(&[]), gnu_tools(&[])],
    );
}

#[test]
fn the_performance_gate_judges_load_with_ab() {
    let up = serve();
    let down = closed_port();
    let gate = |limit: Option<&str>| match limit {
        Some(ms) => json!({"pause": "5s", "image": "httpd:alpine", "extraArgs": ms}),
        None => json!({"pause": "5s", "image": "httpd:alpine"}),
    };
    let cases = [
        // (case, port, appPath, limit, passes)
        ("fast", up, "/app", Some("500"), true),
        ("no-limit", up, "/app", None, true),
        ("no-limit-slow", up, "/slow", None, true),
        ("slow", up, "/slow", Some("20"), false),
        ("server-error", up, "/error", Some("500"), false),
        ("server-error-no-limit", up, "/error", None, false),
        // ab does not follow redirects: a 302 is not a 2xx answer.
        ("redirect", up, "/moved", Some("500"), false),
        ("dropped", up, "/drop", Some("500"), false),
        ("down", down, "/app", Some("500"), false),
    ];
    let components: Vec<Value> = cases
        .iter()
        .map(|(name, port, path, limit, _)| {
            component(name, *port, path, "performanceGate", gate(*limit))
        })
        .collect();
    let jobs = render(&components);
    for job in jobs.values() {
        assert!(
            job["command"].to_string().contains("sh"),
            "ab runs from sh: {job}"
        );
    }
    let verdicts: Vec<(&str, bool)> = cases.iter().map(|c| (c.0, c.4)).collect();
    judge(
        &verdicts,
        // The one verdict that rests on a latency limit and passes.
        &["fast"],
        &jobs,
        "performance-gate",
        &[
            busybox_tools(&[ab()]),
            gnu_tools(&[ab()]),
            debian_tools(&[ab()]),
        ],
    );
}

#[test]
fn the_performance_gate_judges_load_with_artillery() {
    let up = serve();
    let down = closed_port();
    // Implied by the image for some cases, named with `tool:` for the others.
    let gate = |limit: Option<&str>, named: bool| {
        let mut g = json!({"pause": "5s", "image": "artilleryio/artillery:2.0.23"});
        if named {
            g["image"] = json!("ghcr.io/acme/load:1.0");
            g["tool"] = json!("artillery");
        }
        if let Some(ms) = limit {
            g["extraArgs"] = json!(ms);
        }
        g
    };
    let cases = [
        ("fast", up, "/app", Some("500"), false, true),
        ("no-limit", up, "/slow", None, true, true),
        ("slow", up, "/slow", Some("20"), true, false),
        ("server-error", up, "/error", Some("500"), false, false),
        ("down", down, "/app", Some("500"), true, false),
    ];
    let components: Vec<Value> = cases
        .iter()
        .map(|(name, port, path, limit, named, _)| {
            component(name, *port, path, "performanceGate", gate(*limit, *named))
        })
        .collect();
    let mut jobs = render(&components);
    for job in jobs.values_mut() {
        shorten_artillery_phases(job);
    }
    let verdicts: Vec<(&str, bool)> = cases.iter().map(|c| (c.0, c.5)).collect();
    // The artilleryio/artillery image is Alpine: busybox's sh runs the script.
    judge(
        &verdicts,
        // The one verdict that rests on a latency limit and passes.
        &["fast"],
        &jobs,
        "performance-gate",
        &[busybox_tools(&artillery())],
    );
}

/// Artillery's phases as oamc plans them (a 5 s warm-up, 10 s sustained),
/// cut to 1 s and 2 s in the Job's `ARTILLERY_CONFIG`: what the test judges
/// is the verdict (errors, status codes, the mean-latency threshold), which
/// the phases' length does not change; 15 s of load per case only made the
/// suite wait (five cases, one load at a time).
fn shorten_artillery_phases(job: &mut Value) {
    let env = job["env"].as_array_mut().expect("env");
    let config = env
        .iter_mut()
        .find(|e| e["name"] == "ARTILLERY_CONFIG")
        .expect("an Artillery gate");
    let mut parsed: Value = serde_json::from_str(config["value"].as_str().unwrap()).unwrap();
    let phases = parsed["config"]["phases"].as_array_mut().unwrap();
    let planned: Vec<&Value> = phases.iter().map(|p| &p["duration"]).collect();
    assert_eq!(planned, [&json!(5), &json!(10)], "{phases:?}");
    phases[0]["duration"] = json!(1);
    phases[1]["duration"] = json!(2);
    config["value"] = json!(parsed.to_string());
}

/// The script is fixed text: a user's expected text, however shell-like,
/// reaches `grep` as data and is matched, never run.
#[test]
fn expected_text_is_data_to_grep_not_script() {
    let up = serve();
    let marker = std::env::temp_dir().join(format!("oamc-gate-pwned-{}", std::process::id()));
    let hostile = format!(
        "$(touch {m})`touch {m}`'; touch {m}; '",
        m = marker.display()
    );
    let components = [component(
        "hostile",
        up,
        "/app",
        "functionalGate",
        json!({"pause": "5s", "image": "busybox:1.36", "extraArgs": hostile}),
    )];
    let jobs = render(&components);
    let job = &jobs["functional-gate-hostile"];
    for set in [busybox_tools(&[]), gnu_tools(&[])] {
        let run = run_job(job, &set);
        assert_eq!(run.code, Some(1), "not on the page: {}", run.log);
        assert!(
            !Path::new(&marker).exists(),
            "the text ran as a command with {}",
            set.name
        );
    }
}
