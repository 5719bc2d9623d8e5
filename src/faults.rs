//! Fault injection, deterministic and counted: rules an admin adds under
//! `/_emulator/faults` that make chosen ARM requests fail (`request` rules)
//! or make the replication of a version to a region fail (`replication`
//! rules). Every firing is counted on its rule.
//!
//! The registry is cheap when nothing can fire: one atomic load on the
//! request path, no lock.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::domain::replication::Failure;
use crate::domain::{DomainError, region};

/// A rule as an admin writes it (`POST /_emulator/faults`). Which fields
/// apply depends on `kind` (`request` when absent, or `replication`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleInput {
    pub kind: Option<String>,
    // request rules
    pub method: Option<String>,
    pub path: Option<String>,
    pub client_request_id: Option<String>,
    pub test_id: Option<String>,
    pub status: Option<i64>,
    pub retry_after: Option<i64>,
    pub probability: Option<f64>,
    pub seed: Option<u64>,
    // replication rules
    pub version_pattern: Option<String>,
    pub region: Option<String>,
    pub after_progress: Option<i64>,
    // both
    pub code: Option<String>,
    pub message: Option<String>,
    pub times: Option<i64>,
}

/// A rule of the registry, as `GET /_emulator/faults` lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    #[serde(flatten)]
    pub kind: RuleKind,
    pub code: String,
    pub message: String,
    /// How many times the rule fires at most; unlimited when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// How many times it has fired.
    pub fired: u64,
    /// Fired `times` times: it stays listed but fires no more.
    pub spent: bool,
    /// The state of the seeded generator of a probabilistic rule.
    #[serde(skip)]
    rng: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RuleKind {
    Request(RequestRule),
    Replication(ReplicationRule),
}

/// Which ARM requests a request rule fails, and how.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_id: Option<String>,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Which replications a replication rule fails.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationRule {
    pub version_pattern: String,
    /// Normalised: lower case, no spaces.
    pub region: String,
    pub after_progress: u8,
}

/// The facts of a request that request rules are matched against.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a str,
    /// Without the query.
    pub path: &'a str,
    pub client_request_id: Option<&'a str>,
    pub test_id: Option<&'a str>,
}

/// The answer a fired request rule gives instead of the handler's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFailure {
    pub rule_id: String,
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Always set for 429 and 503.
    pub retry_after: Option<u32>,
}

/// The rules of one emulator.
#[derive(Debug, Default)]
pub struct Faults {
    /// Some rule can still fire; read without the lock.
    armed: AtomicBool,
    rules: Mutex<Vec<Rule>>,
}

/// The header a test names itself with, for `testId` rules.
pub const TEST_ID_HEADER: &str = "x-emulator-test-id";

const MAX_RETRY_AFTER: i64 = 3600;

impl Faults {
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates `input` and adds it as a rule; the rule as listed.
    pub fn add(&self, input: RuleInput) -> Result<Rule, DomainError> {
        let rule = build(input, uuid::Uuid::new_v4().to_string())?;
        let mut rules = self.lock();
        rules.push(rule.clone());
        self.rearm(&rules);
        Ok(rule)
    }

    /// Every rule, in the order they were added, with its firing count.
    pub fn list(&self) -> Vec<Rule> {
        self.lock().clone()
    }

    /// Removes the rule `id`; false when there is none.
    pub fn remove(&self, id: &str) -> bool {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| !r.id.eq_ignore_ascii_case(id));
        let removed = rules.len() != before;
        self.rearm(&rules);
        removed
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = self.lock();
        rules.clear();
        self.rearm(&rules);
    }

    /// Whether any rule can still fire (no lock taken).
    pub fn is_armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    /// The failure the first matching request rule that fires gives this
    /// request, counted as one firing. `/_emulator/` paths never match.
    pub fn request_failure(&self, request: &RequestFacts<'_>) -> Option<InjectedFailure> {
        if !self.is_armed() || is_admin_path(request.path) {
            return None;
        }
        let mut rules = self.lock();
        let mut injected = None;
        for rule in rules.iter_mut() {
            if rule.spent {
                continue;
            }
            let RuleKind::Request(r) = &rule.kind else {
                continue;
            };
            if !r.matches(request) {
                continue;
            }
            if let Some(p) = r.probability
                && unit(&mut rule.rng) >= p
            {
                continue;
            }
            let r = r.clone();
            rule.fire();
            injected = Some(InjectedFailure {
                rule_id: rule.id.clone(),
                status: r.status,
                code: rule.code.clone(),
                message: rule.message.clone(),
                retry_after: r.retry_after.or(matches!(r.status, 429 | 503).then_some(1)),
            });
            break;
        }
        if injected.is_some() {
            self.rearm(&rules);
        }
        injected
    }

    /// How the replication of `version_id` (an image or application version
    /// id) to `region` fails, if a replication rule says so; each failure
    /// returned counts as one firing.
    pub fn replication_failure(&self, version_id: &str, region: &str) -> Option<Failure> {
        if !self.is_armed() {
            return None;
        }
        let region = region::find(region)?.name;
        let mut rules = self.lock();
        let mut failure = None;
        for rule in rules.iter_mut() {
            if rule.spent {
                continue;
            }
            let RuleKind::Replication(r) = &rule.kind else {
                continue;
            };
            if r.region != region || !glob_match(&r.version_pattern, version_id) {
                continue;
            }
            let progress = r.after_progress;
            rule.fire();
            failure = Some(Failure {
                code: rule.code.clone(),
                message: rule.message.clone(),
                progress,
            });
            break;
        }
        if failure.is_some() {
            self.rearm(&rules);
        }
        failure
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        // A panic while holding the lock leaves the rules consistent (every
        // change is one assignment), so a poisoned lock is still usable.
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn rearm(&self, rules: &[Rule]) {
        self.armed
            .store(rules.iter().any(|r| !r.spent), Ordering::Release);
    }
}

