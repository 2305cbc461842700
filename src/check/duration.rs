//! Durations as the controllers read them, and what oamc accepts of them.
//!
//! Three readers meet the durations oamc writes:
//! - Go's `time.ParseDuration` (go `src/time/format.go`, `ParseDuration`):
//!   Argo Rollouts reads an analysis `interval`/`initialDelay` and an
//!   Experiment's `duration` with it (argo-rollouts v1.9.1
//!   `pkg/apis/rollouts/v1alpha1/analysis_types.go`, `DurationString.Duration`);
//! - a canary pause step (same version, `types.go`,
//!   `RolloutPause.DurationSeconds`): a base-10 32-bit integer is seconds,
//!   anything else goes through `ParseDuration` and is cut to whole seconds;
//! - Kargo's Warehouse `interval`: the CRD's pattern
//!   `^([0-9]+(\.[0-9]+)?(s|m|h))+$`, then `ParseDuration` (`metav1.Duration`).
//!
//! The models are held to their projects' own test vectors
//! (`tests/data/go-parse-duration.json`, `tests/data/argo-rollout-pause.json`).
//! oamc refuses one thing they accept, on purpose: a sign `-`. Argo's
//! validation refuses a negative pause (`validation.go`, `InvalidDurationMessage`)
//! and a negative interval or Experiment duration means nothing.

/// Nanoseconds in each unit `ParseDuration` knows (`µs` is U+00B5, `μs` U+03BC).
const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const LIMIT: u64 = 1 << 63;

/// Why a duration is refused: its spelling, or only its size (which a
/// schema pattern cannot count, so editors accept it; oamc does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Spelling(String),
    Range(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Spelling(why) | Refused::Range(why) => f.write_str(why),
        }
    }
}

/// Go's `time.ParseDuration`: nanoseconds, or why Go refuses the text.
pub fn go_nanos(text: &str) -> Result<i64, Refused> {
    let spelling = |why: &str| Refused::Spelling(why.to_owned());
    let mut s = text.as_bytes();
    let mut negative = false;
    if let Some((&c, rest)) = s.split_first()
        && (c == b'-' || c == b'+')
    {
        negative = c == b'-';
        s = rest;
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(spelling("is not a duration"));
    }
    let mut total: u64 = 0;
    let overflow =
        || Refused::Range("is longer than Go's durations reach (about 292 years)".into());
    // Go stops at the first overflow; oamc reads on, so that a spelling
    // error after it is named as one (both are refusals).
    let mut too_long = false;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(spelling("expected a number followed by a unit"));
        }
        let (whole, digits, past) = leading_int(s);
        too_long |= past;
        s = &s[digits..];
        let (mut fraction, mut scale, mut fraction_digits) = (0, 1.0, 0);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            (fraction, scale, fraction_digits) = leading_fraction(s);
            s = &s[fraction_digits..];
        }
        if digits == 0 && fraction_digits == 0 {
            return Err(spelling("has a `.` without digits"));
        }
        let unit_len = s
            .iter()
            .take_while(|c| **c != b'.' && !c.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(spelling("is missing a unit (ns, us, ms, s, m or h)"));
        }
        let unit = String::from_utf8_lossy(&s[..unit_len]);
        let Some(&(_, nanos)) = UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(Refused::Spelling(format!(
                "`{}` is not a unit; use ns, us, ms, s, m or h",
                crate::text::shown(&unit)
            )));
        };
        s = &s[unit_len..];
        if too_long || whole > LIMIT / nanos {
            too_long = true;
            continue;
        }
        let mut part = whole * nanos;
        if fraction > 0 {
            // Go: `v += uint64(float64(f) * (float64(unit) / scale))`.
            part += (fraction as f64 * (nanos as f64 / scale)) as u64;
        }
        match total.checked_add(part) {
            Some(sum) if part <= LIMIT && sum <= LIMIT => total = sum,
            _ => too_long = true,
        }
    }
    if too_long {
        return Err(overflow());
    }
    if negative {
        // -2^63 is the one value whose magnitude is 2^63.
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| overflow())
}

