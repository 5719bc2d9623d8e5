//! Lists: `{"value":[…],"nextLink":…}` pages with an absolute `nextLink`
//! carrying `api-version` and an opaque, signed continuation token.
//! A token is bound to the list it came from and to the store's secret, so a
//! forged token, one from another list or one from before a reset is refused.

use ring::hmac;

use super::ArmError;
use super::query::encode;

const TAG_BYTES: usize = 16;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn tag(secret: &[u8], scope: &str, after: &str) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(scope.to_ascii_lowercase().as_bytes());
    ctx.update(b"\n");
    ctx.update(after.as_bytes());
    ctx.sign()
}

/// A token that continues the list `scope` after the item with key `after`.
pub fn make_token(secret: &[u8], scope: &str, after: &str) -> String {
    let t = tag(secret, scope, after);
    format!(
        "{}.{}",
        hex(after.as_bytes()),
        hex(&t.as_ref()[..TAG_BYTES])
    )
}

/// The key to continue after, or an ARM error for a token this list did not issue.
pub fn read_token(secret: &[u8], scope: &str, token: &str) -> Result<String, ArmError> {
    let (after_hex, tag_hex) = token
        .split_once('.')
        .ok_or_else(ArmError::invalid_skip_token)?;
    let after = unhex(after_hex)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(ArmError::invalid_skip_token)?;
    let given = unhex(tag_hex).ok_or_else(ArmError::invalid_skip_token)?;
    let expected = tag(secret, scope, &after);
    let differs = expected.as_ref()[..TAG_BYTES]
        .iter()
        .zip(&given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if given.len() != TAG_BYTES || differs != 0 {
        return Err(ArmError::invalid_skip_token());
    }
    Ok(after)
}

/// The absolute link to the next page of the list at `path`.
pub fn next_link(base_url: &str, path: &str, api_version: &str, token: &str) -> String {
    format!(
        "{base_url}{path}?api-version={}&$skiptoken={}",
        encode(api_version),
        encode(token)
    )
}

/// A page of a list as it goes on the wire.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<'a, T> {
    pub value: &'a [T],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_only_for_its_own_list_and_secret() {
        let token = make_token(b"secret", "/subscriptions/s/providers/x", "key/1");
        assert_eq!(
            read_token(b"secret", "/SUBSCRIPTIONS/s/providers/x", &token)
                .ok()
                .as_deref(),
            Some("key/1")
        );
        assert!(read_token(b"secret", "/subscriptions/other", &token).is_err());
        assert!(read_token(b"rotated", "/subscriptions/s/providers/x", &token).is_err());
    }

    #[test]
    fn forged_tokens_are_refused() {
        let token = make_token(b"secret", "scope", "a");
        let forged = format!(
            "{}.{}",
            hex(b"z"),
            token.split_once('.').map(|t| t.1).unwrap_or("")
        );
        for bad in ["", "nodot", "zz.zz", &forged, "61.00"] {
            assert!(read_token(b"secret", "scope", bad).is_err(), "{bad}");
        }
    }
}
