//! The recent invocations of every function, as Lambda's own monitoring would show them: what
//! triggered each, the records it was handed (with the order each is about), its outcome and
//! how long it took. Kept in memory, the latest `KEPT` of them, for the local console.

use cakeshop_handlers::functions::{Answer, Event};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

/// How many invocations are kept, across all functions.
pub const KEPT: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An HTTP API request: its method, path and (once answered) status.
    Http {
        method: String,
        path: String,
    },
    Stream {
        shard: String,
    },
    Queue,
    Schedule,
}

/// One record of a batch, or the subject of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The record's sequence number or the message's id (what a batch item failure names).
    pub id: String,
    pub order_id: Option<String>,
    /// An SQS message's receives so far, this one included.
    pub receive_count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer with this status.
    Answered(u16),
    /// Every record done.
    Succeeded,
    /// Some records reported as batch item failures (by id).
    PartlyFailed(Vec<String>),
    /// The function failed or crashed: the whole batch is handed over again.
    Failed(String),
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        match self {
            Outcome::Answered(status) => *status >= 500,
            Outcome::Succeeded => false,
            Outcome::PartlyFailed(_) | Outcome::Failed(_) => true,
        }
    }

    /// Whether the record `id` of the batch failed.
    pub fn failed_item(&self, id: &str) -> bool {
        match self {
            Outcome::PartlyFailed(ids) => ids.iter().any(|failed| failed == id),
            Outcome::Failed(_) => true,
            _ => false,
        }
    }
}

/// Why the mapping handed this batch over, as far as the invocations before it tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    First,
    /// The same records again after a failure (or a message received again).
    Retry,
    /// The first half of a failed batch (`bisectBatchOnFunctionError`).
    Bisect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Increases with every invocation.
    pub seq: u64,
    pub function: String,
    pub trigger: Trigger,
    pub items: Vec<Item>,
    pub started_ms: i64,
    pub duration_ms: u64,
    pub outcome: Outcome,
    pub attempt: Attempt,
}

impl Invocation {
    pub fn concerns(&self, order_id: &str) -> bool {
        self.items.iter().any(|item| item.order_id.as_deref() == Some(order_id))
    }
}

/// What is known of an invocation before it runs.
pub struct Started {
    function: String,
    trigger: Trigger,
    items: Vec<Item>,
    started_ms: i64,
    clock: std::time::Instant,
}

impl Started {
    pub fn of(function: &str, event: &Event) -> Started {
        let (trigger, items) = match event {
            Event::Http(request) => {
                let path = request.raw_path.clone().unwrap_or_default();
                // `/order/{orderId}`, `/track/{orderId}`: the other parameters name products, assets.
                let mut items: Vec<Item> = request
                    .path_parameters
                    .get("orderId")
                    .cloned()
                    .map(subject)
                    .into_iter()
                    .collect();
                if let Some(body) = &request.body {
                    items.extend(order_ids_in(body).map(subject));
                }
                (
                    Trigger::Http {
                        method: request.request_context.http.method.to_string(),
                        path,
                    },
                    items,
                )
            }
            Event::Kinesis(event) => {
                let shard = event
                    .records
                    .first()
                    .and_then(|r| r.event_id.as_deref())
                    .and_then(|id| id.split(':').next())
                    .unwrap_or_default()
                    .to_owned();
                let items = event
                    .records
                    .iter()
                    .map(|record| Item {
                        id: record.kinesis.sequence_number.clone(),
                        order_id: Some(record.kinesis.partition_key.clone()),
                        receive_count: None,
                    })
                    .collect();
                (Trigger::Stream { shard }, items)
            }
            Event::Sqs(event) => {
                let items = event
                    .records
                    .iter()
                    .map(|message| Item {
                        id: message.message_id.clone().unwrap_or_default(),
                        order_id: message.body.as_deref().and_then(|b| order_ids_in(b).next()),
                        receive_count: message
                            .attributes
                            .get("ApproximateReceiveCount")
                            .and_then(|n| n.parse().ok()),
                    })
                    .collect();
                (Trigger::Queue, items)
            }
            Event::Schedule(_) => (Trigger::Schedule, Vec::new()),
        };
        Started {
            function: function.to_owned(),
            trigger,
            items,
            started_ms: cakeshop_sqlite::now_millis(),
            clock: std::time::Instant::now(),
        }
    }
}

