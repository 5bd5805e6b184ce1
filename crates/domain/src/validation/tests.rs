use super::*;
use crate::money::Cents;

fn invalid_fields<T: std::fmt::Debug>(result: Result<T, RequestError>) -> Vec<(&'static str, String)> {
    match result {
        Err(RequestError::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[test]
fn accepts_the_shape_customers_send() {
    let order = parse_new_order(
        br#"{"name":"  Ada Lovelace ","address":"12 Analytical St\nLondon","productId":1,"quantity":3,"email":"ada@example.com","notes":"Happy birthday!","deliveryDate":"2026-12-24"}"#,
    )
    .expect("valid");
    assert_eq!(order.customer.name, "Ada Lovelace");
    assert_eq!(order.customer.address, "12 Analytical St\nLondon");
    assert_eq!(order.customer.email.as_deref(), Some("ada@example.com"));
    assert_eq!(order.product_id, crate::catalogue::ProductId(1));
    assert_eq!(order.quantity, 3);
    assert_eq!(
        order.delivery_date.map(|d| d.to_string()).as_deref(),
        Some("2026-12-24")
    );
    let priced = order
        .priced(
            &crate::catalogue::Catalogue::sample(),
            order.delivery_date.expect("given"),
        )
        .expect("on sale");
    assert_eq!(priced.total_cents, Cents(10350));
}

#[test]
fn accepts_the_briefs_body_as_written() {
    let order = parse_new_order(
        br#"{"name": "Yana Bahdanovich", "address": "Inasaridze 2 deadlock 35", "productId": 1, "quantity": 3}"#,
    )
    .expect("valid");
    assert_eq!(
        (order.product_id, order.quantity, order.delivery_date),
        (crate::catalogue::ProductId(1), 3, None)
    );
}

#[test]
fn optional_fields_may_be_absent_null_or_blank() {
    let order =
        parse_new_order(br#"{"name":"Bo","address":"1 Rd","productId":4,"quantity":1,"email":null,"notes":"   "}"#)
            .expect("valid");
    assert_eq!(order.customer.email, None);
    assert_eq!(order.customer.notes, None);
}

#[test]
fn refuses_bodies_that_are_not_json_objects() {
    for body in [&b"not json"[..], b"[1,2]", b"\"text\"", b"", b"{\"name\":"] {
        assert!(
            matches!(parse_new_order(body), Err(RequestError::Malformed(_))),
            "{body:?}"
        );
    }
}

#[test]
fn refuses_oversized_bodies_before_parsing() {
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        parse_new_order(&body),
        Err(RequestError::TooLarge { limit: MAX_BODY_BYTES })
    );
}

#[test]
fn names_every_missing_field() {
    let fields = invalid_fields(parse_new_order(b"{}"));
    assert_eq!(
        fields,
        vec![
            ("name", "name is required".to_string()),
            ("address", "address is required".to_string()),
            ("productId", "productId is required".to_string()),
            ("quantity", "quantity is required".to_string()),
        ]
    );
}

#[test]
fn refuses_unknown_fields() {
    let fields = invalid_fields(parse_new_order(
        br#"{"name":"A","address":"B","productId":3,"quantity":1,"price":1}"#,
    ));
    assert_eq!(fields.len(), 1);
    assert!(fields[0].1.contains("unknown field \"price\""), "{fields:?}");
}

#[test]
fn refuses_quantities_that_are_not_sane() {
    for (quantity, message) in [
        ("0", "quantity must be between 1 and 20"),
        ("-2", "quantity must be between 1 and 20"),
        ("21", "quantity must be between 1 and 20"),
        ("99999999999999999999", "quantity must be a whole number"),
        ("1.5", "quantity must be a whole number"),
        ("\"2\"", "quantity must be a whole number"),
    ] {
        let body = format!(r#"{{"name":"A","address":"B","productId":3,"quantity":{quantity}}}"#);
        assert_eq!(
            invalid_fields(parse_new_order(body.as_bytes())),
            vec![("quantity", message.to_string())]
        );
    }
}

#[test]
fn refuses_product_ids_that_are_not_whole_numbers() {
    for id in [r#""pizza""#, r#""1""#, "0", "-1", "1.5", "4294967296", "true"] {
        let body = format!(r#"{{"name":"A","address":"B","productId":{id},"quantity":1}}"#);
        let fields = invalid_fields(parse_new_order(body.as_bytes()));
        assert_eq!(fields[0].0, "productId", "{id}");
    }
}

#[test]
fn refuses_malformed_delivery_dates() {
    for date in [r#""2026-02-30""#, r#""24/12/2026""#, r#""""#, "20261224"] {
        let body = format!(r#"{{"name":"A","address":"B","productId":1,"quantity":1,"deliveryDate":{date}}}"#);
        let fields = invalid_fields(parse_new_order(body.as_bytes()));
        assert_eq!(fields[0].0, "deliveryDate", "{date}");
    }
}

#[test]
fn refuses_line_breaks_in_single_line_fields_and_bad_emails() {
    let fields = invalid_fields(parse_new_order(
        b"{\"name\":\"A\\r\\nBcc: x@y.z\",\"address\":\"B\",\"productId\":3,\"quantity\":1,\"email\":\"a@b.c\\nBcc: evil@x.y\"}",
    ));
    assert_eq!(fields.iter().map(|f| f.0).collect::<Vec<_>>(), vec!["name", "email"]);
    for email in ["nobody", "a@b", "a b@c.d", "<a@b.c>", "a@@b.c"] {
        let body = format!(r#"{{"name":"A","address":"B","productId":3,"quantity":1,"email":"{email}"}}"#);
        assert_eq!(
            invalid_fields(parse_new_order(body.as_bytes()))[0].0,
            "email",
            "{email}"
        );
    }
}

#[test]
fn refuses_blank_and_overlong_text() {
    let long = "x".repeat(101);
    let body = format!(r#"{{"name":"{long}","address":"  ","productId":3,"quantity":1}}"#);
    assert_eq!(
        invalid_fields(parse_new_order(body.as_bytes())),
        vec![
            ("name", "name must be at most 100 characters".to_string()),
            ("address", "address must not be empty".to_string()),
        ]
    );
}

#[test]
fn reads_delivery_confirmations() {
    let confirmation =
        parse_delivery_confirmation(br#"{"orderId":"abc","rating":5,"feedback":"Delicious"}"#).expect("valid");
    assert_eq!(confirmation.order_id.as_str(), "abc");
    assert_eq!(confirmation.rating, Some(5));
    assert_eq!(confirmation.feedback.as_deref(), Some("Delicious"));
    assert!(parse_delivery_confirmation(br#"{"orderId":"abc","rating":6}"#).is_err());
    assert!(parse_delivery_confirmation(br#"{"orderId":"abc","rating":0}"#).is_err());
    assert!(parse_delivery_confirmation(br#"{"rating":3}"#).is_err());
}

#[test]
fn reads_order_references() {
    assert_eq!(
        parse_order_reference(br#"{"orderId":"abc"}"#).map(|id| id.to_string()),
        Ok("abc".to_string())
    );
    assert!(matches!(
        parse_order_reference(br#"{"orderId":"../etc"}"#),
        Err(RequestError::Invalid(_))
    ));
    assert!(matches!(
        parse_order_reference(br#"{"orderId":7}"#),
        Err(RequestError::Invalid(_))
    ));
}

#[test]
fn refuses_deeply_nested_json_quickly_without_overflowing_the_stack() {
    // Just under the size limit, so the parser itself must refuse the depth.
    let depth = MAX_BODY_BYTES / 2 - 8;
    let arrays = "[".repeat(depth);
    let objects = r#"{"name":"#.repeat(MAX_BODY_BYTES / 8 - 1);
    let as_field = format!(r#"{{"orderId":{arrays}}}"#);
    for body in [&arrays, &objects, &as_field] {
        let started = std::time::Instant::now();
        assert!(
            matches!(parse_new_order(body.as_bytes()), Err(RequestError::Malformed(_))),
            "{body:.40}"
        );
        assert!(matches!(
            parse_order_reference(body.as_bytes()),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            parse_delivery_confirmation(body.as_bytes()),
            Err(RequestError::Malformed(_))
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "refused quickly");
    }
    let beyond_the_limit = "[".repeat(100_000);
    assert_eq!(
        parse_new_order(beyond_the_limit.as_bytes()),
        Err(RequestError::TooLarge { limit: MAX_BODY_BYTES })
    );
}

#[test]
fn refuses_separators_and_bidirectional_overrides_that_disguise_text() {
    for sneaky in ["\u{2028}", "\u{2029}", "\u{202E}", "\u{2066}"] {
        let body = format!(r#"{{"name":"Ada{sneaky}Lovelace","address":"1 Lane","productId":3,"quantity":1}}"#);
        assert!(parse_new_order(body.as_bytes()).is_err(), "{sneaky:?}");
        let notes = format!(r#"{{"name":"Ada","address":"1 Lane","productId":3,"quantity":1,"notes":"a{sneaky}b"}}"#);
        assert!(parse_new_order(notes.as_bytes()).is_err(), "{sneaky:?} in notes");
    }
}
