//! The catalogue: every cake with its price and whether it is on sale.

use super::ManageShop;
use super::save::Setting;
use crate::shared::api::{ApiError, json_response};
use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use cakeshop_domain::{CatalogueError, NewProduct, Product, ProductChange, ProductId};
use cakeshop_ports::{Bakery, Limiter};
use serde::Serialize;

#[derive(Serialize)]
struct Products<'a> {
    products: &'a [Product],
}

impl<B: Bakery + Limiter> ManageShop<B> {
    /// `GET /products`.
    pub(super) async fn products(&self) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let rules = self.rules().await?;
        Ok(json_response(
            200,
            &Products {
                products: &rules.catalogue.value.products,
            },
        ))
    }

    /// `POST /products`.
    pub(super) async fn add_product(&self, new: NewProduct) -> Result<Product, ApiError> {
        let product = self
            .update("the catalogue", |rules, _| {
                let mut catalogue = rules.catalogue.value.clone();
                let product = catalogue.add(new.clone()).map_err(catalogue_refusal)?.clone();
                Ok((Setting::Catalogue(catalogue), product))
            })
            .await?;
        tracing::info!(product_id = %product.product_id, "product added");
        Ok(product)
    }

    /// `PUT /products/{productId}`, and the board's form of one cake.
    pub(super) async fn change_product(
        &self,
        product_id: ProductId,
        change: ProductChange,
    ) -> Result<Product, ApiError> {
        let product = self
            .update("the catalogue", |rules, _| {
                let mut catalogue = rules.catalogue.value.clone();
                let product = catalogue
                    .change(product_id, change.clone())
                    .map_err(catalogue_refusal)?
                    .clone();
                Ok((Setting::Catalogue(catalogue), product))
            })
            .await?;
        tracing::info!(%product_id, "product changed");
        Ok(product)
    }
}

fn catalogue_refusal(error: CatalogueError) -> ApiError {
    let (status, code) = match &error {
        CatalogueError::Unknown(_) => (404, "not_found"),
        CatalogueError::DuplicateName(_) => (409, "duplicate_name"),
        CatalogueError::Full => (409, "catalogue_full"),
    };
    ApiError::new(status, code, error.to_string())
}