/// Go's `leadingInt`: the whole part's value, its digits, and whether it
/// passed 2^63 (where Go refuses it).
fn leading_int(s: &[u8]) -> (u64, usize, bool) {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut whole: u64 = 0;
    for &c in &s[..digits] {
        if whole > LIMIT / 10 {
            return (whole, digits, true);
        }
        whole = whole * 10 + u64::from(c - b'0');
        if whole > LIMIT {
            return (whole, digits, true);
        }
    }
    (whole, digits, false)
}

/// Go's `leadingFraction`: the digits after the point that fit, as a whole
/// number and its scale (a power of ten), and how many digits there were;
/// digits past what fits are dropped, as Go drops them.
fn leading_fraction(s: &[u8]) -> (u64, f64, usize) {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (mut fraction, mut scale) = (0u64, 1.0f64);
    for &c in &s[..digits] {
        if fraction > (LIMIT - 1) / 10 {
            break;
        }
        let next = fraction * 10 + u64::from(c - b'0');
        if next > LIMIT {
            break;
        }
        fraction = next;
        scale *= 10.0;
    }
    (fraction, scale, digits)
}

/// What Argo Rollouts' `RolloutPause.DurationSeconds` returns for a string
/// duration: seconds, or -1 where it cannot read one (Argo then refuses
/// the Rollout). Whole seconds: `1500ms` is 1, `500ms` is 0.
pub fn rollout_pause_seconds(text: &str) -> i64 {
    if let Some(seconds) = go_parse_int32(text) {
        return i64::from(seconds);
    }
    match go_nanos(text) {
        // Go's `int32(d.Seconds())`: cut toward zero. Past the int32 range
        // Go's conversion is unspecified; oamc refuses such pauses itself.
        Ok(nanos) => {
            let seconds = (nanos as f64 / 1e9).trunc();
            if (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&seconds) {
                seconds as i64
            } else {
                i64::MAX
            }
        }
        Err(_) => -1,
    }
}

/// Go's `strconv.ParseInt(s, 10, 32)`: an optional sign and decimal digits.
fn go_parse_int32(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// The duration kinds oamc writes, by who reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A canary pause step (and `metrics.pause`, which also becomes an
    /// analysis's `initialDelay`, written by oamc in seconds).
    Pause,
    /// An analysis `interval` or an Experiment `duration`.
    Go,
    /// A Kargo Warehouse `interval`.
    Kargo,
}

/// What a checked duration stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Whole seconds as the controller waits them.
    pub seconds: u64,
    /// The controller cuts the text to whole seconds (`1500ms` waits 1 s).
    pub truncated: bool,
}

/// Whether oamc accepts `text` as a duration of `kind`, and what it stands
/// for; the error says why not, in words a user can act on.
pub fn check(kind: Kind, text: &str) -> Result<Checked, Refused> {
    if text.starts_with('-') {
        return Err(Refused::Spelling(match kind {
            Kind::Pause => "is negative; Argo Rollouts refuses a negative pause".into(),
            Kind::Go | Kind::Kargo => "is negative, which means no time to wait".into(),
        }));
    }
    match kind {
        Kind::Pause => {
            let digits = text.strip_prefix('+').unwrap_or(text);
            if !digits.is_empty()
                && digits.bytes().all(|c| c.is_ascii_digit())
                && go_parse_int32(text).is_none()
            {
                // Argo: ParseInt fails, then ParseDuration (no unit): -1.
                return Err(Refused::Range(
                    "is longer than Argo Rollouts can count (2147483647 seconds)".into(),
                ));
            }
            let seconds = rollout_pause_seconds(text);
            if seconds == i64::MAX {
                return Err(Refused::Range(
                    "is longer than Argo Rollouts can count (2147483647 seconds)".into(),
                ));
            }
            let Ok(seconds) = u64::try_from(seconds) else {
                return Err(match go_nanos(text) {
                    Err(Refused::Spelling(why)) => Refused::Spelling(format!(
                        "{why}; Argo Rollouts reads a pause as whole seconds (`20`) or a Go duration (`20s`, `1m30s`, `500ms`)"
                    )),
                    // Digits past the 32-bit range, or a Go duration too long.
                    Err(Refused::Range(_)) | Ok(_) => Refused::Range(
                        "is longer than Argo Rollouts can count (2147483647 seconds)".into(),
                    ),
                });
            };
            let exact = go_parse_int32(text).is_some()
                || go_nanos(text).is_ok_and(|n| n % 1_000_000_000 == 0);
            Ok(Checked {
                seconds,
                truncated: !exact,
            })
        }
        Kind::Go | Kind::Kargo => {
            if kind == Kind::Kargo && !kargo_pattern(text) {
                return Err(Refused::Spelling(
                    "does not match Kargo's pattern: numbers (a fraction allowed) each with the unit s, m or h (`5m`, `1h30m`, `1.5h`)".into(),
                ));
            }
            let nanos = go_nanos(text).map_err(|refused| match refused {
                Refused::Spelling(why)
                    if text.bytes().all(|c| c.is_ascii_digit()) && !text.is_empty() =>
                {
                    Refused::Spelling(format!(
                        "{why}: Go reads a number without a unit as no duration (only a pause counts a bare number as seconds)"
                    ))
                }
                other => other,
            })?;
            // Not negative: a leading `-` is refused above; `+` is positive.
            Ok(Checked {
                seconds: nanos.unsigned_abs() / 1_000_000_000,
                truncated: false,
            })
        }
    }
}

