//! The order table's definition, for what makes the table outside CloudFormation (the tests on
//! an emulator, `cakeshop dev --backend aws --provision`). serverless.yml's `OrdersTable` says
//! the same in its own words: the key `orderId`, the outbox's sparse index, and the time to live
//! of the client limits' counters.

use crate::dynamodb::limit_item::EXPIRES_AT;
use crate::dynamodb::order_item::{ORDER_ID, STATUS};
use crate::dynamodb::outbox_item::{OUTBOX_BUCKET, OUTBOX_SINCE, PENDING_EVENTS, PENDING_EVENTS_INDEX};
use crate::dynamodb::status_index::{ORDERS_BY_STATUS_INDEX, STATUS_SORT_KEY};
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::operation::update_time_to_live::builders::UpdateTimeToLiveFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

/// Fills in a `CreateTable` request (named by the caller) with the order table's keys, indexes
/// and on-demand billing.
pub fn define(request: CreateTableFluentBuilder) -> Result<CreateTableFluentBuilder, BuildError> {
    let string = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
    };
    let pending_events = GlobalSecondaryIndex::builder()
        .index_name(PENDING_EVENTS_INDEX)
        .key_schema(key(OUTBOX_BUCKET, KeyType::Hash)?)
        .key_schema(key(OUTBOX_SINCE, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .non_key_attributes(PENDING_EVENTS)
                .build(),
        )
        .build()?;
    let orders_by_status = GlobalSecondaryIndex::builder()
        .index_name(ORDERS_BY_STATUS_INDEX)
        .key_schema(key(STATUS, KeyType::Hash)?)
        .key_schema(key(STATUS_SORT_KEY, KeyType::Range)?)
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()?;
    Ok(request
        .attribute_definitions(string(ORDER_ID)?)
        .attribute_definitions(string(OUTBOX_BUCKET)?)
        .attribute_definitions(string(OUTBOX_SINCE)?)
        .attribute_definitions(string(STATUS)?)
        .attribute_definitions(string(STATUS_SORT_KEY)?)
        .key_schema(key(ORDER_ID, KeyType::Hash)?)
        .global_secondary_indexes(pending_events)
        .global_secondary_indexes(orders_by_status)
        .billing_mode(BillingMode::PayPerRequest))
}

/// Fills in an `UpdateTimeToLive` request (named by the caller): the client limits' counters
/// are deleted some time after their `expiresAt`.
pub fn time_to_live(request: UpdateTimeToLiveFluentBuilder) -> Result<UpdateTimeToLiveFluentBuilder, BuildError> {
    Ok(request.time_to_live_specification(
        TimeToLiveSpecification::builder()
            .attribute_name(EXPIRES_AT)
            .enabled(true)
            .build()?,
    ))
}
