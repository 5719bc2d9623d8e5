//! Per-subscription, per-region quotas (Azure's defaults, configurable).

pub const DEFAULT_GALLERIES_PER_REGION: i64 = 100;
pub const DEFAULT_IMAGES_PER_REGION: i64 = 1_000;
pub const DEFAULT_IMAGE_VERSIONS_PER_REGION: i64 = 10_000;

/// Whether records of `kind` count against a quota (and release it when deleted).
pub fn counts(kind: &str) -> bool {
    matches!(kind, "galleries" | "images" | "versions")
}