/// A Go duration (`kind` Go or Kargo) read once, typed for the planner.
pub fn go_duration(kind: Kind, text: &str) -> Result<crate::plan::GoDuration, Refused> {
    check(kind, text)?;
    // Not negative: `check` refuses a leading `-`.
    let nanos = go_nanos(text)?.unsigned_abs();
    Ok(crate::plan::GoDuration::new(text, nanos))
}

/// An Argo pause read once, typed for the planner.
pub fn pause(text: &str) -> Result<crate::plan::PauseDuration, Refused> {
    let c = check(Kind::Pause, text)?;
    Ok(crate::plan::PauseDuration::new(
        text,
        c.seconds,
        c.truncated,
    ))
}

/// [`check`] as far as a schema pattern can tell: the spelling, not the size.
pub fn spelling(kind: Kind, text: &str) -> Result<(), Refused> {
    match check(kind, text) {
        Ok(_) | Err(Refused::Range(_)) => Ok(()),
        Err(spelling) => Err(spelling),
    }
}

/// Kargo's CRD pattern for a Warehouse interval, `^([0-9]+(\.[0-9]+)?(s|m|h))+$`.
fn kargo_pattern(text: &str) -> bool {
    let mut s = text.as_bytes();
    if s.is_empty() {
        return false;
    }
    while !s.is_empty() {
        let whole = s.iter().take_while(|c| c.is_ascii_digit()).count();
        if whole == 0 {
            return false;
        }
        s = &s[whole..];
        if s.first() == Some(&b'.') {
            let fraction = s[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if fraction == 0 {
                return false;
            }
            s = &s[1 + fraction..];
        }
        match s.first() {
            Some(b's' | b'm' | b'h') => s = &s[1..],
            _ => return false,
        }
    }
    true
}

/// What a refused duration most likely meant, when oamc accepts that:
/// `20 s`, `20 seconds`, `20sec` mean `20s`.
pub fn suggestion(kind: Kind, text: &str) -> Option<String> {
    let compact: String = text.split_whitespace().collect();
    let digits = compact.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = compact.split_at(digits);
    let unit = match unit.to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "m",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "ms" | "msec" | "millisecond" | "milliseconds" => "ms",
        _ => return None,
    };
    let fixed = format!("{number}{unit}");
    (fixed != text && check(kind, &fixed).is_ok()).then_some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kargo_pattern_is_the_crds() {
        for ok in ["5m", "1h30m", "1.5h", "0s", "10s5m"] {
            assert!(kargo_pattern(ok), "{ok}");
        }
        for bad in ["", "5", "1.h", ".5h", "5ms", "+5m", "5m "] {
            assert!(!kargo_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn pauses_cut_to_whole_seconds() {
        assert_eq!(check(Kind::Pause, "1500ms").unwrap().seconds, 1);
        assert!(check(Kind::Pause, "1500ms").unwrap().truncated);
        assert!(!check(Kind::Pause, "20").unwrap().truncated);
        assert!(check(Kind::Pause, "-0").is_err());
        assert!(check(Kind::Go, "20").is_err());
        assert_eq!(check(Kind::Go, "1.5m").unwrap().seconds, 90);
    }
}
