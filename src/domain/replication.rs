//! Replication of a version (image or application) to its target regions,
//! region by region: the plan an accepted write makes, how long each region
//! takes, and the transitions the worker applies as time passes. The plan is
//! stored with the version, so a restart resumes where it was.

use serde::{Deserialize, Serialize};

use super::image_version::{Publishing, ReplicationMode, ReplicationState, StorageAccountType};

/// How fast operations progress: finished within the accepting request, or
/// after the modelled durations multiplied by a scale (1 on a manual clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    Instant,
    Scaled(f64),
}

impl Pace {
    /// `micros` of modelled time at this pace.
    pub fn scale(self, micros: i64) -> i64 {
        match self {
            Pace::Instant => 0,
            Pace::Scaled(s) => (micros as f64 * s).round().clamp(0.0, i64::MAX as f64) as i64,
        }
    }
}

/// Why a region's replication failed, and at what progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub progress: u8,
}

/// The replication of one region: running from `started` until `finish`,
/// when it completes (or fails, with `failure`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionJob {
    pub region: String,
    pub state: ReplicationState,
    pub replicas: i32,
    pub started: i64,
    pub finish: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

impl RegionJob {
    /// Progress in percent at `now`: Replicating stays below 100 (and below
    /// the progress a planned failure happens at).
    pub fn progress(&self, now: i64) -> i32 {
        let ceiling = self.failure.as_ref().map_or(100, |f| i32::from(f.progress));
        match self.state {
            ReplicationState::Completed => 100,
            ReplicationState::Failed => ceiling,
            _ if self.finish <= self.started => 0,
            _ => {
                let done = (now - self.started).clamp(0, self.finish - self.started) as f64
                    / (self.finish - self.started) as f64;
                ((done * f64::from(ceiling)) as i32).min(99)
            }
        }
    }

    pub fn details(&self) -> String {
        match (&self.state, &self.failure) {
            (ReplicationState::Failed, Some(f)) => format!("{}: {}", f.code, f.message),
            _ => String::new(),
        }
    }
}

/// What the duration of a region's replication depends on besides the region.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Total size of the version's disks or package, in GB.
    pub size_gb: f64,
    /// The version's own region, where the source is.
    pub home: &'a str,
}

/// Seconds of setup before any data moves.
const SETUP_SECONDS: f64 = 30.0;
/// Seconds per GB copied to a region of the source's geography.
const SECONDS_PER_GB: f64 = 3.0;
/// Seconds a shallow replication takes: nothing is copied.
const SHALLOW_SECONDS: f64 = 5.0;

/// The modelled duration of replicating `size_gb` to `region`, in seconds:
///
/// `30 + size_gb × 3 × distance × storage × (1 + 0.25 × (regions − 1)) × (1 + 0.1 × (replicas − 1))`
///
/// where `distance` is 0.5 within the source region, 1 within its geography
/// and 2 across geographies; `storage` is 1 for Standard_LRS, 1.25 for
/// Standard_ZRS and 1.1 for premium storage; the region term models the
/// source's bandwidth shared by the regions replicating at once. A shallow
/// replication takes 5 seconds.
pub fn duration_seconds(
    source: Source<'_>,
    region: &str,
    storage: StorageAccountType,
    replicas: i32,
    regions: usize,
    mode: Option<ReplicationMode>,
) -> f64 {
    if mode == Some(ReplicationMode::Shallow) {
        return SHALLOW_SECONDS;
    }
    let distance = if region == source.home {
        0.5
    } else if geography(region) == geography(source.home) {
        1.0
    } else {
        2.0
    };
    let storage = match storage {
        StorageAccountType::StandardLrs => 1.0,
        StorageAccountType::StandardZrs => 1.25,
        StorageAccountType::PremiumLrs | StorageAccountType::PremiumV2Lrs => 1.1,
    };
    let sharing = 1.0 + 0.25 * (regions.max(1) - 1) as f64;
    let copies = 1.0 + 0.1 * f64::from(replicas.max(1) - 1);
    SETUP_SECONDS + source.size_gb.max(0.0) * SECONDS_PER_GB * distance * storage * sharing * copies
}

/// The geography a region belongs to, from its name, for distances.
pub fn geography(region: &str) -> &'static str {
    const AREAS: &[(&str, &[&str])] = &[
        (
            "europe",
            &[
                "europe",
                "uk",
                "france",
                "germany",
                "norway",
                "sweden",
                "switzerland",
                "poland",
                "italy",
                "spain",
                "austria",
                "belgium",
            ],
        ),
        (
            "asiapacific",
            &[
                "asia",
                "japan",
                "korea",
                "india",
                "australia",
                "newzealand",
                "indonesia",
                "malaysia",
            ],
        ),
        ("middleeast", &["uae", "qatar", "israel"]),
        ("africa", &["southafrica"]),
        ("southamerica", &["brazil", "chile"]),
        ("americas", &["canada", "mexico", "us"]),
    ];
    AREAS
        .iter()
        .find(|(_, words)| words.iter().any(|w| region.contains(w)))
        .map_or("other", |(area, _)| area)
}

