//! What each function reads: exactly the variables its handler's constructor needs.
//!
//! Each struct has `from_env()` (the process environment) and `from_lookup(..)` (any lookup,
//! for tests). Secrets stay `Secret` until `AwsClients::secret` resolves them, so a missing
//! variable is reported before any network call.

use super::{
    BAKER_API_KEY, BAKER_EMAIL, CUSTOMER_SERVICE_API_URL, ConfigError, DELIVERY_API_URL, DELIVERY_QUEUE_URL, EnvReader,
    FEEDBACK_QUEUE_URL, ORDER_STREAM, ORDERS_TABLE, PUBLIC_BASE_URL, RELAY_AFTER_SECONDS, SENDER_EMAIL, SIGNING_SECRET,
    Secret, process_env,
};

/// Declares a function's config struct and its reader: one line per field, the variable it
/// comes from and whether it is a plain value, a secret or a positive number of seconds.
macro_rules! function_config {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $kind:ident($variable:expr)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: function_config!(@type $kind),)+
        }

        impl $name {
            pub fn from_env() -> Result<$name, ConfigError> {
                $name::from_lookup(process_env)
            }

            pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<$name, ConfigError> {
                let mut env = EnvReader::new(lookup);
                $(let $field = env.$kind($variable);)+
                env.finish()?;
                Ok($name { $($field,)+ })
            }
        }
    };
    (@type required) => { String };
    (@type secret) => { Secret };
    (@type positive_seconds) => { i64 };
}

function_config! {
    /// `place-order`: stores the order, puts `order_placed` on the stream, signs the customer token.
    PlaceOrderConfig {
        orders_table: required(ORDERS_TABLE),
        order_stream: required(ORDER_STREAM),
        signing_secret: secret(SIGNING_SECRET),
    }
}

function_config! {
    /// `notify-baker`: emails the baker a signed "cake is ready" link.
    NotifyBakerConfig {
        orders_table: required(ORDERS_TABLE),
        sender_email: required(SENDER_EMAIL),
        baker_email: required(BAKER_EMAIL),
        public_base_url: required(PUBLIC_BASE_URL),
        signing_secret: secret(SIGNING_SECRET),
    }
}

function_config! {
    /// `fulfill-order`: the baker's page and API; puts `order_fulfilled` on the stream.
    FulfillOrderConfig {
        orders_table: required(ORDERS_TABLE),
        order_stream: required(ORDER_STREAM),
        public_base_url: required(PUBLIC_BASE_URL),
        signing_secret: secret(SIGNING_SECRET),
        baker_api_key: secret(BAKER_API_KEY),
    }
}

function_config! {
    /// `request-delivery`: moves fulfilled orders out for delivery and queues the requests.
    RequestDeliveryConfig {
        orders_table: required(ORDERS_TABLE),
        delivery_queue_url: required(DELIVERY_QUEUE_URL),
    }
}

function_config! {
    /// `notify-delivery`: passes queued delivery requests to the delivery company.
    NotifyDeliveryConfig {
        orders_table: required(ORDERS_TABLE),
        delivery_api_url: required(DELIVERY_API_URL),
    }
}

function_config! {
    /// `confirm-delivery`: the customer confirms; their feedback is queued.
    ConfirmDeliveryConfig {
        orders_table: required(ORDERS_TABLE),
        feedback_queue_url: required(FEEDBACK_QUEUE_URL),
        signing_secret: secret(SIGNING_SECRET),
    }
}

function_config! {
    /// `forward-feedback`: passes queued feedback to customer service.
    ForwardFeedbackConfig {
        orders_table: required(ORDERS_TABLE),
        customer_service_api_url: required(CUSTOMER_SERVICE_API_URL),
    }
}

function_config! {
    /// `order-queries`: `GET /order/{orderId}` and `GET /products`.
    OrderQueriesConfig {
        orders_table: required(ORDERS_TABLE),
        signing_secret: secret(SIGNING_SECRET),
        baker_api_key: secret(BAKER_API_KEY),
    }
}

function_config! {
    /// `relay-events`: on a schedule, publishes the events whose marks are older than
    /// `RELAY_AFTER_SECONDS` (at least the HTTP functions' timeout, so that a request still
    /// publishing its own event is not raced).
    RelayEventsConfig {
        orders_table: required(ORDERS_TABLE),
        order_stream: required(ORDER_STREAM),
        relay_after_seconds: positive_seconds(RELAY_AFTER_SECONDS),
    }
}
