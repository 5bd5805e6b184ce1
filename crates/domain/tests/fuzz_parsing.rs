//! Fuzzing what a stranger can send: request bodies (arbitrary bytes, mutated valid JSON and
//! JSON whose fields hold hostile text) and the stream and queue payloads the handlers decode.
//! Nothing may panic, and whatever is accepted must keep the promises validation makes.
//!
//! Bounded to stay fast in a debug build; `PROPTEST_CASES=<n>` runs more (or fewer) cases.

use cakeshop_domain::validation::MAX_BODY_BYTES;
use cakeshop_domain::{
    Cancellation, CancelledBy, Catalogue, Day, DeliveryConfirmation, DeliveryRequest, FeedbackMessage, OrderEvent,
    OrderId, OrderRequest, RequestError, Timestamp, parse_cancellation, parse_capacity_change,
    parse_delivery_confirmation, parse_new_order, parse_new_product, parse_order_reference, parse_product_change,
    parse_shop_status,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The default number of cases per property, unless `PROPTEST_CASES` says otherwise.
fn sample_day() -> Day {
    Day::from_ymd(2099, 6, 1).unwrap_or_else(|| unreachable!("a day"))
}

fn config(cases: u32) -> ProptestConfig {
    let defaults = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        defaults.cases
    } else {
        cases
    };
    ProptestConfig { cases, ..defaults }
}

const VALID_ORDER: &str = r#"{"name":"Ada Lovelace","address":"12 Analytical St\nLondon","productId":1,"quantity":3,"email":"ada@example.com","notes":"Happy birthday!"}"#;
const VALID_REFERENCE: &str = r#"{"orderId":"0f8e2c1d-order_7"}"#;
const VALID_CONFIRMATION: &str = r#"{"orderId":"abc","rating":5,"feedback":"Lovely,\r\nthank you"}"#;

/// One edit of a byte string; indexes wrap around the current length.
#[derive(Debug, Clone)]
enum Mutation {
    Overwrite(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

/// Fragments that stress JSON parsers and validators more than random bytes do.
const NASTY_FRAGMENTS: &[&str] = &[
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "-0",
    "1e999",
    "18446744073709551616",
    "-9223372036854775809",
    "0.5",
    "\\u0000",
    "\\ud800",
    "\\r\\n",
    "\\u2028",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "\u{202e}",
    "\u{feff}",
    "\"name\":\"x\",",
    "\"quantity\":2,",
    "\"orderId\":\"../x\",",
    "\"__proto__\":{},",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Overwrite(at, byte)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), prop::sample::select(NASTY_FRAGMENTS))
            .prop_map(|(at, fragment)| Mutation::Insert(at, fragment.as_bytes().to_vec())),
        (any::<usize>(), 1..6usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(original: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.as_bytes().to_vec();
    for mutation in mutations {
        let wrap = |at: usize, len: usize| if len == 0 { 0 } else { at % (len + 1) };
        match mutation {
            Mutation::Overwrite(at, byte) if !bytes.is_empty() => {
                let at = at % bytes.len();
                bytes[at] = *byte;
            }
            Mutation::Overwrite(..) => {}
            Mutation::Insert(at, inserted) => {
                let at = wrap(*at, bytes.len());
                bytes.splice(at..at, inserted.iter().copied());
            }
            Mutation::Delete(at, len) => {
                let at = wrap(*at, bytes.len());
                let end = (at + len).min(bytes.len());
                bytes.drain(at..end);
            }
            Mutation::Truncate(at) => {
                let at = wrap(*at, bytes.len());
                bytes.truncate(at);
            }
        }
    }
    bytes
}

const HOSTILE_PIECES: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(document.cookie)",
    "\"><a href=\"javascript:x\">",
    "\r\nBcc: victim@example.com\r\n",
    "\n",
    "\r",
    "\t",
    "\u{0}",
    "\u{7}",
    "\u{1b}[31m",
    "\u{85}",
    "\u{2028}",
    "\u{202e}",
    "   ",
];

/// Text a customer might type, or an attacker might: markup, script URLs, header-like lines,
/// control and format characters, blanks and overlong runs.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9 .,'-]{0,12}",
            1 => prop::sample::select(HOSTILE_PIECES)
            .prop_map(str::to_owned),
            1 => any::<char>().prop_map(String::from),
            1 => (1..400usize).prop_map(|n| "x".repeat(n)),
        ],
        0..6,
    );
    pieces.prop_map(|pieces| pieces.concat())
}

/// Any JSON value a field could hold, strings mostly hostile.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => hostile_text().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => (-3i64..30).prop_map(|n| json!(n)),
        1 => any::<f64>().prop_map(|n| json!(n)),
        1 => Just(json!([])),
        1 => Just(json!({ "nested": "object" })),
    ]
}

