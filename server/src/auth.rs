//! Access tokens: which documents a client may read or write, until when, signed
//! with the relay's secret (HMAC-SHA256) so that only the relay's operator can mint
//! them.
//!
//! A token is `hex(claims).hex(mac)`, the claims being `scope`, `document` and
//! `expiry` (Unix seconds) on separate lines. `document` is a name, or a prefix
//! ending in `*` for a family of documents.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// What a token lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Subscribe and receive.
    Read,
    /// Also send changes.
    Write,
    /// A relay of the mesh: links to this relay as a peer (not a client scope).
    Mesh,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Mesh => "mesh",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "mesh" => Some(Scope::Mesh),
            _ => None,
        }
    }
}

/// The verified content of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub scope: Scope,
    pub document: String,
    pub expiry: u64,
}

impl Claims {
    fn covers(&self, doc: &str) -> bool {
        match self.document.strip_suffix('*') {
            Some(prefix) => doc.starts_with(prefix),
            None => doc == self.document,
        }
    }
}

/// What a connection may do: everything (no secret configured), what its token
/// says, or, for another relay of the mesh, pass on anyone's changes.
#[derive(Clone, Debug)]
pub enum Access {
    Open,
    Token(Claims),
    /// A link with the relay named so.
    Peer(String),
}

impl Access {
    pub fn can_read(&self, doc: &str) -> bool {
        match self {
            Access::Open | Access::Peer(_) => true,
            Access::Token(claims) => claims.scope != Scope::Mesh && claims.covers(doc),
        }
    }

    pub fn can_write(&self, doc: &str) -> bool {
        match self {
            Access::Open | Access::Peer(_) => true,
            Access::Token(claims) => claims.scope == Scope::Write && claims.covers(doc),
        }
    }

    /// The peer relay's name, for a mesh link.
    pub fn peer(&self) -> Option<&str> {
        match self {
            Access::Peer(node) => Some(node),
            _ => None,
        }
    }
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "the token is malformed",
            TokenError::BadSignature => "the token's signature is wrong",
            TokenError::Expired => "the token has expired",
        })
    }
}

fn mac(secret: &[u8], claims: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(claims);
    mac
}

/// A token for `claims`.
pub fn mint(secret: &[u8], claims: &Claims) -> String {
    let text = format!(
        "{}\n{}\n{}",
        claims.scope.name(),
        claims.document,
        claims.expiry
    );
    let tag = mac(secret, text.as_bytes()).finalize().into_bytes();
    format!("{}.{}", hex::encode(text), hex::encode(tag))
}

/// The claims of `token` if the relay's secret signed it and it has not expired at
/// `now` (Unix seconds). The signature is compared in constant time.
pub fn verify(secret: &[u8], token: &str, now: u64) -> Result<Claims, TokenError> {
    let (text, tag) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let text = hex::decode(text).map_err(|_| TokenError::Malformed)?;
    let tag = hex::decode(tag).map_err(|_| TokenError::Malformed)?;
    let expected = mac(secret, &text).finalize().into_bytes();
    if !bool::from(expected.as_slice().ct_eq(&tag)) {
        return Err(TokenError::BadSignature);
    }
    let text = String::from_utf8(text).map_err(|_| TokenError::Malformed)?;
    let mut lines = text.splitn(3, '\n');
    let (Some(scope), Some(document), Some(expiry)) = (lines.next(), lines.next(), lines.next())
    else {
        return Err(TokenError::Malformed);
    };
    let claims = Claims {
        scope: Scope::parse(scope).ok_or(TokenError::Malformed)?,
        document: document.into(),
        expiry: expiry.parse().map_err(|_| TokenError::Malformed)?,
    };
    if claims.expiry <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(document: &str, scope: Scope) -> Claims {
        Claims {
            scope,
            document: document.into(),
            expiry: 2_000,
        }
    }

    #[test]
    fn a_minted_token_verifies_until_it_expires() {
        let token = mint(b"secret", &claims("notes", Scope::Write));
        assert_eq!(
            verify(b"secret", &token, 1_999),
            Ok(claims("notes", Scope::Write))
        );
        assert_eq!(verify(b"secret", &token, 2_000), Err(TokenError::Expired));
        assert_eq!(
            verify(b"other secret", &token, 0),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn tampered_and_garbled_tokens_are_refused() {
        let token = mint(b"secret", &claims("notes", Scope::Read));
        let (text, tag) = token.split_once('.').unwrap();
        let upgraded = hex::encode(
            String::from_utf8(hex::decode(text).unwrap())
                .unwrap()
                .replace("read", "write"),
        );
        assert_eq!(
            verify(b"secret", &format!("{upgraded}.{tag}"), 0),
            Err(TokenError::BadSignature)
        );
        for garbled in ["", ".", "zz.zz", "abc", &token[..token.len() - 1]] {
            assert!(verify(b"secret", garbled, 0).is_err(), "{garbled}");
        }
    }

    #[test]
    fn scopes_and_prefixes_decide_access() {
        let reader = Access::Token(claims("team/*", Scope::Read));
        assert!(reader.can_read("team/plan"));
        assert!(!reader.can_write("team/plan"));
        assert!(!reader.can_read("other"));
        let writer = Access::Token(claims("plan", Scope::Write));
        assert!(writer.can_write("plan"));
        assert!(!writer.can_write("plan2"));
    }
}
