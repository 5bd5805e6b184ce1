//! Who may do what: customer tokens, the baker's key and the signed "cake is ready" links.
//!
//! Customer tokens and baker links are HMAC-SHA256 signatures made with the signing secret,
//! so nothing about them is stored and every check is a constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cakeshop_domain::{OrderId, Timestamp};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// How long a link in the baker's email stays valid.
pub const BAKER_LINK_LIFETIME_SECONDS: i64 = 7 * 24 * 3600;

/// Signs and checks tokens with the shop's signing secret.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(<secret>)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is not one this shop made")]
    Malformed,
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link has expired; use the newest email or the baker key")]
    Expired,
}

impl Signer {
    pub fn new(secret: impl Into<Vec<u8>>) -> Signer {
        Signer { secret: secret.into() }
    }

    fn mac(&self, purpose: &str, message: &str) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts any key length"),
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message.as_bytes());
        mac
    }

    pub(crate) fn sign(&self, purpose: &str, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, message).finalize().into_bytes())
    }

    pub(crate) fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        self.mac(purpose, message).verify_slice(&bytes).is_ok()
    }

    /// The token that lets one customer read and confirm their own order, and nothing else.
    pub fn customer_token(&self, order_id: &OrderId) -> String {
        self.sign("customer", order_id.as_str())
    }

    pub fn is_customer_token(&self, order_id: &OrderId, token: &str) -> bool {
        self.verify("customer", order_id.as_str(), token)
    }

    /// The order id a request with this `Idempotency-Key` gets: derived, so a repeat finds the
    /// order its first attempt stored, and keyed with the secret, so a key reveals no order id.
    pub fn order_id_for_idempotency_key(&self, key: &str) -> OrderId {
        let digest = self.mac("idempotency-key", key).finalize().into_bytes();
        let text: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
        // 32 lowercase hex digits, like a random id, always a valid order id.
        OrderId::parse(&text).unwrap_or_else(|_| unreachable!("hex digits form a valid order id"))
    }

    /// What a client limit's counter is keyed on instead of `value` (a client or an email
    /// address): the same for the same value, and revealing nothing of it to whoever reads
    /// the store.
    pub fn pseudonym(&self, kind: &str, value: &str) -> String {
        let digest = self
            .mac(&format!("limit-subject:{kind}"), value)
            .finalize()
            .into_bytes();
        digest[..12].iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The token in the baker's "cake is ready" link: `<orderId>.<expiry>.<signature>`.
    pub fn baker_link_token(&self, order_id: &OrderId, expires: Timestamp) -> String {
        let message = format!("{order_id}.{}", expires.unix_seconds());
        let signature = self.sign("baker-link", &message);
        format!("{message}.{signature}")
    }

    /// The order a baker link is for, if the link is genuine and unexpired at `now`.
    pub fn verify_baker_link(&self, token: &str, now: Timestamp) -> Result<OrderId, LinkError> {
        let mut parts = token.splitn(3, '.');
        let (Some(order_id), Some(expires), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(LinkError::Malformed);
        };
        let order_id = OrderId::parse(order_id).map_err(|_| LinkError::Malformed)?;
        let expires: i64 = expires.parse().map_err(|_| LinkError::Malformed)?;
        if !self.verify("baker-link", &format!("{order_id}.{expires}"), signature) {
            return Err(LinkError::BadSignature);
        }
        if now.unix_seconds() > expires {
            return Err(LinkError::Expired);
        }
        Ok(order_id)
    }
}

/// The baker's API key, compared in constant time and never printed.
#[derive(Clone)]
pub struct BakerKey {
    digest: [u8; 32],
}

impl fmt::Debug for BakerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BakerKey(<secret>)")
    }
}

impl BakerKey {
    pub fn new(key: &str) -> BakerKey {
        BakerKey {
            digest: Sha256::digest(key.as_bytes()).into(),
        }
    }

    /// Compares digests so that neither the content nor the length of the key leaks in timing.
    pub fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(self.digest.ct_eq(&presented))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> OrderId {
        OrderId::parse(text).expect("valid id")
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_millis(seconds * 1000).expect("in range")
    }

    #[test]
    fn customer_tokens_open_only_their_own_order() {
        let signer = Signer::new("secret");
        let token = signer.customer_token(&id("a"));
        assert!(signer.is_customer_token(&id("a"), &token));
        assert!(!signer.is_customer_token(&id("b"), &token));
        assert!(!Signer::new("other").is_customer_token(&id("a"), &token));
        assert!(!signer.is_customer_token(&id("a"), "not base64 !"));
    }

    #[test]
    fn baker_links_are_refused_when_tampered_or_expired() {
        let signer = Signer::new("secret");
        let token = signer.baker_link_token(&id("a"), at(1000));
        assert_eq!(signer.verify_baker_link(&token, at(999)), Ok(id("a")));
        assert_eq!(signer.verify_baker_link(&token, at(1001)), Err(LinkError::Expired));
        let other_order = token.replacen("a.", "b.", 1);
        assert_eq!(
            signer.verify_baker_link(&other_order, at(999)),
            Err(LinkError::BadSignature)
        );
        let later_expiry = token.replace(".1000.", ".9999.");
        assert_eq!(
            signer.verify_baker_link(&later_expiry, at(999)),
            Err(LinkError::BadSignature)
        );
        assert_eq!(signer.verify_baker_link("junk", at(0)), Err(LinkError::Malformed));
        let customer_token = signer.customer_token(&id("a"));
        assert!(
            signer.verify_baker_link(&customer_token, at(0)).is_err(),
            "a customer token is no link"
        );
    }

    #[test]
    fn baker_key_matches_exactly_and_hides_itself() {
        let key = BakerKey::new("k3y");
        assert!(key.matches("k3y"));
        assert!(!key.matches("k3y "));
        assert!(!key.matches(""));
        assert!(!format!("{key:?}").contains("k3y"));
    }
}
