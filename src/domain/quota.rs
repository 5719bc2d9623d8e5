//! Per-subscription, per-region quotas (Azure's defaults, configurable).

/// A quota a create must fit in: the resource kind it counts and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub resource: &'static str,
    pub limit: i64,
}

pub const DEFAULT_GALLERIES_PER_REGION: i64 = 100;

pub fn galleries(limit: i64) -> Quota {
    Quota {
        resource: "galleries",
        limit,
    }
}

/// Whether records of `kind` count against a quota (and release it when deleted).
pub fn counts(kind: &str) -> bool {
    kind == "galleries"
}
