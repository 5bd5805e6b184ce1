//! The board's settings forms, read into the same changes as the API routes' bodies (the domain
//! holds both to the same limits): manage-shop applies them with the same operations.

use crate::shared::api::ApiError;
use cakeshop_domain::{
    CapacityChange, ProductChange, ShopStatus, product_change_from_form, shop_status_from_form,
    weekday_capacity_from_form,
};
use std::collections::HashMap;

/// `POST /baker/shop`: the open/closed switch and the message for customers.
pub fn shop_status(fields: &HashMap<String, String>) -> Result<ShopStatus, ApiError> {
    let open = fields.get("open").is_some_and(|value| value == "true");
    Ok(shop_status_from_form(open, fields.get("message").map(String::as_str))?)
}

/// `POST /baker/capacity`: the cakes each weekday can take, a field per weekday.
pub fn weekday_capacity(fields: &HashMap<String, String>) -> Result<CapacityChange, ApiError> {
    Ok(weekday_capacity_from_form(|weekday| {
        fields.get(weekday).map(String::as_str)
    })?)
}

/// `POST /baker/products/{productId}`: a cake's price in euros, and whether it is on sale (an
/// unchecked box sends nothing: not on sale).
pub fn product_change(fields: &HashMap<String, String>) -> Result<ProductChange, ApiError> {
    let price = fields.get("price").map(String::as_str).unwrap_or_default();
    let available = fields.get("available").is_some_and(|value| value == "true");
    Ok(product_change_from_form(price, available)?)
}
