//! Access tokens like Entra ID's: ES256 JWTs signed by a key the emulator
//! keeps beside its CA, verified when `--auth strict`.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::SystemRandom;
use ring::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
};
use serde::{Deserialize, Serialize};

/// Whether ARM routes need a token the emulator issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Lenient,
    Strict,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Lenient => "lenient",
            AuthMode::Strict => "strict",
        }
    }
}

impl std::str::FromStr for AuthMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "lenient" => Ok(AuthMode::Lenient),
            "strict" => Ok(AuthMode::Strict),
            _ => Err("expected one of: lenient, strict".into()),
        }
    }
}

/// The audiences ARM accepts.
pub const AUDIENCES: &[&str] = &[
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub oid: String,
    pub sub: String,
    pub appid: String,
    #[serde(default)]
    pub ver: String,
}

/// Why a token is refused, with the ARM code for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired { exp: i64, now: i64 },
    WrongAudience(String),
}

pub struct Signer {
    key: EcdsaKeyPair,
    pub kid: String,
}

impl Signer {
    /// Loads the signing key from `dir` (making it the first time), or makes
    /// one for this process when there is no dir.
    pub fn load_or_create(dir: Option<&Path>) -> Result<Signer, String> {
        let rng = SystemRandom::new();
        let path = dir.map(|d| d.join("token-signing-key.b64"));
        let stored = match &path {
            Some(p) => std::fs::read_to_string(p).ok(),
            None => None,
        };
        let pkcs8 = match stored.and_then(|s| B64.decode(s.trim()).ok()) {
            Some(bytes) => bytes,
            None => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| "cannot generate the token signing key".to_string())?;
                if let Some(p) = &path {
                    if let Some(d) = p.parent() {
                        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
                    }
                    std::fs::write(p, B64.encode(doc.as_ref()))
                        .map_err(|e| format!("{}: {e}", p.display()))?;
                }
                doc.as_ref().to_vec()
            }
        };
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|_| "the token signing key is unreadable".to_string())?;
        let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
        let kid = B64.encode(&digest.as_ref()[..12]);
        Ok(Signer { key, kid })
    }

    /// The public key as a JWKS entry.
    pub fn jwk(&self) -> serde_json::Value {
        let point = self.key.public_key().as_ref();
        // Uncompressed point: 0x04 || X (32 bytes) || Y (32 bytes).
        let (x, y) = point[1..].split_at(32);
        serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
            "x": B64.encode(x),
            "y": B64.encode(y),
        })
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, String> {
        let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "kid": self.kid});
        let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
        let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(payload));
        let signature = self
            .key
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| "signing failed".to_string())?;
        Ok(format!(
            "{signing_input}.{}",
            B64.encode(signature.as_ref())
        ))
    }

    /// Checks signature, lifetime and audience of a token this signer issued.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let claims = decode_unverified(token).ok_or(TokenError::Malformed)?;
        let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, self.key.public_key().as_ref())
            .verify(signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        if claims.exp <= now {
            return Err(TokenError::Expired {
                exp: claims.exp,
                now,
            });
        }
        if !AUDIENCES.contains(&claims.aud.as_str()) {
            return Err(TokenError::WrongAudience(claims.aud));
        }
        Ok(claims)
    }
}

/// The claims of a JWT, without checking who signed it (lenient mode uses
/// them to name the caller).
pub fn decode_unverified(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    serde_json::from_slice(&B64.decode(payload).ok()?).ok()
}

/// A stable object id for a client id, so the same principal keeps its id.
pub fn object_id(client_id: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, client_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(aud: &str, exp: i64) -> Claims {
        Claims {
            aud: aud.into(),
            iss: "https://sts.windows.net/t/".into(),
            iat: 0,
            nbf: 0,
            exp,
            tid: "t".into(),
            oid: object_id("app"),
            sub: object_id("app"),
            appid: "app".into(),
            ver: "1.0".into(),
        }
    }

    #[test]
    fn tokens_verify_only_with_the_issuing_key_within_their_lifetime_and_audience() {
        let signer = Signer::load_or_create(None).expect("key");
        let token = signer
            .sign(&claims("https://management.azure.com/", 100))
            .expect("sign");
        assert_eq!(
            signer.verify(&token, 50).map(|c| c.appid).ok().as_deref(),
            Some("app")
        );
        assert!(matches!(
            signer.verify(&token, 100),
            Err(TokenError::Expired { .. })
        ));
        let other = Signer::load_or_create(None).expect("key");
        assert_eq!(other.verify(&token, 50), Err(TokenError::BadSignature));
        let wrong = signer
            .sign(&claims("https://graph.microsoft.com/", 100))
            .expect("sign");
        assert!(matches!(
            signer.verify(&wrong, 50),
            Err(TokenError::WrongAudience(_))
        ));
        assert_eq!(signer.verify("not.a.jwt", 0), Err(TokenError::Malformed));
    }

    #[test]
    fn a_key_kept_in_a_dir_is_the_same_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("ge-key-{}", uuid::Uuid::new_v4()));
        let a = Signer::load_or_create(Some(&dir)).expect("key");
        let b = Signer::load_or_create(Some(&dir)).expect("key");
        assert_eq!(a.jwk(), b.jwk());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn object_ids_are_stable_uuids() {
        assert_eq!(object_id("x"), object_id("x"));
        assert_ne!(object_id("x"), object_id("y"));
        assert!(uuid::Uuid::parse_str(&object_id("x")).is_ok());
    }
}
