//! "Did you mean": one distance, one threshold and one wording for every
//! unknown name — a component type, trait, policy, property, choice,
//! setting, stage or template.

/// The known name an unknown `found` is most likely a typo of: ignoring case
/// and `-`/`_`, at most one edit away for names of four letters or fewer,
/// else two, or a quarter of the name's length for long names; never
/// `found` itself.
pub fn suggest<'a>(found: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let fold = |s: &str| s.to_ascii_lowercase().replace(['-', '_'], "");
    let want = fold(found);
    let allowed = match found.chars().count() {
        0..=4 => 1,
        n => 2.max(n / 4),
    };
    known
        .into_iter()
        .filter(|k| *k != found)
        .map(|k| (strsim::damerau_levenshtein(&want, &fold(k)), k))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The help for an unknown name: "did you mean `x`?", if one is close.
pub fn did_you_mean<'a>(found: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    suggest(found, known).map(|meant| format!("did you mean `{meant}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_are_suggested_and_far_ones_are_not() {
        let traits = ["path-based-ingress", "appingress", "hpa", "cpuscaler"];
        assert_eq!(
            suggest("path-based-ingres", traits),
            Some("path-based-ingress")
        );
        assert_eq!(suggest("hap", traits), Some("hpa"));
        assert_eq!(suggest("hpa", traits), None);
        assert_eq!(suggest("gateway", traits), None);
        assert_eq!(suggest("sidecar", traits), None);
        let types = ["appmod-service"];
        assert_eq!(suggest("appmod-servce", types), Some("appmod-service"));
        assert_eq!(suggest("AppmodService", types), Some("appmod-service"));
        assert_eq!(suggest("webservice", types), None);
        assert_eq!(
            suggest("funtionalGate", ["functionalGate", "performanceGate"]),
            Some("functionalGate")
        );
        assert_eq!(
            did_you_mean("namespaec", ["namespace"]).as_deref(),
            Some("did you mean `namespace`?")
        );
    }
}