fn product_id() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::sample::select(&[1u32, 3, 6, 7, 0][..]).prop_map(|id| json!(id)),
        1 => field_value(),
    ]
}

fn order_id_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => "[a-z0-9_-]{1,70}".prop_map(Value::String),
        1 => field_value(),
    ]
}

fn new_order_body() -> impl Strategy<Value = Value> {
    (
        field_value(),
        field_value(),
        product_id(),
        prop_oneof![(0i64..25).prop_map(|n| json!(n)), field_value()],
        prop::option::of(field_value()),
        prop::option::of(field_value()),
    )
        .prop_map(|(name, address, product, quantity, email, notes)| {
            let mut body = json!({ "name": name, "address": address, "productId": product, "quantity": quantity });
            if let Some(email) = email {
                body["email"] = email;
            }
            if let Some(notes) = notes {
                body["notes"] = notes;
            }
            body
        })
}

fn confirmation_body() -> impl Strategy<Value = Value> {
    (
        order_id_value(),
        prop::option::of(prop_oneof![(-2i64..9).prop_map(|n| json!(n)), field_value()]),
        prop::option::of(field_value()),
    )
        .prop_map(|(order_id, rating, feedback)| {
            let mut body = json!({ "orderId": order_id });
            if let Some(rating) = rating {
                body["rating"] = rating;
            }
            if let Some(feedback) = feedback {
                body["feedback"] = feedback;
            }
            body
        })
}

/// Free text as validation promises it: trimmed, not too long, and free of control characters
/// except the line breaks and tabs that multi-line fields may keep.
fn assert_clean_text(field: &str, text: &str, max_chars: usize, multi_line: bool) {
    assert_eq!(text, text.trim(), "{field} is trimmed");
    assert!(
        text.chars().count() <= max_chars,
        "{field} is at most {max_chars} chars"
    );
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\r' | '\t');
    assert!(
        !text.chars().any(|c| c.is_control() && !allowed(c)),
        "{field} has no control characters: {text:?}"
    );
}

fn assert_sane_order(order: &OrderRequest) {
    let customer = &order.customer;
    assert_clean_text("name", &customer.name, 100, false);
    assert!(!customer.name.is_empty(), "a name is required");
    assert_clean_text("address", &customer.address, 300, true);
    assert!(!customer.address.is_empty(), "an address is required");
    if let Some(notes) = &customer.notes {
        assert_clean_text("notes", notes, 500, true);
    }
    if let Some(email) = &customer.email {
        assert_clean_text("email", email, 254, false);
        assert!(
            email.contains('@') && !email.chars().any(char::is_whitespace),
            "{email:?}"
        );
    }
    assert!((1..=20).contains(&order.quantity));
    assert!(order.product_id.0 >= 1);
    if let Some(day) = order.delivery_date {
        assert_eq!(cakeshop_domain::Day::parse(&day.to_string()), Ok(day));
    }
    if let Ok(priced) = order.priced(&Catalogue::sample(), sample_day()) {
        assert_eq!(
            priced.product.price_cents.times(order.quantity),
            Some(priced.total_cents)
        );
    }
}

fn assert_sane_confirmation(confirmation: &DeliveryConfirmation) {
    assert_valid_id(&confirmation.order_id);
    if let Some(rating) = confirmation.rating {
        assert!((1..=5).contains(&rating));
    }
    if let Some(feedback) = &confirmation.feedback {
        assert_clean_text("feedback", feedback, 2000, true);
    }
}

fn assert_valid_id(order_id: &OrderId) {
    assert_eq!(OrderId::parse(order_id.as_str()).as_ref(), Ok(order_id));
}

/// Runs every request parser on `body`: none may panic, and what they accept is sane.
fn parse_all(body: &[u8]) {
    let too_large = body.len() > MAX_BODY_BYTES;
    let refused_as_too_large = |error: &RequestError| matches!(error, RequestError::TooLarge { .. });
    match parse_new_order(body) {
        Ok(order) => assert_sane_order(&order),
        Err(error) => assert_eq!(refused_as_too_large(&error), too_large, "{error}"),
    }
    match parse_order_reference(body) {
        Ok(order_id) => assert_valid_id(&order_id),
        Err(error) => assert_eq!(refused_as_too_large(&error), too_large, "{error}"),
    }
    match parse_delivery_confirmation(body) {
        Ok(confirmation) => assert_sane_confirmation(&confirmation),
        Err(error) => assert_eq!(refused_as_too_large(&error), too_large, "{error}"),
    }
    // The baker's and the cancellation bodies: none may panic, and size is checked first.
    let refusals = [
        parse_cancellation(body).err(),
        parse_new_product(body).err(),
        parse_product_change(body).err(),
        parse_capacity_change(body).err(),
        parse_shop_status(body).err(),
    ];
    for error in refusals.into_iter().flatten() {
        assert_eq!(refused_as_too_large(&error), too_large, "{error}");
    }
}

