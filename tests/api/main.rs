//! Black-box tests of the ARM API: each spawns the real binary on port 0.

#[path = "../common/mod.rs"]
mod common;

mod galleries;
