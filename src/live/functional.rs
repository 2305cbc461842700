//! The functional gate, as its Job runs it: `wget -q -O -` (a 2xx answer,
//! redirects followed) and `grep -q -e "$EXPECTED_TEXT"` on the answer's lines.

use super::bre::{Bre, BreError};
use super::http;
use super::{GateResult, Target};
use crate::defs::gates::JobPlan;
use crate::plan::{Gate, Verdict};

/// `expected`: the basic regular expression the answer must match (empty: any 2xx).
pub fn run(job: &JobPlan, expected: &str, target: &Target) -> GateResult {
    let url = http::join(&target.url, &job.path);
    let threshold = match expected {
        "" => "a 2xx answer".to_owned(),
        text => format!("a 2xx answer matching {text:?}"),
    };
    let result = |verdict, measured: String| GateResult {
        gate: Gate::Functional,
        name: "functional".into(),
        verdict,
        measured,
        value: None,
        threshold: threshold.clone(),
        target: format!("GET {url}"),
    };
    // The pattern is read first: one grep cannot read fails the Job whatever the answer.
    let pattern = match Bre::new(expected) {
        Ok(p) => p,
        Err(BreError::Refused(why)) => {
            return result(Verdict::Fail, format!("the expected text {why}"));
        }
        Err(BreError::Unsupported(why)) => {
            return result(Verdict::Inconclusive, format!("the expected text {why}"));
        }
    };
    let answer = match http::get_following(target, &url) {
        Ok(a) => a,
        Err(why) => return result(Verdict::Fail, why.to_string()),
    };
    if !(200..300).contains(&answer.status) {
        return result(Verdict::Fail, format!("status {}", answer.status));
    }
    let moved = if answer.url == url {
        String::new()
    } else {
        format!(" from {}", answer.url)
    };
    if pattern.matches_a_line(&answer.body) {
        return result(
            Verdict::Pass,
            format!("status {}{moved}, text matches", answer.status),
        );
    }
    let start: String = String::from_utf8_lossy(&answer.body)
        .chars()
        .take(80)
        .collect();
    result(
        Verdict::Fail,
        format!(
            "status {}{moved}, no line matches; the answer begins {start:?}",
            answer.status
        ),
    )
}
