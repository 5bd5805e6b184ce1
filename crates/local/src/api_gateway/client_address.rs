//! Which address a request came from, as the event's `requestContext.http.sourceIp` gives it.
//!
//! A connection's peer is the client, unless the peer is a proxy the operator trusts: then the
//! client is what that proxy wrote into `X-Forwarded-For`. Every hop appends the address it was
//! connected from, so the list is read from the right, past the trusted proxies, to the first
//! address no trusted proxy would have written: anything left of it was written by the client
//! and proves nothing. A peer that is not trusted has its `X-Forwarded-For` ignored entirely.

use http::HeaderMap;
use http::header::HeaderValue;
use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// One trusted proxy: an address, or a CIDR block of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(IpNet);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustedProxyError {
    #[error("{0:?} is neither an IP address nor a CIDR block (such as 10.0.0.0/8 or fd00::/8)")]
    Unreadable(String),
    #[error("{given} has bits set past its prefix; the block is {network}")]
    HostBits { given: String, network: String },
}

impl FromStr for TrustedProxy {
    type Err = TrustedProxyError;

    fn from_str(text: &str) -> Result<TrustedProxy, TrustedProxyError> {
        let text = text.trim();
        if let Ok(address) = text.parse::<IpAddr>() {
            return Ok(TrustedProxy(IpNet::from(address.to_canonical())));
        }
        let block = text
            .parse::<IpNet>()
            .map_err(|_| TrustedProxyError::Unreadable(text.to_owned()))?;
        // `10.0.0.5/8` is most likely a typing mistake; trusting all of 10/8 for it would be a
        // silent surprise.
        if block.trunc() != block {
            return Err(TrustedProxyError::HostBits {
                given: text.to_owned(),
                network: block.trunc().to_string(),
            });
        }
        Ok(TrustedProxy(block))
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.prefix_len() == self.0.max_prefix_len() {
            write!(f, "{}", self.0.addr())
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl TrustedProxy {
    fn contains(&self, address: IpAddr) -> bool {
        self.0.contains(&address)
    }

    /// Whether this entry takes in every address, so that any client could name its own.
    pub fn is_everything(&self) -> bool {
        self.0.prefix_len() == 0
    }
}

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<TrustedProxy>);

impl TrustedProxies {
    pub fn new(proxies: Vec<TrustedProxy>) -> TrustedProxies {
        TrustedProxies(proxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &TrustedProxy> {
        self.0.iter()
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|proxy| proxy.contains(address))
    }

    /// The client of a request that arrived from `peer` with `headers`.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Entries in the order the hops wrote them; a value that is not text is one unreadable entry.
        let entries: Vec<Option<&str>> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|value: &HeaderValue| match value.to_str() {
                Ok(text) => text.split(',').map(Some).collect::<Vec<_>>(),
                Err(_) => vec![None],
            })
            .collect();
        let mut nearest_trusted = peer;
        for entry in entries.into_iter().rev() {
            let Some(address) = entry.and_then(forwarded_address) else {
                // What is left of an unreadable entry cannot be told apart from the client's own words.
                return nearest_trusted;
            };
            if !self.trusts(address) {
                return address;
            }
            nearest_trusted = address;
        }
        // Trusted all the way: the left-most hop is the nearest thing to a client there is.
        nearest_trusted
    }
}

/// An `X-Forwarded-For` entry: an address, which some proxies write with its port.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()?;
    Some(address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusting(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::new(entries.iter().map(|e| e.parse().expect("a trusted proxy")).collect())
    }

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_bytes(value).expect("a header value"),
            );
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn client(proxies: &TrustedProxies, peer: &str, values: &[&[u8]]) -> IpAddr {
        proxies.client_address(ip(peer), &headers(values))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let proxies = trusting(&["10.0.0.0/8"]);
        assert_eq!(client(&proxies, "203.0.113.9", &[b"1.2.3.4"]), ip("203.0.113.9"));
        assert_eq!(
            client(&TrustedProxies::default(), "127.0.0.1", &[b"1.2.3.4"]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_entry_is_the_client() {
        let proxies = trusting(&["10.0.0.1", "192.168.0.0/16"]);
        // The client wrote 1.2.3.4 itself; the proxy appended the address it saw.
        assert_eq!(
            client(&proxies, "10.0.0.1", &[b"1.2.3.4, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Trusted hops on the right are skipped, whichever header line they are on.
        assert_eq!(
            client(&proxies, "10.0.0.1", &[b"1.2.3.4, 198.51.100.7", b"192.168.3.4"]),
            ip("198.51.100.7")
        );
        assert_eq!(client(&proxies, "10.0.0.1", &[]), ip("10.0.0.1"), "no header: the peer");
    }

    #[test]
    fn when_every_hop_is_trusted_the_left_most_is_the_client() {
        let proxies = trusting(&["10.0.0.0/8"]);
        assert_eq!(client(&proxies, "10.0.0.1", &[b"10.1.1.1, 10.2.2.2"]), ip("10.1.1.1"));
    }

    #[test]
    fn nothing_left_of_an_unreadable_entry_is_believed() {
        let proxies = trusting(&["10.0.0.0/8"]);
        assert_eq!(client(&proxies, "10.0.0.1", &[b"1.2.3.4, nonsense"]), ip("10.0.0.1"));
        assert_eq!(
            client(&proxies, "10.0.0.1", &[b"1.2.3.4, nonsense, 10.9.9.9"]),
            ip("10.9.9.9"),
            "the last trusted hop"
        );
        assert_eq!(client(&proxies, "10.0.0.1", &[b"1.2.3.4,,10.9.9.9"]), ip("10.9.9.9"));
        assert_eq!(client(&proxies, "10.0.0.1", &[b"1.2.3.4", b"\xff"]), ip("10.0.0.1"));
        assert_eq!(client(&proxies, "10.0.0.1", &[b""]), ip("10.0.0.1"));
    }

    #[test]
    fn entries_with_ports_and_mapped_addresses_are_read() {
        let proxies = trusting(&["10.0.0.0/8", "::1"]);
        assert_eq!(
            client(&proxies, "10.0.0.1", &[b"198.51.100.7:4711"]),
            ip("198.51.100.7")
        );
        assert_eq!(client(&proxies, "10.0.0.1", &[b"[2001:db8::1]:443"]), ip("2001:db8::1"));
        // A dual-stack listener sees IPv4 peers as mapped IPv6 addresses.
        assert_eq!(
            client(&proxies, "::ffff:10.0.0.1", &[b"198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client(&proxies, "::1", &[b"198.51.100.7, ::ffff:10.0.0.3"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client(&TrustedProxies::default(), "::ffff:127.0.0.2", &[]),
            ip("127.0.0.2")
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks() {
        assert_eq!(
            "127.0.0.1".parse::<TrustedProxy>().map(|p| p.to_string()),
            Ok("127.0.0.1".into())
        );
        assert_eq!(
            " 10.0.0.0/8 ".parse::<TrustedProxy>().map(|p| p.to_string()),
            Ok("10.0.0.0/8".into())
        );
        assert_eq!(
            "fd00::/8".parse::<TrustedProxy>().map(|p| p.to_string()),
            Ok("fd00::/8".into())
        );
        assert!("0.0.0.0/0".parse::<TrustedProxy>().is_ok_and(|p| p.is_everything()));
        assert_eq!(
            "10.0.0.5/8".parse::<TrustedProxy>(),
            Err(TrustedProxyError::HostBits {
                given: "10.0.0.5/8".into(),
                network: "10.0.0.0/8".into()
            })
        );
        for bad in ["", "localhost", "10.0.0.0/33", "10.0.0", "1.2.3.4:80"] {
            assert_eq!(
                bad.parse::<TrustedProxy>(),
                Err(TrustedProxyError::Unreadable(bad.into())),
                "{bad}"
            );
        }
    }
}
