//! The server's VAPID identity (RFC 8292): a P-256 key made on first start and kept in the
//! database, and the `Authorization: vapid t=…, k=…` header signed for each push service.
//!
//! The JWT is signed here with `p256` rather than through web-push-native's VAPID helper:
//! that helper's audience leaves out a non-default port, and RFC 8292 says the audience is
//! the push resource's origin, port included.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use sqlx::Row;

use crate::db::Db;

/// How long a signature is valid; push services refuse more than 24 hours.
pub const VALIDITY: chrono::Duration = chrono::Duration::hours(12);

/// The server's VAPID key pair.
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
    /// The public key, base64url (what browsers get as `applicationServerKey`).
    public: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// Why the stored key is unusable.
#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    /// The database.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// The stored value is not a P-256 private key.
    #[error("the stored VAPID key is damaged: {0}")]
    Damaged(String),
}

impl VapidKey {
    /// The database's key, made (randomly, once) if it has none.
    pub async fn load_or_create(db: &Db) -> Result<VapidKey, VapidError> {
        let fresh = SigningKey::random(&mut rand_core::OsRng);
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('vapid_key', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(B64.encode(fresh.to_bytes()))
        .execute(&db.writer)
        .await?;
        let stored: String = sqlx::query("SELECT value FROM meta WHERE key = 'vapid_key'")
            .fetch_one(&db.writer)
            .await?
            .try_get("value")?;
        let bytes = B64
            .decode(stored.trim())
            .map_err(|e| VapidError::Damaged(e.to_string()))?;
        let signing =
            SigningKey::from_slice(&bytes).map_err(|e| VapidError::Damaged(e.to_string()))?;
        Ok(VapidKey::from_signing(signing))
    }

    fn from_signing(signing: SigningKey) -> VapidKey {
        let point = signing.verifying_key().to_encoded_point(false);
        VapidKey {
            public: B64.encode(point.as_bytes()),
            signing,
        }
    }

    /// The public key, base64url, uncompressed point.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a push resource of `origin` (`https://host[:port]`),
    /// valid until `now + VALIDITY`; `contact` is the `sub` claim (`mailto:` or `https:`).
    pub fn authorization(&self, origin: &str, contact: &str, now: DateTime<Utc>) -> String {
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": origin,
            "exp": (now + VALIDITY).timestamp(),
            "sub": contact,
        });
        let claims = B64.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(signed.as_bytes());
        let signature = B64.encode(signature.to_bytes());
        format!("vapid t={signed}.{signature}, k={}", self.public)
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::VerifyingKey;

    use super::*;

    #[test]
    fn the_header_is_a_jwt_the_public_key_verifies() {
        let key = VapidKey::from_signing(SigningKey::random(&mut rand_core::OsRng));
        let now = Utc::now();
        let header = key.authorization("https://push.example:8443", "mailto:a@b.example", now);
        let rest = header.strip_prefix("vapid t=").expect("vapid scheme");
        let (jwt, k) = rest.split_once(", k=").expect("k parameter");
        assert_eq!(k, key.public_key());
        let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
        let public = B64.decode(k).expect("base64url");
        let verifying = VerifyingKey::from_sec1_bytes(&public).expect("a P-256 point");
        let signature =
            Signature::from_slice(&B64.decode(signature).expect("base64url")).expect("r||s");
        verifying
            .verify(signed.as_bytes(), &signature)
            .expect("valid signature");
        let claims = signed.split('.').nth(1).expect("claims");
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(claims).expect("base64url")).expect("JSON");
        assert_eq!(claims["aud"], "https://push.example:8443");
        assert_eq!(claims["sub"], "mailto:a@b.example");
        assert_eq!(claims["exp"], (now + VALIDITY).timestamp());
    }
}
