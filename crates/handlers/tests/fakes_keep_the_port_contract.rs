//! The in-memory ports used by the handler tests keep the same contract as the real adapters
//! (the order table and its outbox, the shop's rules and each day's capacity, the stream, the
//! queues, mail and the partners), so what the handler tests prove holds for them too.

use crate::support::fakes::{MemoryOrders, RecordingMailer, RecordingPartner, RecordingQueue, RecordingStream};
use cakeshop_ports::contract;
use cakeshop_ports::{Email, PartnerCall};

struct Probes {
    stream: RecordingStream,
    queue: RecordingQueue,
    mailer: RecordingMailer,
    partner: RecordingPartner,
}

impl contract::StreamProbe for Probes {
    async fn records(&self) -> Vec<(String, Vec<u8>)> {
        let events = self.stream.events.lock().expect("stream").clone();
        events
            .iter()
            .map(|e| (e.partition_key().to_owned(), e.encode().expect("encodes")))
            .collect()
    }
}

impl contract::QueueProbe for Probes {
    async fn drain(&self) -> Vec<(String, Option<String>)> {
        self.queue.taken_with_traces()
    }
}

impl contract::MailboxProbe for Probes {
    async fn emails(&self) -> Vec<Email> {
        self.mailer.sent.lock().expect("mailbox").clone()
    }
}

impl contract::PartnerProbe for Probes {
    async fn calls(&self) -> Vec<PartnerCall> {
        self.partner.calls()
    }
}

#[tokio::test]
async fn in_memory_ports_pass_the_contract() {
    let probes = Probes {
        stream: RecordingStream::default(),
        queue: RecordingQueue::default(),
        mailer: RecordingMailer::default(),
        partner: RecordingPartner::default(),
    };
    contract::order_repository(&MemoryOrders::default()).await;
    contract::bakery(&MemoryOrders::default()).await;
    contract::limiter(&MemoryOrders::default()).await;
    contract::event_publisher(&probes.stream, &probes).await;
    contract::queue_sender(&probes.queue, &probes).await;
    contract::mailer(&probes.mailer, &probes).await;
    contract::partner_client(&probes.partner, &probes).await;
}
