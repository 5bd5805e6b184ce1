//! The operator's surface of `cakeshop dev`: the console, the mailbox feed and the partner
//! stand-ins, served on a loopback listener of their own and never beside the public API.
//!
//! Loopback alone does not keep a web page out: any site the operator's browser opens may send
//! requests to `127.0.0.1`, and a name the site controls may be re-pointed at `127.0.0.1`
//! after the page loaded (DNS rebinding), which then reads the answers as its own. So every
//! request must be addressed to this listener by its own name (`Host`), and a change must not
//! come from another site's page (`Origin`, `Sec-Fetch-Site`). The functions' calls to the
//! stand-ins, and tools such as curl, send neither of the latter and are let through.

use crate::feeds::error_response;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Method, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;

/// The names a request to the operator listener may be addressed to.
struct OwnNames {
    /// `127.0.0.1:<port>` and `localhost:<port>`.
    hosts: [String; 2],
}

impl OwnNames {
    fn of(address: SocketAddr) -> OwnNames {
        let port = address.port();
        OwnNames {
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
        }
    }

    fn is_own(&self, host: &str) -> bool {
        self.hosts.iter().any(|own| own.eq_ignore_ascii_case(host))
    }
}

/// `routes` (the console, the mailbox feed, the stand-ins) as the listener at `address` serves
/// them: anything else is a 404 in the project's error shape, and every request, known path or
/// not, passes the guard first.
pub fn operator_surface(routes: Router, address: SocketAddr) -> Router {
    routes
        .fallback(|method: Method, uri: http::Uri| async move {
            error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no route {method} {}", uri.path()),
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(OwnNames::of(address)),
            guard,
        ))
}

async fn guard(State(names): State<Arc<OwnNames>>, request: Request, next: Next) -> Response {
    let host = request.headers().get(HOST).and_then(|value| value.to_str().ok());
    let authority = request.uri().authority().map(|authority| authority.as_str());
    let Some(host) = host.filter(|host| names.is_own(host) && authority.is_none_or(|a| names.is_own(a))) else {
        return error_response(
            StatusCode::MISDIRECTED_REQUEST,
            "foreign_host",
            format!(
                "this is cakeshop dev's operator listener; it answers only requests addressed to {} or {}",
                names.hosts[0], names.hosts[1]
            ),
        );
    };
    if !request.method().is_safe()
        && let Some(source) = cross_site(request.headers(), host)
    {
        return error_response(
            StatusCode::FORBIDDEN,
            "cross_site",
            format!("the operator listener takes changes from its own pages and from tools, not from {source}"),
        );
    }
    next.run(request).await
}

/// Where a change came from, if that is another site. `Sec-Fetch-Site` is the browser's own
/// word and only `same-origin` (or `none`, typed by the user) passes. `Origin` must be this
/// listener as the request addressed it; the console's pages send `Origin: null` (their
/// `Referrer-Policy` is `no-referrer`), which is believed only when the browser also says
/// `same-origin`, as a sandboxed frame of another site also sends `null`.
fn cross_site(headers: &HeaderMap, host: &str) -> Option<String> {
    let header = |name: &str| headers.get(name).map(|value| value.to_str().unwrap_or("(unreadable)"));
    let site = header("sec-fetch-site");
    if let Some(site) = site
        && !matches!(site, "same-origin" | "none")
    {
        return Some(format!("a {site} page (Sec-Fetch-Site)"));
    }
    let origin = header(ORIGIN.as_str())?;
    let own = origin
        .strip_prefix("http://")
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host));
    let vouched_null = origin == "null" && site == Some("same-origin");
    (!own && !vouched_null).then(|| format!("a page of origin {origin:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn own_names_are_loopback_and_localhost_at_the_listeners_port() {
        let names = OwnNames::of("127.0.0.1:3001".parse().expect("an address"));
        for own in ["127.0.0.1:3001", "localhost:3001", "LOCALHOST:3001"] {
            assert!(names.is_own(own), "{own}");
        }
        for foreign in [
            "evil.example",
            "evil.example:3001",
            "127.0.0.1:3000",
            "127.0.0.1",
            "localhost",
            "[::1]:3001",
        ] {
            assert!(!names.is_own(foreign), "{foreign}");
        }
    }

    #[test]
    fn changes_from_other_sites_are_told_apart_from_the_consoles_own() {
        let host = "127.0.0.1:3001";
        for own in [
            headers(&[]),
            headers(&[("origin", "http://127.0.0.1:3001")]),
            headers(&[("sec-fetch-site", "same-origin"), ("origin", "null")]),
            headers(&[("sec-fetch-site", "none")]),
        ] {
            assert_eq!(cross_site(&own, host), None, "{own:?}");
        }
        for foreign in [
            headers(&[("origin", "http://evil.example")]),
            headers(&[("origin", "http://127.0.0.1:3000")]),
            headers(&[("origin", "https://127.0.0.1:3001")]),
            headers(&[("origin", "null")]),
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("sec-fetch-site", "same-origin"), ("origin", "http://evil.example")]),
            headers(&[("sec-fetch-site", "none"), ("origin", "null")]),
        ] {
            assert!(cross_site(&foreign, host).is_some(), "{foreign:?}");
        }
    }
}