/// The replication an accepted write starts: regions already complete with
/// enough replicas are kept, regions still replicating keep running, and new,
/// failed or grown regions start now. `fault` names a failure to plan for a
/// region (a test's fault rule).
pub fn plan(
    prior: &[RegionJob],
    publishing: &Publishing,
    source: Source<'_>,
    pace: Pace,
    now: i64,
    mut fault: impl FnMut(&str) -> Option<Failure>,
) -> Vec<RegionJob> {
    let regions = publishing.target_regions.len();
    publishing
        .target_regions
        .iter()
        .map(|target| {
            let held = prior.iter().find(|j| j.region == target.name);
            let extra = match held {
                Some(j) if j.state == ReplicationState::Replicating => return j.clone(),
                Some(j) if j.state == ReplicationState::Completed => {
                    if j.replicas >= target.regional_replica_count {
                        return RegionJob {
                            replicas: target.regional_replica_count,
                            ..j.clone()
                        };
                    }
                    target.regional_replica_count - j.replicas
                }
                _ => target.regional_replica_count,
            };
            let seconds = duration_seconds(
                source,
                &target.name,
                target.storage_account_type,
                extra,
                regions,
                publishing.replication_mode,
            );
            let duration = pace.scale((seconds * 1_000_000.0) as i64);
            let failure = fault(&target.name);
            let finish = now
                + failure
                    .as_ref()
                    .map_or(duration, |f| duration * i64::from(f.progress) / 100);
            let mut job = RegionJob {
                region: target.name.clone(),
                state: ReplicationState::Replicating,
                replicas: target.regional_replica_count,
                started: now,
                finish,
                failure,
            };
            if pace == Pace::Instant {
                finish_job(&mut job);
            }
            job
        })
        .collect()
}

fn finish_job(job: &mut RegionJob) {
    job.state = if job.failure.is_some() {
        ReplicationState::Failed
    } else {
        ReplicationState::Completed
    };
}

/// When the next region finishes, if any is still replicating.
pub fn next_due(jobs: &[RegionJob]) -> Option<i64> {
    jobs.iter()
        .filter(|j| j.state == ReplicationState::Replicating)
        .map(|j| j.finish)
        .min()
}

/// Finishes every region due at `now`; returns the regions it finished.
pub fn advance(jobs: &mut [RegionJob], now: i64) -> Vec<(String, ReplicationState)> {
    jobs.iter_mut()
        .filter(|j| j.state == ReplicationState::Replicating && j.finish <= now)
        .map(|j| {
            finish_job(j);
            (j.region.clone(), j.state)
        })
        .collect()
}

/// `None` while a region replicates; then the first failure, if any.
pub fn outcome(jobs: &[RegionJob]) -> Option<Result<(), &Failure>> {
    if next_due(jobs).is_some() {
        return None;
    }
    Some(
        jobs.iter()
            .find(|j| j.state == ReplicationState::Failed)
            .and_then(|j| j.failure.as_ref())
            .map_or(Ok(()), Err),
    )
}

/// A Standard_LRS publishing profile to `regions` (name, replicas), for tests.
#[cfg(test)]
pub(crate) fn test_publishing(regions: &[(&str, i32)], published: i64) -> Publishing {
    Publishing {
        target_regions: regions
            .iter()
            .map(|(name, replicas)| super::image_version::TargetRegion {
                name: name.to_string(),
                regional_replica_count: *replicas,
                storage_account_type: StorageAccountType::StandardLrs,
                encryption: None,
                exclude_from_latest: false,
                additional_replica_sets: vec![],
            })
            .collect(),
        replica_count: 1,
        exclude_from_latest: false,
        published_date: published,
        end_of_life_date: None,
        storage_account_type: StorageAccountType::StandardLrs,
        replication_mode: None,
        storage_account_strategy: None,
        replication: vec![],
    }
}

/// Times and a source of 30 GB in westus, for tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::Source;

    pub const NOW: i64 = 1_800_000_000_000_000;
    pub const SECOND: i64 = 1_000_000;
    pub const SOURCE: Source<'static> = Source {
        size_gb: 30.0,
        home: "westus",
    };
}

#[cfg(test)]
mod tests {
    use super::fixtures::{NOW, SECOND, SOURCE};
    use super::*;

    #[test]
    fn time_grows_with_size_distance_regions_replicas_and_storage() {
        let d = |size: f64, region: &str, storage, replicas, regions| {
            duration_seconds(
                Source {
                    size_gb: size,
                    home: "westus",
                },
                region,
                storage,
                replicas,
                regions,
                None,
            )
        };
        let lrs = StorageAccountType::StandardLrs;
        assert_eq!(d(30.0, "westus", lrs, 1, 1), 75.0);
        assert_eq!(d(30.0, "eastus", lrs, 1, 1), 120.0);
        assert_eq!(d(30.0, "westeurope", lrs, 1, 1), 210.0);
        assert!(d(60.0, "eastus", lrs, 1, 1) > d(30.0, "eastus", lrs, 1, 1));
        assert!(d(30.0, "eastus", lrs, 1, 3) > d(30.0, "eastus", lrs, 1, 1));
        assert!(d(30.0, "eastus", lrs, 3, 1) > d(30.0, "eastus", lrs, 1, 1));
        assert!(d(30.0, "eastus", StorageAccountType::StandardZrs, 1, 1) > 120.0);
        let shallow = duration_seconds(
            SOURCE,
            "westeurope",
            lrs,
            5,
            5,
            Some(ReplicationMode::Shallow),
        );
        assert_eq!(shallow, SHALLOW_SECONDS);
    }

