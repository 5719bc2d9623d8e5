//! Reads the routes out of src/http/mod.rs: every `.route(PATH, METHOD_ROUTER)`
//! call, with PATH a string literal, a `const` of the file or a `format!` of
//! them, and the methods of the `get(..).put(..)` chain. An axum router
//! cannot be listed at run time, so this is how the test sees it; anything
//! it does not understand (nest, merge, any, on, route_service) is an error,
//! never a silently smaller router.

use std::collections::{BTreeMap, BTreeSet};

/// The HTTP methods an axum `MethodRouter` can be built with.
const METHODS: &[&str] = &[
    "get", "head", "post", "put", "patch", "delete", "options", "trace", "connect",
];

/// Router-building calls this parser cannot account for.
const UNSUPPORTED: &[&str] = &[
    "nest",
    "nest_service",
    "merge",
    "route_service",
    "fallback_service",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub path: String,
    /// Upper-case method names.
    pub methods: BTreeSet<String>,
}

/// Source text with comments blanked out (string literals kept intact).
fn strip_comments(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '"' => {
                let end = string_end(&b, i);
                out.extend(&b[i..end]);
                i = end;
            }
            '/' if b.get(i + 1) == Some(&'/') => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            '/' if b.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
                out.push(' ');
            }
            '\'' => {
                // A char literal such as '"' must not open a string; a
                // lifetime ('static) is copied as it is.
                if b.get(i + 2) == Some(&'\'') {
                    out.extend(&b[i..i + 3]);
                    i += 3;
                } else if b.get(i + 1) == Some(&'\\') && b.get(i + 3) == Some(&'\'') {
                    out.extend(&b[i..i + 4]);
                    i += 4;
                } else {
                    out.push('\'');
                    i += 1;
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Index just past the string literal starting at `start` (a `"`).
fn string_end(b: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn unescape(lit: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = lit.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                other => return Err(format!("unsupported escape \\{other:?} in {lit:?}")),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The text between the `(` at `open` and its matching `)`, and the index past it.
fn balanced(b: &[char], open: usize) -> Result<(String, usize), String> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            '"' => {
                i = string_end(b, i);
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((b[open + 1..i].iter().collect(), i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err("unbalanced parentheses".into())
}

/// Splits an argument list at its top-level commas.
fn split_args(args: &str) -> Vec<String> {
    let b: Vec<char> = args.chars().collect();
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '"' => {
                i = string_end(&b, i);
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(b[start..i].iter().collect::<String>().trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let last: String = b[start..].iter().collect::<String>().trim().to_string();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

/// Identifiers followed (after blanks) by `(`, in order: the calls of an expression.
fn calls(expr: &str) -> Vec<String> {
    let b: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '"' {
            i = string_end(&b, i);
            continue;
        }
        if is_ident(b[i]) && (i == 0 || !is_ident(b[i - 1])) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            let name: String = b[start..i].iter().collect();
            let mut j = i;
            while j < b.len() && b[j].is_whitespace() {
                j += 1;
            }
            // `name!(` is a macro, `name(` a call.
            if b.get(j) == Some(&'(') {
                out.push(name);
            }
            continue;
        }
        i += 1;
    }
    out
}

/// `const NAME: &str = "...";` items of the file.
fn constants(src: &str) -> Result<BTreeMap<String, String>, String> {
    let b: Vec<char> = src.chars().collect();
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '"' {
            i = string_end(&b, i);
            continue;
        }
        let word_start = i == 0 || !is_ident(b[i - 1]);
        if word_start && b[i..].starts_with(&['c', 'o', 'n', 's', 't', ' ']) {
            let mut j = i + 6;
            let name_start = j;
            while j < b.len() && is_ident(b[j]) {
                j += 1;
            }
            let name: String = b[name_start..j].iter().collect();
            let rest: String = b[j..].iter().take_while(|c| **c != ';').collect();
            if let Some((ty, value)) = rest.split_once('=') {
                let value = value.trim();
                if ty.contains("str") && value.starts_with('"') && value.ends_with('"') {
                    out.insert(name, unescape(&value[1..value.len() - 1])?);
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    Ok(out)
}

/// Evaluates a route's path argument.
fn eval_path(expr: &str, consts: &BTreeMap<String, String>) -> Result<String, String> {
    let e = expr.trim().trim_start_matches('&').trim();
    if e.starts_with('"') && e.ends_with('"') && e.len() >= 2 {
        return unescape(&e[1..e.len() - 1]);
    }
    if e.chars().all(is_ident) {
        return consts
            .get(e)
            .cloned()
            .ok_or_else(|| format!("path constant {e} is not a `const {e}: &str` of the file"));
    }
    if let Some(rest) = e.strip_prefix("format!") {
        let rest: Vec<char> = rest.trim().chars().collect();
        if rest.first() != Some(&'(') {
            return Err(format!("cannot read {expr}"));
        }
        let (inner, _) = balanced(&rest, 0)?;
        let args = split_args(&inner);
        let template = args.first().ok_or("empty format!")?;
        if !(template.starts_with('"') && template.ends_with('"')) {
            return Err(format!("format! template is not a literal: {template}"));
        }
        let template = unescape(&template[1..template.len() - 1])?;
        let mut positional = args[1..].iter();
        let t: Vec<char> = template.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < t.len() {
            match (t[i], t.get(i + 1)) {
                ('{', Some('{')) => {
                    out.push('{');
                    i += 2;
                }
                ('}', Some('}')) => {
                    out.push('}');
                    i += 2;
                }
                ('{', _) => {
                    let end = t[i..]
                        .iter()
                        .position(|c| *c == '}')
                        .ok_or("unclosed { in format!")?
                        + i;
                    let name: String = t[i + 1..end].iter().collect();
                    if name.is_empty() {
                        let arg = positional
                            .next()
                            .ok_or("format! has fewer arguments than {}")?;
                        out.push_str(&eval_path(arg, consts)?);
                    } else {
                        out.push_str(consts.get(&name).ok_or_else(|| {
                            format!("format! names {{{name}}}, which is no path constant")
                        })?);
                    }
                    i = end + 1;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        return Ok(out);
    }
    Err(format!("cannot read the route path {expr}"))
}

/// The routes of the router source `src`.
pub fn parse(src: &str) -> Result<Vec<Route>, String> {
    let src = strip_comments(src);
    let consts = constants(&src)?;
    let b: Vec<char> = src.chars().collect();
    let mut routes: Vec<Route> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '"' {
            i = string_end(&b, i);
            continue;
        }
        if b[i] != '.' {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && b[j].is_whitespace() {
            j += 1;
        }
        let start = j;
        while j < b.len() && is_ident(b[j]) {
            j += 1;
        }
        let name: String = b[start..j].iter().collect();
        while j < b.len() && b[j].is_whitespace() {
            j += 1;
        }
        if b.get(j) != Some(&'(') {
            i = j.max(i + 1);
            continue;
        }
        if UNSUPPORTED.contains(&name.as_str()) {
            return Err(format!(
                "src/http/mod.rs uses .{name}(..), which this test cannot read; extend tests/openapi/router_source.rs"
            ));
        }
        if name != "route" {
            i = j;
            continue;
        }
        let (inner, end) = balanced(&b, j)?;
        let args = split_args(&inner);
        if args.len() != 2 {
            return Err(format!(".route() with {} arguments: {inner}", args.len()));
        }
        let path = eval_path(&args[0], &consts)?;
        let mut methods = BTreeSet::new();
        for call in calls(&args[1]) {
            if METHODS.contains(&call.as_str()) {
                methods.insert(call.to_ascii_uppercase());
            } else if call == "any"
                || call == "on"
                || call.ends_with("_service")
                || call == "method_not_allowed_fallback"
            {
                return Err(format!(
                    "route {path}: `{call}(..)` is not understood by this test; list methods with get/put/post/patch/delete/head"
                ));
            }
        }
        if methods.is_empty() {
            return Err(format!("route {path}: no method found in {}", args[1]));
        }
        match routes.iter_mut().find(|r| r.path == path) {
            Some(r) => r.methods.extend(methods),
            None => routes.push(Route { path, methods }),
        }
        i = end;
    }
    if routes.is_empty() {
        return Err("no .route(..) call found".into());
    }
    Ok(routes)
}

/// A path with every `{parameter}` written `{}`, so that differently named
/// parameters compare equal.
pub fn normalise(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
const BASE: &str = "/subscriptions/{subscription_id}";
const WRITE_ATTEMPTS: usize = 8;
// .route("/commented", get(nothing)),
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/a", get(x::a_get)) /* .route("/b", post(b)) */
        .route(
            BASE,
            get(subscription::subscriptions_get)
                .head(check)
                .put(put_it),
        )
        .route(&format!("{BASE}/share"), post(share))
        .route(&format!("{}/x/{{name}}", BASE), delete(x::delete_get))
        .route("/a", patch(a_patch))
        .fallback(route_not_found)
        .layer(middleware::from_fn(request_id::layer))
}
"#;

    fn set(methods: &[&str]) -> BTreeSet<String> {
        methods.iter().map(|m| m.to_string()).collect()
    }

    #[test]
    fn routes_constants_format_and_method_chains_are_read() {
        let routes = parse(SAMPLE).expect("parses");
        assert_eq!(
            routes,
            vec![
                Route {
                    path: "/a".into(),
                    methods: set(&["GET", "PATCH"])
                },
                Route {
                    path: "/subscriptions/{subscription_id}".into(),
                    methods: set(&["GET", "HEAD", "PUT"])
                },
                Route {
                    path: "/subscriptions/{subscription_id}/share".into(),
                    methods: set(&["POST"])
                },
                Route {
                    path: "/subscriptions/{subscription_id}/x/{name}".into(),
                    methods: set(&["DELETE"])
                },
            ]
        );
    }

    #[test]
    fn routers_the_parser_cannot_read_are_errors() {
        assert!(parse("Router::new().nest(\"/x\", other)").is_err());
        assert!(parse("Router::new().route(\"/x\", any(h))").is_err());
        assert!(parse("Router::new().route(UNKNOWN, get(h))").is_err());
        assert!(parse("Router::new().route(\"/x\", h)").is_err());
        assert!(parse("Router::new()").is_err());
    }

    #[test]
    fn parameters_are_normalised_by_position() {
        assert_eq!(
            normalise("/subscriptions/{subscription_id}/x/{name}"),
            normalise("/subscriptions/{subscriptionId}/x/{galleryName}")
        );
        assert_eq!(normalise("/a/{b}/c"), "/a/{}/c");
    }
}