fn subject(order_id: String) -> Item {
    Item {
        id: String::new(),
        order_id: Some(order_id),
        receive_count: None,
    }
}

/// The first order id `text` names (see `order_ids_in`).
pub fn order_id_in(text: &str) -> Option<String> {
    order_ids_in(text).next()
}

/// The order ids a JSON body (`"orderId": "…"`) or a form (`orderId=…`) names, without parsing
/// it: the log must cost the request next to nothing.
fn order_ids_in(text: &str) -> impl Iterator<Item = String> + '_ {
    let json = text.match_indices("\"orderId\"").filter_map(move |(at, key)| {
        let rest = text[at + key.len()..].trim_start().strip_prefix(':')?.trim_start();
        let value = rest.strip_prefix('"')?;
        Some(value[..value.find('"')?].to_owned())
    });
    let form = text.match_indices("orderId=").filter_map(move |(at, key)| {
        let preceded = at == 0 || text[..at].ends_with('&');
        let value = &text[at + key.len()..];
        let value = &value[..value.find('&').unwrap_or(value.len())];
        (preceded && !value.is_empty()).then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    });
    json.chain(form)
}

/// The recent invocations, shared by every caller of the functions.
#[derive(Debug, Clone, Default)]
pub struct Invocations {
    kept: Arc<Mutex<Kept>>,
}

#[derive(Debug, Default)]
struct Kept {
    next: u64,
    latest: VecDeque<Invocation>,
}

impl Invocations {
    /// Records how the invocation ended; a failed one is `answer`'s error text.
    pub fn finish(&self, started: Started, answer: Result<&Answer, String>) {
        let mut items = started.items;
        let mut outcome = match &answer {
            Ok(Answer::Http(response)) => Outcome::Answered(u16::try_from(response.status_code).unwrap_or(500)),
            Ok(Answer::Kinesis(response)) => failures(
                response
                    .batch_item_failures
                    .iter()
                    .filter_map(|f| f.item_identifier.clone()),
            ),
            Ok(Answer::Sqs(response)) => {
                failures(response.batch_item_failures.iter().map(|f| f.item_identifier.clone()))
            }
            Ok(Answer::Schedule(_)) => Outcome::Succeeded,
            Err(message) => Outcome::Failed(message.clone()),
        };
        if let (Trigger::Http { .. }, Ok(Answer::Http(response))) = (&started.trigger, answer) {
            // A new order's id is known only from the answer.
            if let Some(aws_lambda_events::encodings::Body::Text(body)) = &response.body {
                items.extend(order_ids_in(body).map(subject));
            }
            items.dedup();
        }
        if let Outcome::PartlyFailed(ids) = &outcome
            && ids.is_empty()
        {
            outcome = Outcome::Succeeded;
        }
        let duration_ms = u64::try_from(started.clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let attempt = attempt_of(&kept.latest, &started.function, &started.trigger, &items);
        kept.next += 1;
        let invocation = Invocation {
            seq: kept.next,
            function: started.function,
            trigger: started.trigger,
            items,
            started_ms: started.started_ms,
            duration_ms,
            outcome,
            attempt,
        };
        if kept.latest.len() == KEPT {
            kept.latest.pop_front();
        }
        kept.latest.push_back(invocation);
    }

    /// The kept invocations, newest first, that `wanted` picks, at most `limit`.
    pub fn latest(&self, limit: usize, wanted: impl Fn(&Invocation) -> bool) -> Vec<Invocation> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.latest
            .iter()
            .rev()
            .filter(|i| wanted(i))
            .take(limit)
            .cloned()
            .collect()
    }

