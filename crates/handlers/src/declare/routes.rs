//! A function's HTTP routes, typed once. Each function that serves HTTP declares its routes as
//! one enum with `http_routes!`: every variant's method, path template (API Gateway's, with
//! `{name}` for a path parameter), who may call it and the client limits that apply
//! (`shared::limits` applies them). Every declared route is on the public surface: what API
//! Gateway serves, and `cakeshop dev`'s public listener; nothing an operator uses is declared
//! here. From that one declaration come the
//! handler's dispatch (`Routes::of` turns a request into the variant, which the handler matches
//! exhaustively), `cakeshop functions --json` (which the deployment checks read), and the test
//! that `serverless.yml` routes exactly these to the function.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use cakeshop_domain::Limit;
use serde::{Serialize, Serializer};

/// Who may call a route. The handler checks it, in whichever form the caller brings it (a
/// bearer token, the board's session with its CSRF token, a token in a link or a form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Access {
    /// Anyone, without credentials.
    Anyone,
    /// The order's customer, with the token that came with the order.
    Customer,
    /// The baker: the baker key, the board's session, or the signed link of the baker's email.
    Baker,
    /// The order's customer or the baker.
    CustomerOrBaker,
}

impl Access {
    /// Who, in words: `anyone`, `the customer`, `the baker`, `the customer or the baker`.
    pub fn who(self) -> &'static str {
        match self {
            Access::Anyone => "anyone",
            Access::Customer => "the customer",
            Access::Baker => "the baker",
            Access::CustomerOrBaker => "the customer or the baker",
        }
    }
}

/// One declared route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Route {
    /// `GET`, `POST`, `PUT`.
    pub method: &'static str,
    /// API Gateway's path template: `/order/{orderId}`.
    pub path: &'static str,
    pub access: Access,
    /// The client limits that apply, by their names in `CLIENT_LIMITS`.
    #[serde(serialize_with = "limit_names")]
    pub limits: &'static [Limit],
}

fn limit_names<S: Serializer>(limits: &&'static [Limit], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(limits.iter().map(|limit| limit.name()))
}

impl Route {
    /// API Gateway's route key, `POST /order`, as `serverless.yml` makes it.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether `key` (`"POST /order"`) names this route.
    pub fn has_key(&self, key: &str) -> bool {
        key.split_once(' ') == Some((self.method, self.path))
    }

    /// Whether a request for `method` on the real `path` takes this route: every literal
    /// segment equal, each `{name}` any non-empty segment.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if method != self.method {
            return false;
        }
        let mut template = self.path.trim_matches('/').split('/');
        let mut actual = path.trim_matches('/').split('/');
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return true,
                (Some(expected), Some(segment)) => {
                    let parameter = expected.starts_with('{') && expected.ends_with('}');
                    if parameter && segment.is_empty() || !parameter && expected != segment {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    /// How many literal segments the template has: API Gateway prefers the route with more.
    pub fn literal_segments(&self) -> usize {
        self.path.split('/').filter(|segment| !segment.starts_with('{')).count()
    }
}

/// The routes of one function, as the enum `http_routes!` declares.
pub trait Routes: Copy + Eq + Send + Sync + 'static {
    /// Every route, in the order declared.
    const ALL: &'static [Self];

    fn route(self) -> Route;

    /// The route a request came by: API Gateway's route key when it has one, else its method
    /// and path matched against the templates (the most literal match, as API Gateway does).
    fn of(request: &ApiGatewayV2httpRequest) -> Option<Self> {
        if let Some(key) = request.route_key.as_deref().filter(|key| key.contains(' ')) {
            return Self::ALL.iter().copied().find(|route| route.route().has_key(key));
        }
        let method = request.request_context.http.method.as_str();
        let path = request.raw_path.as_deref().unwrap_or_default();
        Self::ALL
            .iter()
            .copied()
            .filter(|route| route.route().matches(method, path))
            .max_by_key(|route| route.route().literal_segments())
    }

    /// Every route, as declared.
    fn declared() -> Vec<Route> {
        Self::ALL.iter().map(|route| route.route()).collect()
    }
}

/// The routes of a function that serves no HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoutes {}

impl Routes for NoRoutes {
    const ALL: &'static [Self] = &[];

    fn route(self) -> Route {
        match self {}
    }
}

/// Declares a function's routes as an enum: `Variant: METHOD "/path/{param}", Access;`, or
/// with the limits that apply, `Variant: METHOD "/path", Access, [Limit, ...];`.
macro_rules! http_routes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident: $method:ident $path:literal, $access:ident $(, [$($limit:ident),*])?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )*
        }

        impl $crate::declare::Routes for $name {
            const ALL: &'static [Self] = &[$($name::$variant),*];

            fn route(self) -> $crate::declare::Route {
                match self {
                    $( $name::$variant => $crate::declare::Route {
                        method: stringify!($method),
                        path: $path,
                        access: $crate::declare::Access::$access,
                        limits: &[$($(cakeshop_domain::Limit::$limit),*)?],
                    }, )*
                }
            }
        }
    };
}
pub(crate) use http_routes;

#[cfg(test)]
mod tests {
    use super::*;

    http_routes! {
        enum Example {
            Order: GET "/order/{orderId}", CustomerOrBaker;
            Orders: GET "/orders", Baker;
            Fulfilled: POST "/order/fulfilled", Baker, [CustomerActions, WrongTokens];
        }
    }

    fn request(route_key: Option<&str>, method: http::Method, path: &str) -> ApiGatewayV2httpRequest {
        let mut request = ApiGatewayV2httpRequest::default();
        request.route_key = route_key.map(str::to_owned);
        request.request_context.http.method = method;
        request.raw_path = Some(path.to_owned());
        request
    }

    #[test]
    fn takes_the_route_key_when_there_is_one() {
        let by_key = request(Some("POST /order/fulfilled"), http::Method::GET, "/orders");
        assert_eq!(Example::of(&by_key), Some(Example::Fulfilled));
        let unknown = request(Some("POST /order"), http::Method::POST, "/order");
        assert_eq!(Example::of(&unknown), None);
    }

    #[test]
    fn matches_the_path_without_a_route_key() {
        let order = request(None, http::Method::GET, "/order/abc");
        assert_eq!(Example::of(&order), Some(Example::Order));
        // `/order/fulfilled` fits `/order/{orderId}` too; the literal route wins for its method.
        assert_eq!(
            Example::of(&request(None, http::Method::POST, "/order/fulfilled")),
            Some(Example::Fulfilled)
        );
        assert_eq!(Example::of(&request(None, http::Method::GET, "/order/")), None);
        assert_eq!(Example::of(&request(None, http::Method::DELETE, "/orders")), None);
        assert_eq!(Example::of(&request(None, http::Method::GET, "/orders/x")), None);
    }

    #[test]
    fn declares_each_route_once_with_its_key() {
        let keys: Vec<String> = Example::declared().iter().map(Route::key).collect();
        assert_eq!(keys, ["GET /order/{orderId}", "GET /orders", "POST /order/fulfilled"]);
        assert_eq!(Example::Orders.route().access, Access::Baker);
        assert_eq!(Example::Orders.route().limits, []);
        assert_eq!(
            Example::Fulfilled.route().limits,
            [Limit::CustomerActions, Limit::WrongTokens]
        );
    }
}
