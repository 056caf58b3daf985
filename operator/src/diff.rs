//! Whether a live object already says everything the desired one says.
//!
//! Server-side apply of an unchanged object changes nothing in etcd but is
//! still a write request; comparing with the watch cache first is what lets
//! a converged install cause no writes at all.

use serde_json::Value;

/// True when every field set in `desired` has the same value in `live`.
/// Fields only in `live` (defaults, status, other managers' fields) are
/// ignored; lists must match element by element.
pub fn contains(live: &Value, desired: &Value) -> bool {
    first_difference(live, desired).is_none()
}

/// The path of the first field of `desired` that `live` lacks or holds
/// differently, e.g. `.spec.replicas`; `None` when `live` contains it all.
pub fn first_difference(live: &Value, desired: &Value) -> Option<String> {
    match (live, desired) {
        (Value::Object(live), Value::Object(desired)) => {
            desired.iter().find_map(|(key, want)| match live.get(key) {
                None => Some(format!(".{key}")),
                Some(have) => first_difference(have, want).map(|rest| format!(".{key}{rest}")),
            })
        }
        (Value::Array(live), Value::Array(desired)) if live.len() == desired.len() => live
            .iter()
            .zip(desired)
            .enumerate()
            .find_map(|(i, (have, want))| {
                first_difference(have, want).map(|rest| format!("[{i}]{rest}"))
            }),
        (live, desired) if live == desired => None,
        _ => Some(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{contains, first_difference};

    #[test]
    fn extra_live_fields_are_fine() {
        let live = json!({"a": 1, "b": {"c": 2, "d": 3}, "status": {}});
        assert!(contains(&live, &json!({"a": 1, "b": {"c": 2}})));
    }

    #[test]
    fn changed_or_missing_fields_are_not() {
        let live = json!({"a": 1, "b": {"c": 2}});
        assert!(!contains(&live, &json!({"a": 2})));
        assert!(!contains(&live, &json!({"b": {"e": 1}})));
        assert!(!contains(&live, &json!({"z": null})));
    }

    #[test]
    fn names_the_first_difference() {
        let live = json!({"spec": {"l": [{"n": 1}, {"n": 2}]}});
        assert_eq!(
            first_difference(&live, &json!({"spec": {"l": [{"n": 1}, {"n": 3}]}})),
            Some(".spec.l[1].n".into())
        );
        assert_eq!(
            first_difference(&live, &json!({"spec": {"x": 1}})),
            Some(".spec.x".into())
        );
        assert_eq!(first_difference(&live, &json!({"spec": {}})), None);
    }

    #[test]
    fn lists_match_element_by_element() {
        let live = json!({"l": [{"n": 1, "x": 0}, {"n": 2}]});
        assert!(contains(&live, &json!({"l": [{"n": 1}, {"n": 2}]})));
        assert!(!contains(&live, &json!({"l": [{"n": 1}]})));
        assert!(!contains(&live, &json!({"l": [{"n": 2}, {"n": 1}]})));
    }
}
