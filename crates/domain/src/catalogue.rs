//! The cakes the shop sells. A fixed list: changing it is a release, like changing prices.

use crate::money::Cents;
use serde::Serialize;

/// A catalogue identifier such as `chocolate-fudge`.
pub type ProductId = &'static str;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: ProductId,
    pub name: &'static str,
    pub price_cents: Cents,
}

const PRODUCTS: &[Product] = &[
    Product {
        id: "chocolate-fudge",
        name: "Chocolate fudge cake",
        price_cents: Cents(3450),
    },
    Product {
        id: "lemon-drizzle",
        name: "Lemon drizzle cake",
        price_cents: Cents(2800),
    },
    Product {
        id: "red-velvet",
        name: "Red velvet cake",
        price_cents: Cents(3900),
    },
    Product {
        id: "carrot-walnut",
        name: "Carrot and walnut cake",
        price_cents: Cents(3100),
    },
    Product {
        id: "victoria-sponge",
        name: "Victoria sponge",
        price_cents: Cents(2600),
    },
    Product {
        id: "black-forest",
        name: "Black forest gateau",
        price_cents: Cents(4200),
    },
];

/// Every product, in catalogue order.
pub fn products() -> &'static [Product] {
    PRODUCTS
}

/// The product with this id, if the shop sells it.
pub fn find_product(id: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|product| product.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_known_products_only() {
        assert_eq!(find_product("lemon-drizzle").map(|p| p.price_cents), Some(Cents(2800)));
        assert!(find_product("Lemon-Drizzle").is_none());
        assert!(find_product("").is_none());
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<_> = products().iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), products().len());
    }
}
