//! The ARM protocol, shared by every route: api-versions, errors, JSON bodies,
//! long-running operations, paging, request ids and resource paths.

pub mod api_version;
pub mod error;
pub mod json;
pub mod lro;
pub mod paging;
pub mod query;
pub mod request_id;
pub mod resource_id;

pub use error::ArmError;

/// Protocol settings the extractors read from the application state.
#[derive(Debug, Clone)]
pub struct ArmConfig {
    pub enforce_api_version: bool,
    pub page_size: i64,
    pub max_body_bytes: usize,
    /// `scheme://host[:port]` for absolute URLs; taken from the request when unset.
    pub public_url: Option<String>,
}

/// Formats microseconds since the epoch as ARM does: seven fractional
/// digits and an explicit UTC offset.
pub fn format_time(micros: i64) -> String {
    let nanos = i128::from(micros) * 1000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}+00:00",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 100
        ),
        Err(_) => "1970-01-01T00:00:00.0000000+00:00".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_have_seven_fractional_digits_and_an_offset() {
        assert_eq!(
            super::format_time(1_700_000_000_123_456),
            "2023-11-14T22:13:20.1234560+00:00"
        );
    }
}
