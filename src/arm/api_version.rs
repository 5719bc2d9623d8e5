//! `api-version`: required on every ARM call and checked against the versions
//! of the resource provider the route belongs to.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::query::Query;
use super::{ArmConfig, ArmError};

/// The api-versions one resource provider type serves.
pub trait VersionSet: Send + Sync + 'static {
    const TYPE_NAME: &'static str;
    const VERSIONS: &'static [&'static str];
}

/// Every stable GalleryRP api-version.
pub struct Gallery;

impl VersionSet for Gallery {
    const TYPE_NAME: &'static str = "galleries";
    const VERSIONS: &'static [&'static str] = &[
        "2018-06-01",
        "2019-03-01",
        "2019-07-01",
        "2019-12-01",
        "2020-09-30",
        "2021-07-01",
        "2021-10-01",
        "2022-01-03",
        "2022-03-03",
        "2022-08-03",
        "2023-07-03",
        "2024-03-03",
        "2025-03-03",
        "2025-12-03",
        "2026-03-03",
    ];
}

/// Microsoft.Resources: resource groups, subscriptions and tenants.
pub struct Resources;

impl VersionSet for Resources {
    const TYPE_NAME: &'static str = "resourceGroups";
    const VERSIONS: &'static [&'static str] = &[
        "2014-04-01",
        "2015-01-01",
        "2015-11-01",
        "2016-02-01",
        "2016-06-01",
        "2016-07-01",
        "2016-09-01",
        "2017-05-10",
        "2017-08-01",
        "2018-02-01",
        "2018-05-01",
        "2018-06-01",
        "2019-03-01",
        "2019-05-01",
        "2019-05-10",
        "2019-06-01",
        "2019-07-01",
        "2019-08-01",
        "2019-10-01",
        "2019-11-01",
        "2020-01-01",
        "2020-06-01",
        "2020-08-01",
        "2020-10-01",
        "2021-01-01",
        "2021-04-01",
        "2022-01-01",
        "2022-09-01",
        "2022-12-01",
        "2023-07-01",
        "2024-03-01",
        "2024-07-01",
        "2024-11-01",
        "2025-01-01",
        "2025-03-01",
        "2025-04-01",
    ];
}

/// Microsoft.Compute disks, snapshots and managed images (Disk RP and
/// Compute RP versions).
pub struct ComputeResources;

impl VersionSet for ComputeResources {
    const TYPE_NAME: &'static str = "disks, snapshots and images";
    const VERSIONS: &'static [&'static str] = &[
        "2016-04-30-preview",
        "2017-03-30",
        "2017-12-01",
        "2018-04-01",
        "2018-06-01",
        "2018-09-30",
        "2018-10-01",
        "2019-03-01",
        "2019-07-01",
        "2019-11-01",
        "2019-12-01",
        "2020-05-01",
        "2020-06-01",
        "2020-06-30",
        "2020-09-30",
        "2020-12-01",
        "2021-03-01",
        "2021-04-01",
        "2021-07-01",
        "2021-08-01",
        "2021-11-01",
        "2021-12-01",
        "2022-03-01",
        "2022-03-02",
        "2022-07-02",
        "2022-08-01",
        "2022-11-01",
        "2023-01-02",
        "2023-03-01",
        "2023-04-02",
        "2023-07-01",
        "2023-09-01",
        "2023-10-02",
        "2024-03-01",
        "2024-03-02",
        "2024-07-01",
        "2024-11-01",
        "2025-01-02",
        "2025-04-01",
        "2025-11-01",
        "2026-03-02",
        "2026-04-01",
    ];
}

/// Checks `given` against several providers' versions at once.
pub fn check_any(
    given: Option<&str>,
    enforce: bool,
    sets: &[&'static [&'static str]],
) -> Result<String, ArmError> {
    let value = match given {
        None | Some("") => return Err(ArmError::missing_api_version()),
        Some(v) => v,
    };
    if enforce && !sets.iter().any(|set| set.contains(&value)) {
        let all: Vec<&str> = sets.iter().flat_map(|s| s.iter().copied()).collect();
        return Err(if is_well_formed(value) {
            ArmError::no_registered_provider(value, "locations/capsOperations", &all)
        } else {
            ArmError::invalid_api_version(value, &all)
        });
    }
    Ok(value.to_string())
}

/// The validated `api-version` of a request to a `S` route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion<S> {
    pub value: String,
    marker: std::marker::PhantomData<fn() -> S>,
}

impl<S> ApiVersion<S> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// Checks `given` against `S`'s versions; `enforce: false` accepts any non-empty value.
pub fn check<S: VersionSet>(given: Option<&str>, enforce: bool) -> Result<ApiVersion<S>, ArmError> {
    let value = match given {
        None | Some("") => return Err(ArmError::missing_api_version()),
        Some(v) => v,
    };
    if enforce && !S::VERSIONS.contains(&value) {
        return Err(if is_well_formed(value) {
            ArmError::no_registered_provider(value, S::TYPE_NAME, S::VERSIONS)
        } else {
            ArmError::invalid_api_version(value, S::VERSIONS)
        });
    }
    Ok(ApiVersion {
        value: value.to_string(),
        marker: std::marker::PhantomData,
    })
}

/// `YYYY-MM-DD` with an optional `-suffix` such as `-preview`.
fn is_well_formed(v: &str) -> bool {
    let date = v.get(..10).unwrap_or("");
    let rest = v.get(10..).unwrap_or("");
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = date.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| digits(p))
        && (rest.is_empty() || (rest.starts_with('-') && rest.len() > 1))
}

impl<St, S> FromRequestParts<St> for ApiVersion<S>
where
    St: Send + Sync,
    ArmConfig: FromRef<St>,
    S: VersionSet,
{
    type Rejection = ArmError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let config = ArmConfig::from_ref(state);
        let query = Query::parse(parts.uri.query());
        check::<S>(query.get("api-version"), config.enforce_api_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stable_gallery_version_is_accepted() {
        for v in Gallery::VERSIONS {
            assert!(check::<Gallery>(Some(v), true).is_ok());
        }
    }

    #[test]
    fn missing_malformed_and_unknown_versions_have_distinct_codes() {
        let code = |v: Option<&str>| check::<Gallery>(v, true).err().map(|e| e.code);
        assert_eq!(code(None).as_deref(), Some("MissingApiVersionParameter"));
        assert_eq!(
            code(Some("")).as_deref(),
            Some("MissingApiVersionParameter")
        );
        assert_eq!(
            code(Some("yesterday")).as_deref(),
            Some("InvalidApiVersionParameter")
        );
        assert_eq!(
            code(Some("2017-01-01")).as_deref(),
            Some("NoRegisteredProviderFound")
        );
        assert_eq!(
            code(Some("2021-07-01-preview")).as_deref(),
            Some("NoRegisteredProviderFound")
        );
    }

    #[test]
    fn the_check_can_be_turned_off_but_the_parameter_stays_required() {
        assert!(check::<Gallery>(Some("2099-01-01"), false).is_ok());
        assert!(check::<Gallery>(None, false).is_err());
    }
}
