//! Opaque tokens: session tokens and ingest keys are 256 random bits with a prefix that lets
//! secret scanners recognise a leaked one; only their SHA-256 is stored. Also the one hex
//! encoder of the server.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// Prefix of session tokens (lets secret scanners recognise a leaked one).
pub const SESSION_PREFIX: &str = "hrld_s_";
/// Prefix of ingest keys.
pub const INGEST_PREFIX: &str = "hrld_i_";
/// The prefix of ingest keys' signing secrets.
pub const SIGNING_PREFIX: &str = "hrld_h_";
/// The prefix of admin keys (the provisioning API).
pub const ADMIN_PREFIX: &str = "hrld_a_";

/// A new random token with `prefix`, and the hash to store.
pub fn new_token(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", hex(&bytes));
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token. Tokens carry 256 random bits, so a fast hash is enough: the
/// database alone cannot be turned back into usable tokens.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, ha) = new_token(SESSION_PREFIX);
        let (b, hb) = new_token(SESSION_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with(SESSION_PREFIX) && a.len() == SESSION_PREFIX.len() + 64);
        assert_eq!(ha, hash_token(&a));
        assert_ne!(ha, hb);
        assert!(
            !ha.contains(&a[SESSION_PREFIX.len()..]),
            "the hash is not the token"
        );
    }

    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(hex(&[0, 9, 0xab, 0xff]), "0009abff");
    }
}
