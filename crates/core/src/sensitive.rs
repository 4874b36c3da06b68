//! A wrapper for secrets: prints as `<redacted>`, refuses to serialise, compares in constant
//! time. The session token lives only inside one of these on the Rust side.

use std::fmt;

/// A secret value.
#[derive(Clone)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Sensitive<T> {
        Sensitive(value)
    }

    /// The secret itself, for the one place that must send it (an Authorization header).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> serde::Serialize for Sensitive<T> {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("refusing to serialise a secret"))
    }
}

impl PartialEq for Sensitive<String> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_secret() {
        let token = Sensitive::new("hrld_s_secret".to_string());
        assert_eq!(format!("{token:?} {token}"), "<redacted> <redacted>");
        assert!(
            serde_json::to_string(&token).is_err(),
            "serialising a secret fails"
        );
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: Sensitive<String>,
        }
        assert!(!format!(
            "{:?}",
            Holder {
                token: token.clone()
            }
        )
        .contains("secret"));
        assert_eq!(token, Sensitive::new("hrld_s_secret".to_string()));
        assert_ne!(token, Sensitive::new("hrld_s_other".to_string()));
    }
}