    #[test]
    fn regions_finish_one_by_one_and_progress_only_grows() {
        let p = test_publishing(&[("westus", 1), ("eastus", 1), ("westeurope", 1)], NOW);
        let mut jobs = plan(&[], &p, SOURCE, Pace::Scaled(1.0), NOW, |_| None);
        assert!(
            jobs.iter()
                .all(|j| j.state == ReplicationState::Replicating)
        );
        let first = next_due(&jobs).expect("regions replicate");
        assert!(first > NOW);
        let mut last = [0; 3];
        let mut t = NOW;
        while outcome(&jobs).is_none() {
            t += 10 * SECOND;
            advance(&mut jobs, t);
            for (i, j) in jobs.iter().enumerate() {
                assert!(j.progress(t) >= last[i], "progress went backwards");
                last[i] = j.progress(t);
            }
        }
        assert_eq!(outcome(&jobs), Some(Ok(())));
        assert!(last.iter().all(|p| *p == 100));
    }

    #[test]
    fn a_planned_failure_happens_at_its_progress() {
        let p = test_publishing(&[("westus", 1), ("eastus", 1)], NOW);
        let failure = Failure {
            code: "ReplicationFailed".into(),
            message: "disk copy failed".into(),
            progress: 40,
        };
        let mut jobs = plan(&[], &p, SOURCE, Pace::Scaled(1.0), NOW, |r| {
            (r == "eastus").then(|| failure.clone())
        });
        let east = jobs[1].clone();
        // Two regions share the source: 30 + 30 × 3 × 1.25 = 142.5 s, failing at 40%.
        assert_eq!(east.finish - east.started, 142_500_000 * 40 / 100);
        advance(&mut jobs, east.finish);
        assert_eq!(jobs[1].state, ReplicationState::Failed);
        assert_eq!(jobs[1].progress(east.finish + SECOND), 40);
        assert_eq!(outcome(&jobs), None, "west is still replicating");
        advance(&mut jobs, NOW + 100 * SECOND);
        assert_eq!(outcome(&jobs), Some(Err(&failure)));
    }

    #[test]
    fn an_update_replicates_only_what_is_new_or_failed() {
        let p = test_publishing(&[("westus", 1), ("eastus", 1)], NOW);
        let mut jobs = plan(&[], &p, SOURCE, Pace::Scaled(1.0), NOW, |r| {
            (r == "eastus").then(|| Failure {
                code: "X".into(),
                message: "y".into(),
                progress: 0,
            })
        });
        advance(&mut jobs, NOW + 1_000 * SECOND);
        let later = NOW + 2_000 * SECOND;
        let next = test_publishing(&[("westus", 2), ("eastus", 1), ("northeurope", 1)], NOW);
        let replanned = plan(&jobs, &next, SOURCE, Pace::Scaled(1.0), later, |_| None);
        assert_eq!(replanned.len(), 3);
        // westus grew by one replica: only the extra one is copied.
        assert_eq!(replanned[0].started, later);
        assert_eq!(replanned[0].replicas, 2);
        // eastus failed before: it is tried again.
        assert_eq!(replanned[1].state, ReplicationState::Replicating);
        assert!(replanned[1].failure.is_none());
        assert_eq!(replanned[2].region, "northeurope");
        // An unchanged region stays complete.
        let same = plan(&jobs, &p, SOURCE, Pace::Scaled(1.0), later, |_| None);
        assert_eq!(same[0], jobs[0]);
    }

    #[test]
    fn instant_pace_finishes_every_region_in_the_plan() {
        let p = test_publishing(&[("westus", 1), ("eastus", 1)], NOW);
        let jobs = plan(&[], &p, SOURCE, Pace::Instant, NOW, |r| {
            (r == "eastus").then(|| Failure {
                code: "X".into(),
                message: "y".into(),
                progress: 10,
            })
        });
        assert_eq!(jobs[0].state, ReplicationState::Completed);
        assert_eq!(jobs[1].state, ReplicationState::Failed);
        assert!(outcome(&jobs).is_some_and(|o| o.is_err()));
        assert_eq!(next_due(&jobs), None);
    }

    #[test]
    fn regions_map_to_geographies() {
        assert_eq!(geography("eastus2"), geography("westus"));
        assert_eq!(geography("uksouth"), geography("westeurope"));
        assert_ne!(geography("japaneast"), geography("westeurope"));
        assert_eq!(geography("southafricanorth"), "africa");
        assert_eq!(geography("australiaeast"), "asiapacific");
    }
}
