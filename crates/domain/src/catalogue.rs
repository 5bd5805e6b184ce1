//! The cakes the shop sells: data the baker manages (`POST /products`, `PUT /products/{id}`),
//! not code. A product is retired (`available: false`), never deleted, so every past order's
//! `productId` still names something; an order keeps the name and price it was placed at.

use crate::money::Cents;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A product's number, as customers send it: `{"productId": 1}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(pub u32);

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The highest price a product may have: €10,000.00. Above it a typo, not a cake.
pub const MAX_PRICE_CENTS: u64 = 1_000_000;
/// The most products a catalogue holds, retired ones included.
pub const MAX_PRODUCTS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub product_id: ProductId,
    pub name: String,
    pub description: String,
    pub price_cents: Cents,
    /// Whether customers can order it now; `false` for sold out or retired.
    pub available: bool,
}

/// A new product as the baker describes it; the catalogue gives it the next id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub name: String,
    pub description: String,
    pub price_cents: Cents,
    pub available: bool,
}

/// What `PUT /products/{id}` changes: the fields given, nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<Cents>,
    pub available: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("there is no product {0}; GET /products lists them")]
    Unknown(ProductId),
    #[error("the catalogue holds at most {MAX_PRODUCTS} products; retire one and reuse it instead")]
    Full,
    #[error("a product named {0:?} is already in the catalogue")]
    DuplicateName(String),
}

/// Every product the shop has ever sold, in id order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    pub products: Vec<Product>,
}

impl Catalogue {
    /// What a new shop starts with: six cakes, ids 1–6.
    pub fn sample() -> Catalogue {
        let cake = |id, name: &str, description: &str, cents| Product {
            product_id: ProductId(id),
            name: name.into(),
            description: description.into(),
            price_cents: Cents(cents),
            available: true,
        };
        Catalogue {
            products: vec![
                cake(
                    1,
                    "Chocolate fudge cake",
                    "Three layers of dark sponge and fudge icing.",
                    3450,
                ),
                cake(2, "Lemon drizzle cake", "A light loaf soaked in lemon syrup.", 2800),
                cake(3, "Red velvet cake", "Cocoa sponge with cream cheese frosting.", 3900),
                cake(
                    4,
                    "Carrot and walnut cake",
                    "Spiced sponge, walnuts and orange icing.",
                    3100,
                ),
                cake(5, "Victoria sponge", "Jam and whipped cream between two sponges.", 2600),
                cake(6, "Black forest gateau", "Chocolate, cherries and kirsch cream.", 4200),
            ],
        }
    }

    pub fn find(&self, id: ProductId) -> Option<&Product> {
        self.products.iter().find(|product| product.product_id == id)
    }

    /// The products customers can order now.
    pub fn on_sale(&self) -> impl Iterator<Item = &Product> {
        self.products.iter().filter(|product| product.available)
    }

    /// Adds `new` under the next free id and returns it.
    pub fn add(&mut self, new: NewProduct) -> Result<&Product, CatalogueError> {
        if self.products.len() >= MAX_PRODUCTS {
            return Err(CatalogueError::Full);
        }
        self.refuse_duplicate_name(&new.name, None)?;
        let next = self.products.iter().map(|p| p.product_id.0).max().unwrap_or(0) + 1;
        self.products.push(Product {
            product_id: ProductId(next),
            name: new.name,
            description: new.description,
            price_cents: new.price_cents,
            available: new.available,
        });
        self.products.sort_by_key(|p| p.product_id);
        self.find(ProductId(next))
            .ok_or(CatalogueError::Unknown(ProductId(next)))
    }

    /// Applies `change` to product `id` and returns it as it now is.
    pub fn change(&mut self, id: ProductId, change: ProductChange) -> Result<&Product, CatalogueError> {
        if let Some(name) = &change.name {
            self.refuse_duplicate_name(name, Some(id))?;
        }
        let product = self
            .products
            .iter_mut()
            .find(|p| p.product_id == id)
            .ok_or(CatalogueError::Unknown(id))?;
        let ProductChange {
            name,
            description,
            price_cents,
            available,
        } = change;
        if let Some(name) = name {
            product.name = name;
        }
        if let Some(description) = description {
            product.description = description;
        }
        if let Some(price) = price_cents {
            product.price_cents = price;
        }
        if let Some(available) = available {
            product.available = available;
        }
        Ok(product)
    }

    fn refuse_duplicate_name(&self, name: &str, except: Option<ProductId>) -> Result<(), CatalogueError> {
        let taken = self
            .products
            .iter()
            .any(|p| Some(p.product_id) != except && p.name.eq_ignore_ascii_case(name));
        if taken {
            Err(CatalogueError::DuplicateName(name.to_owned()))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str) -> NewProduct {
        NewProduct {
            name: name.into(),
            description: String::new(),
            price_cents: Cents(1000),
            available: true,
        }
    }

    #[test]
    fn the_sample_has_ids_one_to_six() {
        let ids: Vec<u32> = Catalogue::sample().products.iter().map(|p| p.product_id.0).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn new_products_take_the_next_id_even_after_retiring_one() {
        let mut catalogue = Catalogue::sample();
        catalogue
            .change(
                ProductId(6),
                ProductChange {
                    available: Some(false),
                    ..ProductChange::default()
                },
            )
            .expect("known");
        assert_eq!(
            catalogue.add(new("Opera cake")).expect("added").product_id,
            ProductId(7)
        );
        assert_eq!(catalogue.on_sale().count(), 6);
        assert_eq!(catalogue.products.len(), 7);
    }

    #[test]
    fn changes_only_the_given_fields() {
        let mut catalogue = Catalogue::sample();
        let before = catalogue.find(ProductId(2)).cloned().expect("known");
        let after = catalogue
            .change(
                ProductId(2),
                ProductChange {
                    price_cents: Some(Cents(2950)),
                    ..ProductChange::default()
                },
            )
            .expect("known")
            .clone();
        assert_eq!(
            after,
            Product {
                price_cents: Cents(2950),
                ..before
            }
        );
    }

    #[test]
    fn refuses_unknown_ids_and_duplicate_names() {
        let mut catalogue = Catalogue::sample();
        let before = catalogue.clone();
        assert_eq!(
            catalogue
                .change(ProductId(99), ProductChange::default())
                .map(|p| p.product_id),
            Err(CatalogueError::Unknown(ProductId(99)))
        );
        assert!(matches!(
            catalogue.add(new("victoria SPONGE")),
            Err(CatalogueError::DuplicateName(_))
        ));
        let rename = ProductChange {
            name: Some("Red velvet cake".into()),
            ..ProductChange::default()
        };
        assert!(matches!(
            catalogue.change(ProductId(1), rename),
            Err(CatalogueError::DuplicateName(_))
        ));
        assert_eq!(catalogue, before);
    }
}
