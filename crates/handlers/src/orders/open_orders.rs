//! `GET /orders?status=<status>&limit=<n>&cursor=<cursor>`: the baker's view of the orders in
//! one status, oldest first, a page at a time (`OrderRepository::list_by_status`, an index read).
//!
//! The cursor is opaque to clients: base64url of `<status>.<creation ms>.<orderId>` of the last
//! order of the previous page. Naming its status keeps a cursor from being used on another
//! listing, where it would silently skip orders.

use crate::shared::api::{ApiError, json_response};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cakeshop_domain::{Order, OrderId, Status, Timestamp};
use cakeshop_ports::{OrderRepository, StatusCursor};
use serde::Serialize;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 100;

/// What a listing request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingRequest {
    pub status: Status,
    pub limit: usize,
    pub after: Option<StatusCursor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing<'a> {
    orders: &'a [Order],
    next_cursor: Option<String>,
}

/// Reads `status`, `limit` and `cursor` from the query string.
pub fn parse_listing_request(query: &QueryMap) -> Result<ListingRequest, ApiError> {
    let status_names = || {
        Status::ALL
            .iter()
            .map(|status| status.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let status = query
        .first("status")
        .and_then(Status::parse)
        .ok_or_else(|| ApiError::new(422, "invalid", format!("status must be one of {}", status_names())))?;
    let limit = match query.first("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::new(
                    422,
                    "invalid",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let after = query
        .first("cursor")
        .map(|text| decode_cursor(text, status))
        .transpose()?;
    Ok(ListingRequest { status, limit, after })
}

pub fn encode_cursor(status: Status, cursor: &StatusCursor) -> String {
    let plain = format!("{status}.{}.{}", cursor.created_at.unix_millis(), cursor.order_id);
    URL_SAFE_NO_PAD.encode(plain)
}

pub fn decode_cursor(text: &str, status: Status) -> Result<StatusCursor, ApiError> {
    let refused = || ApiError::new(400, "malformed", "cursor is not one this listing gave out");
    let plain = URL_SAFE_NO_PAD.decode(text).map_err(|_| refused())?;
    let plain = std::str::from_utf8(&plain).map_err(|_| refused())?;
    let mut parts = plain.splitn(3, '.');
    let (Some(listed), Some(millis), Some(order_id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    if Status::parse(listed) != Some(status) {
        return Err(refused());
    }
    let created_at = millis
        .parse()
        .ok()
        .and_then(Timestamp::from_unix_millis)
        .ok_or_else(refused)?;
    let order_id = OrderId::parse(order_id).map_err(|_| refused())?;
    Ok(StatusCursor { created_at, order_id })
}

/// One page of the listing the request asks for, as the response body.
pub async fn list_orders<R: OrderRepository>(
    orders: &R,
    request: &ApiGatewayV2httpRequest,
) -> Result<ApiGatewayV2httpResponse, ApiError> {
    let ListingRequest { status, limit, after } = parse_listing_request(&request.query_string_parameters)?;
    let page = orders
        .list_by_status(status, limit, after.as_ref())
        .await
        .map_err(|error| ApiError::internal("listing the orders failed", &error))?;
    let listing = Listing {
        orders: &page.orders,
        next_cursor: page.next.map(|next| encode_cursor(status, &next)),
    };
    Ok(json_response(200, &listing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> QueryMap {
        let text: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        text.parse().expect("a query string")
    }

    fn cursor() -> StatusCursor {
        StatusCursor {
            created_at: Timestamp::from_unix_millis(1_790_000_000_120).expect("in range"),
            order_id: OrderId::parse("o-1").expect("valid id"),
        }
    }

    #[test]
    fn cursors_round_trip_for_their_own_status_only() {
        let text = encode_cursor(Status::Placed, &cursor());
        assert_eq!(decode_cursor(&text, Status::Placed), Ok(cursor()));
        assert_eq!(decode_cursor(&text, Status::Fulfilled).map_err(|e| e.status), Err(400));
        for junk in ["", "!!", "cGxhY2Vk", &URL_SAFE_NO_PAD.encode("placed.soon.o-1")] {
            assert_eq!(
                decode_cursor(junk, Status::Placed).map_err(|e| e.status),
                Err(400),
                "{junk}"
            );
        }
    }

    #[test]
    fn limit_defaults_to_fifty_and_is_bounded() {
        let parsed = parse_listing_request(&query(&[("status", "placed")])).expect("valid");
        assert_eq!(
            (parsed.status, parsed.limit, parsed.after),
            (Status::Placed, DEFAULT_LIMIT, None)
        );
        let parsed = parse_listing_request(&query(&[("status", "delivered"), ("limit", "100")])).expect("valid");
        assert_eq!((parsed.status, parsed.limit), (Status::Delivered, 100));
        for limit in ["0", "101", "-1", "ten", ""] {
            let refused = parse_listing_request(&query(&[("status", "placed"), ("limit", limit)]));
            assert_eq!(refused.map_err(|e| e.status), Err(422), "{limit}");
        }
    }

    #[test]
    fn status_is_required_and_must_be_known() {
        for pairs in [vec![], vec![("status", "baking")], vec![("status", "Placed")]] {
            let refused = parse_listing_request(&query(&pairs)).expect_err("refused");
            assert_eq!((refused.status, refused.code), (422, "invalid"), "{pairs:?}");
            assert!(refused.message.contains("out_for_delivery"));
        }
    }
}
