//! The baker's signed-in session on the board, and what keeps its forms safe from other sites.
//!
//! Signing in with the baker key sets a cookie holding `<expiry>.<signature>` (HMAC with the
//! signing secret: nothing is stored, and rotating the secret signs everyone out). The cookie is
//! HttpOnly, SameSite=Strict, Secure when the request came over HTTPS, and expires. Every form
//! that acts for the baker also carries a CSRF token derived from the session, and a post whose
//! browser says it came from another site (`Sec-Fetch-Site`, else `Origin`) is refused whatever
//! it carries.

use crate::shared::api::ApiError;
use crate::shared::auth::Signer;
use crate::shared::forms::same_site;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use cakeshop_domain::Timestamp;
use std::collections::HashMap;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cakeshop_baker";
/// How long a sign-in lasts: a working day.
pub const SESSION_LIFETIME_SECONDS: i64 = 12 * 3600;
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The value of cookie `name`, from API Gateway's `cookies` (or a `Cookie` header).
pub fn cookie<'a>(request: &'a ApiGatewayV2httpRequest, name: &str) -> Option<&'a str> {
    let from_list = request.cookies.iter().flatten().map(String::as_str);
    let from_header = request
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok());
    from_list
        .chain(from_header)
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether the request reached the shop over HTTPS (API Gateway always; `cakeshop dev` not).
pub fn over_https(request: &ApiGatewayV2httpRequest) -> bool {
    request
        .headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for cookie `name`, living `max_age` seconds (0 clears it).
pub fn set_cookie(request: &ApiGatewayV2httpRequest, name: &str, value: &str, max_age: i64) -> String {
    let secure = if over_https(request) { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

impl Signer {
    /// A new session's cookie value, good until `expires`.
    pub fn baker_session(&self, expires: Timestamp) -> String {
        let expires = expires.unix_seconds();
        format!("{expires}.{}", self.sign("baker-session", &expires.to_string()))
    }

    /// Whether `session` is one this shop signed and is still good at `now`.
    pub fn is_baker_session(&self, session: &str, now: Timestamp) -> bool {
        let Some((expires, signature)) = session.split_once('.') else {
            return false;
        };
        let Ok(seconds) = expires.parse::<i64>() else {
            return false;
        };
        seconds >= now.unix_seconds() && self.verify("baker-session", expires, signature)
    }

    /// The CSRF token of the board's forms for `session`.
    pub fn csrf_token(&self, session: &str) -> String {
        self.sign("baker-csrf", session)
    }
}

/// The baker's session on this request, if it is signed in.
pub fn signed_in<'a>(signer: &Signer, request: &'a ApiGatewayV2httpRequest, now: Timestamp) -> Option<&'a str> {
    cookie(request, SESSION_COOKIE).filter(|session| signer.is_baker_session(session, now))
}

/// Checks a board form: same site, signed in, and carrying the session's CSRF token.
pub fn check_board_form(
    signer: &Signer,
    request: &ApiGatewayV2httpRequest,
    fields: &HashMap<String, String>,
    now: Timestamp,
) -> Result<(), ApiError> {
    same_site(request)?;
    let session =
        signed_in(signer, request, now).ok_or_else(|| ApiError::unauthorized("please sign in to the board again"))?;
    let presented = fields.get(CSRF_FIELD).map(String::as_str).unwrap_or_default();
    if !signer.verify("baker-csrf", session, presented) {
        return Err(ApiError::forbidden("this form is out of date; please reload the board"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_millis(seconds * 1000).expect("in range")
    }

    fn request(headers: &[(&'static str, &str)], cookies: &[&str]) -> ApiGatewayV2httpRequest {
        let mut request = ApiGatewayV2httpRequest::default();
        for (name, value) in headers {
            request
                .headers
                .insert(*name, HeaderValue::from_str(value).expect("ascii"));
        }
        request.cookies = Some(cookies.iter().map(|c| (*c).to_owned()).collect());
        request
    }

    #[test]
    fn sessions_expire_and_cannot_be_forged() {
        let signer = Signer::new("secret");
        let session = signer.baker_session(at(1000));
        assert!(signer.is_baker_session(&session, at(1000)));
        assert!(!signer.is_baker_session(&session, at(1001)));
        assert!(!signer.is_baker_session(&session.replacen("1000", "9999", 1), at(0)));
        assert!(!Signer::new("other").is_baker_session(&session, at(0)));
        assert!(!signer.is_baker_session("junk", at(0)));
    }

    #[test]
    fn a_board_form_needs_the_session_its_token_and_the_same_site() {
        let signer = Signer::new("secret");
        let session = signer.baker_session(at(1000));
        let cookie = format!("{SESSION_COOKIE}={session}");
        let fields: HashMap<String, String> = [(CSRF_FIELD.to_owned(), signer.csrf_token(&session))].into();
        let same_site = request(&[("sec-fetch-site", "same-origin")], &[&cookie]);
        assert_eq!(check_board_form(&signer, &same_site, &fields, at(10)), Ok(()));
        let cross_site = request(&[("sec-fetch-site", "cross-site")], &[&cookie]);
        assert_eq!(
            check_board_form(&signer, &cross_site, &fields, at(10)).map_err(|e| e.status),
            Err(403)
        );
        let other_origin = request(
            &[("origin", "https://evil.example"), ("host", "cakes.example")],
            &[&cookie],
        );
        assert_eq!(
            check_board_form(&signer, &other_origin, &fields, at(10)).map_err(|e| e.status),
            Err(403)
        );
        let no_session = request(&[], &[]);
        assert_eq!(
            check_board_form(&signer, &no_session, &fields, at(10)).map_err(|e| e.status),
            Err(401)
        );
        let other_token: HashMap<String, String> = [(CSRF_FIELD.to_owned(), "forged".to_owned())].into();
        assert_eq!(
            check_board_form(&signer, &same_site, &other_token, at(10)).map_err(|e| e.status),
            Err(403)
        );
    }

    #[test]
    fn cookies_are_strict_http_only_and_secure_over_https() {
        let plain = set_cookie(&request(&[], &[]), SESSION_COOKIE, "v", 60);
        assert_eq!(plain, "cakeshop_baker=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict");
        let https = set_cookie(
            &request(&[("x-forwarded-proto", "https")], &[]),
            SESSION_COOKIE,
            "v",
            60,
        );
        assert!(https.ends_with("; Secure"));
        assert_eq!(
            cookie(&request(&[], &["a=1", "cakeshop_baker=s.x"]), SESSION_COOKIE),
            Some("s.x")
        );
    }
}