impl Rule {
    fn fire(&mut self) {
        self.fired += 1;
        if self.times.is_some_and(|t| self.fired >= t) {
            self.spent = true;
        }
    }
}

impl RequestRule {
    fn matches(&self, request: &RequestFacts<'_>) -> bool {
        let header = |wanted: &Option<String>, got: Option<&str>| match wanted {
            None => true,
            Some(w) => got.is_some_and(|g| g.trim().eq_ignore_ascii_case(w)),
        };
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(request.method))
            && header(&self.client_request_id, request.client_request_id)
            && header(&self.test_id, request.test_id)
            && glob_match(&self.path, request.path)
    }
}

fn is_admin_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 10
        && bytes[..10].eq_ignore_ascii_case(b"/_emulator")
        && matches!(bytes.get(10), None | Some(b'/'))
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters
/// (`/` included) and every other character itself, ignoring case.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it is tried from.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// splitmix64: the next value of the generator whose state is `state`.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A draw in [0, 1).
fn unit(state: &mut u64) -> f64 {
    (splitmix64(state) >> 11) as f64 / (1u64 << 53) as f64
}

fn invalid(target: &str, message: impl Into<String>) -> DomainError {
    DomainError::invalid(target, message)
}

fn non_empty(value: Option<String>, target: &str) -> Result<Option<String>, DomainError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(invalid(
            target,
            format!("'{target}' must not be empty when given."),
        )),
        other => Ok(other.map(|v| v.trim().to_string())),
    }
}

/// Refuses the fields of the other kind of rule.
fn refuse(fields: &[(&str, bool)], kind: &str) -> Result<(), DomainError> {
    match fields.iter().find(|(_, given)| *given) {
        Some((name, _)) => Err(invalid(
            name,
            format!("'{name}' is not a property of a {kind} rule."),
        )),
        None => Ok(()),
    }
}

