//! "Has the example's shape": every property path of an example body is in
//! ours with the same JSON type, and the values a client reads back (name,
//! location, description, provisioningState, ...) are equal, locations
//! compared as the canonical region names the emulator returns.

use serde_json::Value;

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// Appends to `out` every path of `expected` that `actual` lacks or holds
/// with another JSON type. Paths for which `skip` is true are not compared.
pub fn compare(
    expected: &Value,
    actual: &Value,
    at: &str,
    skip: &dyn Fn(&str) -> bool,
    out: &mut Vec<String>,
) {
    if skip(at) {
        return;
    }
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = join(at, k);
                if skip(&p) {
                    continue;
                }
                match a.get(k) {
                    Some(av) => compare(ev, av, &p, skip, out),
                    None => out.push(format!("`{p}` is missing (the example has {ev})")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if !e.is_empty() && a.is_empty() {
                out.push(format!("`{at}` is an empty array; the example has items"));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare(ev, av, &format!("{at}[{i}]"), skip, out);
            }
        }
        (e, a) if kind(e) == kind(a) => {}
        (e, a) => out.push(format!(
            "`{at}` is {} ({a}); the example has {} ({e})",
            kind(a),
            kind(e)
        )),
    }
}

/// Appends to `out` every value of `expected` that `actual` holds with the
/// same JSON type but another value (`compare` reports the missing and
/// retyped ones). A `location` compares as a canonical region name. Paths
/// for which `skip` is true are not compared.
pub fn compare_leaves(
    expected: &Value,
    actual: &Value,
    at: &str,
    skip: &dyn Fn(&str) -> bool,
    out: &mut Vec<String>,
) {
    if skip(at) {
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                if let Some(av) = a.get(k) {
                    compare_leaves(ev, av, &join(at, k), skip, out);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "`{at}` has {} items; the example has {}",
                    a.len(),
                    e.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare_leaves(ev, av, &format!("{at}[{i}]"), skip, out);
            }
        }
        (e, a) if kind(e) == kind(a) && !e.is_object() && !e.is_array() => {
            let location = at == "location" || at.ends_with(".location");
            let equal = match (e, a) {
                (Value::String(e), Value::String(a)) if location => {
                    canonical_location(e) == canonical_location(a)
                }
                _ => e == a,
            };
            if !equal {
                out.push(format!("`{at}` is {a}; the example has {e}"));
            }
        }
        _ => {}
    }
}

/// A region as the emulator names it: "West US" → "westus".
pub fn canonical_location(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The values of a gallery a client reads back and that must equal the example's.
const COMPARED_VALUES: &[&str] = &[
    "/name",
    "/location",
    "/properties/description",
    "/properties/provisioningState",
    "/properties/identifier/uniqueName",
    "/properties/sharingProfile/permissions",
    "/properties/softDeletePolicy/isSoftDeleteEnabled",
    "/identity/type",
];

/// Appends to `out` the values of `expected` (a gallery) that differ in `actual`.
pub fn compare_values(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    for pointer in COMPARED_VALUES {
        let Some(e) = expected.pointer(pointer) else {
            continue;
        };
        let a = actual.pointer(pointer).unwrap_or(&Value::Null);
        let equal = if *pointer == "/location" {
            match (e.as_str(), a.as_str()) {
                (Some(e), Some(a)) => canonical_location(e) == canonical_location(a),
                _ => false,
            }
        } else {
            e == a
        };
        if !equal {
            out.push(format!("{at}{pointer} is {a}; the example has {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(expected: Value, actual: Value) -> Vec<String> {
        let mut out = Vec::new();
        compare(&expected, &actual, "", &|_| false, &mut out);
        out
    }

    #[test]
    fn extra_properties_are_fine_and_missing_or_retyped_ones_are_not() {
        assert!(
            diff(
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 2, "c": 3}, "d": 4})
            )
            .is_empty()
        );
        assert_eq!(diff(json!({"a": {"b": 1}}), json!({"a": {}})).len(), 1);
        assert_eq!(diff(json!({"a": "x"}), json!({"a": 1})).len(), 1);
        assert_eq!(diff(json!({"v": [{"x": 1}]}), json!({"v": []})).len(), 1);
        assert!(diff(json!({"v": [{"x": 1}]}), json!({"v": [{"x": 9}]})).is_empty());
    }

    #[test]
    fn skipped_paths_are_not_compared() {
        let mut out = Vec::new();
        compare(
            &json!({"properties": {"softDeletePolicy": {"isSoftDeleteEnabled": true}}}),
            &json!({"properties": {}}),
            "",
            &|p| p == "properties.softDeletePolicy",
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn leaves_compare_by_value_and_skipped_paths_do_not() {
        let leaves = |expected: Value, actual: Value| {
            let mut out = Vec::new();
            compare_leaves(
                &expected,
                &actual,
                "",
                &|p| p == "properties.publishedDate",
                &mut out,
            );
            out
        };
        let example = json!({"location": "West US", "properties": {"publishedDate": "2018-01-01", "regions": [{"n": 1}]}});
        assert!(
            leaves(
                example.clone(),
                json!({"location": "westus", "extra": 1, "properties": {"publishedDate": "2026-11-26", "regions": [{"n": 1, "m": 2}]}})
            )
            .is_empty()
        );
        assert_eq!(
            leaves(
                example.clone(),
                json!({"location": "eastus", "properties": {"regions": [{"n": 2}]}})
            )
            .len(),
            2
        );
        assert_eq!(
            leaves(
                example,
                json!({"properties": {"regions": [{"n": 1}, {"n": 2}]}})
            )
            .len(),
            1
        );
    }

    #[test]
    fn locations_compare_as_canonical_region_names() {
        let mut out = Vec::new();
        compare_values(
            &json!({"location": "West US", "name": "g"}),
            &json!({"location": "westus", "name": "g"}),
            "",
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        compare_values(
            &json!({"location": "West US"}),
            &json!({"location": "eastus"}),
            "",
            &mut out,
        );
        assert_eq!(out.len(), 1);
    }
}
