//! Saving a setting at the version it was read at: when someone saved in between, the change is
//! applied again to what they saved, a few times at most.

use super::ManageShop;
use crate::shared::api::ApiError;
use cakeshop_domain::{CapacitySettings, Catalogue, Day, ShopStatus};
use cakeshop_ports::{Bakery, Limiter, PortError, Saved, ShopRules};
use std::sync::Arc;

/// How many times a save that found the setting changed is tried again on what is stored now.
pub const SAVE_ATTEMPTS: usize = 4;

/// One of the three settings, as it is to be saved.
pub(super) enum Setting {
    Catalogue(Catalogue),
    Capacity(CapacitySettings),
    Shop(ShopStatus),
}

impl<B: Bakery + Limiter> ManageShop<B> {
    pub(super) async fn rules(&self) -> Result<Arc<ShopRules>, ApiError> {
        self.bakery
            .rules()
            .await
            .map_err(|error| ApiError::internal("reading the shop's settings failed", &error))
    }

    /// Reads the rules, makes the setting `change` gives from them and saves it at the version
    /// read; when someone saved in between, again from what is stored now. A refusal from
    /// `change` writes nothing.
    pub(super) async fn update<T>(
        &self,
        what: &'static str,
        change: impl Fn(&ShopRules, Day) -> Result<(Setting, T), ApiError>,
    ) -> Result<T, ApiError> {
        for _ in 0..SAVE_ATTEMPTS {
            let rules = self.rules().await?;
            let (setting, answer) = change(&rules, self.today())?;
            match self.save(&setting, &rules).await {
                Ok(Saved::Stored { version }) => {
                    tracing::info!(version, "{what} saved");
                    return Ok(answer);
                }
                Ok(Saved::Stale) => tracing::info!("{what} changed while saving; applying the change again"),
                Err(error) => return Err(ApiError::internal(&format!("saving {what} failed"), &error)),
            }
        }
        Err(ApiError::new(
            503,
            "busy",
            format!("{what} kept changing while this change was saved; please try again"),
        ))
    }

    async fn save(&self, setting: &Setting, read: &ShopRules) -> Result<Saved, PortError> {
        match setting {
            Setting::Catalogue(catalogue) => self.bakery.save_catalogue(catalogue, read.catalogue.version).await,
            Setting::Capacity(settings) => self.bakery.save_capacity(settings, read.capacity.version).await,
            Setting::Shop(status) => self.bakery.save_shop(status, read.shop.version).await,
        }
    }
}
