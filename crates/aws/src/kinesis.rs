//! The order stream on Kinesis.

use aws_sdk_kinesis::primitives::Blob;
use cakeshop_domain::OrderEvent;
use cakeshop_ports::{EventPublisher, PortError};

/// Puts each event on one Kinesis stream, keyed by order id so an order's events stay in order.
#[derive(Debug, Clone)]
pub struct KinesisEvents {
    client: aws_sdk_kinesis::Client,
    stream_name: String,
}

impl KinesisEvents {
    pub fn new(client: aws_sdk_kinesis::Client, stream_name: impl Into<String>) -> KinesisEvents {
        KinesisEvents {
            client,
            stream_name: stream_name.into(),
        }
    }
}

impl EventPublisher for KinesisEvents {
    async fn publish(&self, event: &OrderEvent) -> Result<(), PortError> {
        let data = event
            .encode()
            .map_err(|error| PortError::new("writing an event for the Kinesis stream", error))?;
        self.client
            .put_record()
            .stream_name(&self.stream_name)
            .partition_key(event.partition_key())
            .data(Blob::new(data))
            .send()
            .await
            .map_err(|error| PortError::new("putting an event on the Kinesis stream", error))?;
        Ok(())
    }
}
