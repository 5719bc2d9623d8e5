//! Black-box tests of the ARM API: each spawns the real binary on port 0.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod application_versions;
mod applications;
mod arm_rules;
mod concurrency;
mod errors;
mod faults;
mod galleries;
mod image_versions;
mod images;
mod latest;
mod operations;
mod paging;
mod persistence;
mod replication;
mod resource_groups;
mod shared_store;
mod sources;
mod subscriptions;
