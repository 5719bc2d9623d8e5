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

/// Parses an ARM date-time (RFC 3339, or a bare `YYYY-MM-DD` as templates
/// send) into microseconds since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let parsed = time::OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| {
            let date = time::Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .ok()?;
            Some(date.midnight().assume_utc())
        })?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1000).ok()
}

/// Deserializes an ARM date-time property into microseconds, naming the value
/// it could not convert as ARM does.
pub fn de_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(d)?;
    match text {
        None => Ok(None),
        Some(t) => parse_time(&t).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!("Could not convert string to DateTimeOffset: {t}"))
        }),
    }
}

/// Deserializes an int32 that templates may send as a numeric string.
pub fn de_lenient_i32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(i64),
        Text(String),
    }
    let value: Option<NumberOrText> = serde::Deserialize::deserialize(d)?;
    let wide = match value {
        None => return Ok(None),
        Some(NumberOrText::Number(n)) => Some(n),
        Some(NumberOrText::Text(t)) => t.trim().parse::<i64>().ok(),
    };
    wide.and_then(|n| i32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("expected a 32-bit integer"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_parse_with_an_offset_or_as_a_bare_day() {
        assert_eq!(
            super::parse_time("2030-01-01"),
            super::parse_time("2030-01-01T00:00:00Z")
        );
        assert_eq!(
            super::parse_time("2030-01-01T02:00:00+02:00"),
            super::parse_time("2030-01-01T00:00:00+00:00")
        );
        assert_eq!(super::parse_time("tomorrow"), None);
    }

    #[test]
    fn times_have_seven_fractional_digits_and_an_offset() {
        assert_eq!(
            super::format_time(1_700_000_000_123_456),
            "2023-11-14T22:13:20.1234560+00:00"
        );
    }
}
