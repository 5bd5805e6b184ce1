//! Whether the shop is open, and whether it takes orders today.

use super::ManageShop;
use super::save::Setting;
use crate::shared::api::{ApiError, json_response};
use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use cakeshop_domain::ShopStatus;
use cakeshop_ports::{Bakery, Limiter};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShopAnswer<'a> {
    #[serde(flatten)]
    status: &'a ShopStatus,
    /// Whether `POST /order` takes orders today.
    accepting_orders: bool,
}

impl<B: Bakery + Limiter> ManageShop<B> {
    /// `GET /shop`.
    pub(super) async fn shop(&self) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let rules = self.rules().await?;
        Ok(self.shop_answer(&rules.shop.value))
    }

    /// `PUT /shop`, and the board's open/closed form.
    pub(super) async fn change_shop(&self, status: ShopStatus) -> Result<ShopStatus, ApiError> {
        let today = self.today();
        if let Some(until) = status.until.filter(|until| *until <= today) {
            return Err(ApiError::new(
                422,
                "invalid",
                format!("until {until} is not after today ({today}); leave it out, or send open: true to open now"),
            ));
        }
        let status = self
            .update("the shop's status", |_, _| {
                Ok((Setting::Shop(status.clone()), status.clone()))
            })
            .await?;
        tracing::info!(open = status.open, "shop status changed");
        Ok(status)
    }

    pub(super) fn shop_answer(&self, status: &ShopStatus) -> ApiGatewayV2httpResponse {
        json_response(
            200,
            &ShopAnswer {
                status,
                accepting_orders: status.is_open_on(self.today()),
            },
        )
    }
}