    /// How many invocations of `function` are kept, and how many of them failed.
    pub fn counts(&self, function: &str) -> (usize, usize) {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let of = kept.latest.iter().filter(|i| i.function == function);
        of.fold((0, 0), |(all, failed), i| {
            (all + 1, failed + usize::from(i.outcome.is_failure()))
        })
    }
}

fn failures(ids: impl Iterator<Item = String>) -> Outcome {
    Outcome::PartlyFailed(ids.collect())
}

/// A batch is a retry when its first record failed in the function's last batch on that shard
/// (or a message comes again), and a bisect when it is the smaller first half of a batch that
/// failed as a whole.
fn attempt_of(latest: &VecDeque<Invocation>, function: &str, trigger: &Trigger, items: &[Item]) -> Attempt {
    match trigger {
        Trigger::Queue if items.iter().any(|i| i.receive_count.is_some_and(|n| n > 1)) => Attempt::Retry,
        Trigger::Stream { .. } => {
            let Some(first) = items.first() else {
                return Attempt::First;
            };
            let previous = latest
                .iter()
                .rev()
                .find(|i| i.function == function && &i.trigger == trigger);
            match previous {
                Some(previous) if previous.outcome.failed_item(&first.id) => {
                    let same_start = previous.items.first().map(|i| &i.id) == Some(&first.id);
                    if matches!(previous.outcome, Outcome::Failed(_))
                        && same_start
                        && items.len() < previous.items.len()
                    {
                        Attempt::Bisect
                    } else {
                        Attempt::Retry
                    }
                }
                _ => Attempt::First,
            }
        }
        _ => Attempt::First,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_found_in_json_and_forms() {
        let found: Vec<String> = order_ids_in(r#"{"orderId": "A-1","x":{"orderId":"B"}}"#).collect();
        assert_eq!(found, ["A-1", "B"]);
        let found: Vec<String> = order_ids_in("key=1&orderId=C%2D2&notorderId=D").collect();
        assert_eq!(found, ["C-2"]);
        assert_eq!(order_ids_in(r#"{"orderId": 5}"#).count(), 0);
    }

    fn stream_batch(log: &Invocations, first: u32, len: u32, answer: Result<&Answer, String>) {
        let items = (first..first + len)
            .map(|n| Item {
                id: n.to_string(),
                order_id: Some(format!("order-{n}")),
                receive_count: None,
            })
            .collect();
        let started = Started {
            function: "notify-baker".into(),
            trigger: Trigger::Stream {
                shard: "shardId-0".into(),
            },
            items,
            started_ms: 0,
            clock: std::time::Instant::now(),
        };
        log.finish(started, answer);
    }

    #[test]
    fn retries_and_bisects_are_told_apart() {
        use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
        let log = Invocations::default();
        stream_batch(&log, 1, 4, Err("boom".into()));
        stream_batch(&log, 1, 2, Err("boom".into()));
        let mut partial = KinesisEventResponse::default();
        partial.batch_item_failures.push({
            let mut failure = KinesisBatchItemFailure::default();
            failure.item_identifier = Some("2".into());
            failure
        });
        stream_batch(&log, 1, 1, Ok(&Answer::Kinesis(KinesisEventResponse::default())));
        stream_batch(&log, 2, 1, Ok(&Answer::Kinesis(partial)));
        stream_batch(&log, 2, 1, Ok(&Answer::Kinesis(KinesisEventResponse::default())));
        let attempts: Vec<Attempt> = log.latest(10, |_| true).iter().rev().map(|i| i.attempt).collect();
        assert_eq!(
            attempts,
            [
                Attempt::First,
                Attempt::Bisect,
                Attempt::Bisect,
                Attempt::First,
                Attempt::Retry
            ]
        );
        assert_eq!(log.counts("notify-baker"), (5, 3));
        assert!(log.latest(10, |i| i.concerns("order-2")).len() == 4);
    }
}