fn build(input: RuleInput, id: String) -> Result<Rule, DomainError> {
    let code = non_empty(input.code, "code")?.ok_or_else(|| {
        invalid(
            "code",
            "A fault rule needs the ARM error 'code' it answers with.",
        )
    })?;
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    {
        return Err(invalid(
            "code",
            format!("The error code '{code}' may only hold letters, digits, '.' and '_'."),
        ));
    }
    let message = non_empty(input.message, "message")?
        .unwrap_or_else(|| format!("Fault injected by gallery-emulator rule {id}."));
    let times = match input.times {
        None => None,
        Some(t) if t >= 1 => Some(t as u64),
        Some(t) => {
            return Err(invalid(
                "times",
                format!("'times' must be 1 or more, not {t}."),
            ));
        }
    };
    let kind = input.kind.as_deref().map(str::trim).unwrap_or("request");
    let (kind, rng) = if kind.eq_ignore_ascii_case("request") {
        refuse(
            &[
                ("versionPattern", input.version_pattern.is_some()),
                ("region", input.region.is_some()),
                ("afterProgress", input.after_progress.is_some()),
            ],
            "request",
        )?;
        let status = match input.status {
            Some(s @ 400..=599) => s as u16,
            Some(s) => {
                return Err(invalid(
                    "status",
                    format!("'status' must be an error status from 400 to 599, not {s}."),
                ));
            }
            None => {
                return Err(invalid(
                    "status",
                    "A request rule needs the 'status' it answers with (400 to 599).",
                ));
            }
        };
        let retry_after = match input.retry_after {
            None => None,
            Some(s @ 0..=MAX_RETRY_AFTER) => Some(s as u32),
            Some(s) => {
                return Err(invalid(
                    "retryAfter",
                    format!("'retryAfter' must be 0 to {MAX_RETRY_AFTER} seconds, not {s}."),
                ));
            }
        };
        let probability = match input.probability {
            None => None,
            Some(p) if p > 0.0 && p <= 1.0 => Some(p),
            Some(p) => {
                return Err(invalid(
                    "probability",
                    format!("'probability' must be more than 0 and at most 1, not {p}."),
                ));
            }
        };
        if input.seed.is_some() && probability.is_none() {
            return Err(invalid(
                "seed",
                "'seed' only applies to a rule with a 'probability'.",
            ));
        }
        let method = non_empty(input.method, "method")?;
        if let Some(m) = &method
            && !m.chars().all(|c| c.is_ascii_alphabetic())
        {
            return Err(invalid("method", format!("'{m}' is not an HTTP method.")));
        }
        let path = non_empty(input.path, "path")?.unwrap_or_else(|| "*".to_string());
        let seed = probability.map(|_| input.seed.unwrap_or(0));
        (
            RuleKind::Request(RequestRule {
                method: method.map(|m| m.to_ascii_uppercase()),
                path,
                client_request_id: non_empty(input.client_request_id, "clientRequestId")?,
                test_id: non_empty(input.test_id, "testId")?,
                status,
                retry_after,
                probability,
                seed,
            }),
            seed.unwrap_or(0),
        )
    } else if kind.eq_ignore_ascii_case("replication") {
        refuse(
            &[
                ("method", input.method.is_some()),
                ("path", input.path.is_some()),
                ("clientRequestId", input.client_request_id.is_some()),
                ("testId", input.test_id.is_some()),
                ("status", input.status.is_some()),
                ("retryAfter", input.retry_after.is_some()),
                ("probability", input.probability.is_some()),
                ("seed", input.seed.is_some()),
            ],
            "replication",
        )?;
        let version_pattern = non_empty(input.version_pattern, "versionPattern")?
            .ok_or_else(|| {
                invalid(
                    "versionPattern",
                    "A replication rule needs a 'versionPattern' (a glob on the version's resource id, '*' for any run of characters).",
                )
            })?;
        let region = non_empty(input.region, "region")?.ok_or_else(|| {
            invalid(
                "region",
                "A replication rule needs the 'region' whose replication fails.",
            )
        })?;
        let region = region::find(&region)
            .map(|r| r.name.to_string())
            .ok_or_else(|| {
                invalid(
                    "region",
                    format!("'{region}' is not a region the emulator knows."),
                )
            })?;
        let after_progress = match input.after_progress {
            None => 0,
            Some(p @ 0..=99) => p as u8,
            Some(p) => {
                return Err(invalid(
                    "afterProgress",
                    format!("'afterProgress' must be 0 to 99, not {p}."),
                ));
            }
        };
        (
            RuleKind::Replication(ReplicationRule {
                version_pattern,
                region,
                after_progress,
            }),
            0,
        )
    } else {
        return Err(invalid(
            "kind",
            format!("Unknown fault rule kind '{kind}': use 'request' or 'replication'."),
        ));
    };
    Ok(Rule {
        id,
        kind,
        code,
        message,
        times,
        fired: 0,
        spent: false,
        rng,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &'static str, path: &'static str) -> RequestFacts<'static> {
        RequestFacts {
            method,
            path,
            client_request_id: None,
            test_id: None,
        }
    }

    fn rule(v: serde_json::Value) -> RuleInput {
        serde_json::from_value(v).expect("rule input")
    }

    const VERSION: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0";

    #[test]
    fn glob_stars_match_any_run_and_case_is_ignored() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "/a/b"));
        assert!(glob_match("/A/*/c", "/a/xx/yy/C"));
        assert!(glob_match("*/versions/1.*", VERSION));
        assert!(glob_match("*a*b*", "xxaYYbzz"));
        assert!(!glob_match("/a/*/c", "/a/b/d"));
        assert!(!glob_match("abc", "abcd"));
        assert!(glob_match("ab**", "ab"));
        assert!(!glob_match("", "x"));
    }

    #[test]
    fn an_empty_registry_is_not_armed_and_matches_nothing() {
        let f = Faults::new();
        assert!(!f.is_armed());
        assert_eq!(f.request_failure(&request("GET", "/subscriptions")), None);
        assert_eq!(f.replication_failure(VERSION, "westus"), None);
        assert!(f.list().is_empty());
    }

    #[test]
    fn replication_rules_match_the_version_glob_and_the_normalised_region_times_times() {
        let f = Faults::new();
        let added = f
            .add(rule(serde_json::json!({
                "kind": "replication",
                "versionPattern": "*/IMAGES/i/versions/1.*",
                "region": "East US 2",
                "code": "ReplicationFailed",
                "message": "boom",
                "afterProgress": 40,
                "times": 2
            })))
            .expect("added");
        assert_eq!(
            added.kind,
            RuleKind::Replication(ReplicationRule {
                version_pattern: "*/IMAGES/i/versions/1.*".into(),
                region: "eastus2".into(),
                after_progress: 40,
            })
        );
        // Another region, another version: no failure and no firing.
        assert_eq!(f.replication_failure(VERSION, "westus"), None);
        assert_eq!(
            f.replication_failure(&VERSION.replace("1.0.0", "2.0.0"), "eastus2"),
            None
        );
        // A request rule never answers for replication, nor the other way round.
        assert_eq!(f.request_failure(&request("GET", VERSION)), None);
        let want = Some(Failure {
            code: "ReplicationFailed".into(),
            message: "boom".into(),
            progress: 40,
        });
        assert_eq!(f.replication_failure(VERSION, "EastUS2"), want);
        assert_eq!(f.replication_failure(VERSION, "east us 2"), want);
        assert_eq!(f.replication_failure(VERSION, "eastus2"), None);
        let listed = f.list();
        assert_eq!(listed[0].fired, 2);
        assert!(listed[0].spent);
        assert!(!f.is_armed());
    }

    #[test]
    fn replication_rules_default_to_no_progress_and_fire_until_removed() {
        let f = Faults::new();
        let r = f
            .add(rule(serde_json::json!({
                "kind": "replication",
                "versionPattern": "*",
                "region": "westus",
                "code": "Failed"
            })))
            .expect("added");
        for _ in 0..3 {
            let failure = f.replication_failure(VERSION, "West US").expect("fails");
            assert_eq!(failure.progress, 0);
            assert_eq!(failure.code, "Failed");
        }
        assert_eq!(f.list()[0].fired, 3);
        assert!(f.remove(&r.id));
        assert!(!f.remove(&r.id));
        assert_eq!(f.replication_failure(VERSION, "westus"), None);
    }

    #[test]
    fn invalid_rules_name_the_property_at_fault() {
        let f = Faults::new();
        for (input, target) in [
            (serde_json::json!({"status": 429}), "code"),
            (serde_json::json!({"code": "X"}), "status"),
            (serde_json::json!({"code": "X", "status": 200}), "status"),
            (serde_json::json!({"code": "X", "status": 600}), "status"),
            (
                serde_json::json!({"code": "X", "status": 500, "probability": 0}),
                "probability",
            ),
            (
                serde_json::json!({"code": "X", "status": 500, "probability": 1.5}),
                "probability",
            ),
            (
                serde_json::json!({"code": "X", "status": 500, "seed": 3}),
                "seed",
            ),
            (
                serde_json::json!({"code": "X", "status": 500, "times": 0}),
                "times",
            ),
            (
                serde_json::json!({"code": "X", "status": 500, "retryAfter": -1}),
                "retryAfter",
            ),
            (serde_json::json!({"code": "X", "kind": "disk"}), "kind"),
            (
                serde_json::json!({"code": "X", "kind": "replication", "region": "westus"}),
                "versionPattern",
            ),
            (
                serde_json::json!({"code": "X", "kind": "replication", "versionPattern": "*", "region": "mars"}),
                "region",
            ),
            (
                serde_json::json!({"code": "X", "kind": "replication", "versionPattern": "*", "region": "westus", "afterProgress": 100}),
                "afterProgress",
            ),
            (
                serde_json::json!({"code": "X", "kind": "replication", "versionPattern": "*", "region": "westus", "status": 500}),
                "status",
            ),
            (
                serde_json::json!({"code": "X", "status": 500, "region": "westus"}),
                "region",
            ),
        ] {
            match f.add(rule(input.clone())) {
                Err(DomainError::InvalidParameter { target: t, .. }) => {
                    assert_eq!(t, target, "{input}")
                }
                other => panic!("{input}: {other:?}"),
            }
        }
        assert!(f.list().is_empty());
        assert!(!f.is_armed());
    }

    #[test]
    fn request_rules_never_match_the_admin_plane() {
        let f = Faults::new();
        f.add(rule(serde_json::json!({"code": "X", "status": 500})))
            .expect("added");
        assert_eq!(
            f.request_failure(&request("GET", "/_emulator/faults")),
            None
        );
        assert_eq!(
            f.request_failure(&request("POST", "/_Emulator/reset")),
            None
        );
        assert!(f.request_failure(&request("GET", "/_emulatorx")).is_some());
    }

    #[test]
    fn seeded_probability_gives_the_same_sequence_every_time() {
        let run = |seed: u64| {
            let f = Faults::new();
            f.add(rule(serde_json::json!({
                "code": "X", "status": 503, "probability": 0.5, "seed": seed
            })))
            .expect("added");
            (0..64)
                .map(|_| f.request_failure(&request("GET", "/x")).is_some())
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
        let fired = a.iter().filter(|f| **f).count();
        assert!((16..=48).contains(&fired), "{fired} of 64");
    }
}