fn sample_events() -> Vec<OrderEvent> {
    let at = Timestamp::from_unix_millis(1_795_165_200_000).unwrap_or_else(|| unreachable!("in range"));
    let order_id = OrderId::parse("o-1").unwrap_or_else(|_| unreachable!("valid id"));
    let new_order = parse_new_order(VALID_ORDER.as_bytes())
        .and_then(|request| request.priced(&Catalogue::sample(), sample_day()))
        .unwrap_or_else(|e| unreachable!("valid sample: {e}"));
    let order = cakeshop_domain::Order::place(order_id.clone(), new_order, at);
    vec![
        OrderEvent::order_placed(&order, at),
        OrderEvent::order_fulfilled(&order_id, at),
        OrderEvent::order_cancelled(
            &order_id,
            Cancellation {
                by: CancelledBy::Baker,
                reason: Some("oven broke".into()),
            },
            at,
        ),
    ]
}

fn sample_messages() -> Vec<String> {
    let at = Timestamp::from_unix_millis(1_795_165_200_000).unwrap_or_else(|| unreachable!("in range"));
    let OrderEvent::OrderPlaced { order, .. } = &sample_events()[0] else {
        unreachable!("the first sample is order_placed")
    };
    vec![
        serde_json::to_string(&DeliveryRequest::for_order(order, at)).unwrap_or_default(),
        serde_json::to_string(&FeedbackMessage::for_order(order, Some(4), Some("Yum".into()), at)).unwrap_or_default(),
    ]
}

/// Decodes `bytes` as every payload a consumer reads: none may panic, and a decoded event
/// encodes back to itself.
fn decode_all(bytes: &[u8]) {
    if let Ok(event) = OrderEvent::decode(bytes) {
        assert_valid_id(event.order_id());
        assert_eq!(
            OrderEvent::decode(&event.encode().expect("encodes")).ok().as_ref(),
            Some(&event)
        );
    }
    let text = String::from_utf8_lossy(bytes);
    if let Ok(request) = DeliveryRequest::decode(&text) {
        assert_valid_id(&request.order_id);
    }
    if let Ok(message) = FeedbackMessage::decode(&text) {
        assert_valid_id(&message.order_id);
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn request_parsers_survive_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_all(&body);
    }

    #[test]
    fn request_parsers_survive_mutated_valid_bodies(
        original in prop::sample::select(&[VALID_ORDER, VALID_REFERENCE, VALID_CONFIRMATION][..]),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        parse_all(&mutate(original, &mutations));
    }

    #[test]
    fn accepted_orders_keep_validations_promises(body in new_order_body()) {
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        if let Ok(order) = parse_new_order(&bytes) {
            assert_sane_order(&order);
        }
    }

    #[test]
    fn accepted_confirmations_keep_validations_promises(body in confirmation_body()) {
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        if let Ok(confirmation) = parse_delivery_confirmation(&bytes) {
            assert_sane_confirmation(&confirmation);
        }
        if let Ok(order_id) = parse_order_reference(&serde_json::to_vec(&json!({ "orderId": body["orderId"] })).unwrap_or_default()) {
            assert_valid_id(&order_id);
        }
    }

    #[test]
    fn plain_orders_are_accepted(
        name in "[A-Za-z][A-Za-z .'-]{0,60}",
        address in "[A-Za-z0-9][A-Za-z0-9 ,.\n-]{0,200}",
        quantity in 1u32..=20,
    ) {
        let body = json!({ "name": name, "address": address, "productId": 3, "quantity": quantity });
        let parsed = parse_new_order(body.to_string().as_bytes());
        prop_assert!(parsed.is_ok(), "{body} → {parsed:?}");
    }

    #[test]
    fn event_and_message_decoders_survive_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn event_and_message_decoders_survive_mutated_valid_payloads(
        which in 0..4usize,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let originals: Vec<String> = sample_events()
            .iter()
            .map(|event| String::from_utf8_lossy(&event.encode().expect("encodes")).into_owned())
            .chain(sample_messages())
            .collect();
        decode_all(&mutate(&originals[which], &mutations));
    }
}

#[test]
fn the_samples_the_mutations_start_from_are_valid() {
    assert!(parse_new_order(VALID_ORDER.as_bytes()).is_ok());
    assert!(parse_order_reference(VALID_REFERENCE.as_bytes()).is_ok());
    assert!(parse_delivery_confirmation(VALID_CONFIRMATION.as_bytes()).is_ok());
    for event in sample_events() {
        assert_eq!(OrderEvent::decode(&event.encode().expect("encodes")).ok(), Some(event));
    }
    let messages = sample_messages();
    assert!(DeliveryRequest::decode(&messages[0]).is_ok());
    assert!(FeedbackMessage::decode(&messages[1]).is_ok());
}
