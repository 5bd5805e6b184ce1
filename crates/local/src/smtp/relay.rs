//! The relay: sends every email the store owes (`SmtpOutbox`) through the server, oldest first,
//! one at a time. A try that fails for a reason that may pass (the server unreachable, a 4xx
//! answer, TLS or credentials refused) is tried again later, backing off up to `LONGEST_WAIT`;
//! a 5xx answer to the email itself (an unknown recipient, say) refuses it for good.

use super::settings::SmtpSettings;
use crate::stopping::Stopping;
use cakeshop_sqlite::{MAIL_FEED, OwedEmail, SmtpOutbox, Store, StoredEmail, now_millis};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use std::time::{Duration, SystemTime};

/// The wait after a first failed try, doubled after each further one.
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(600);
/// How often the relay looks for owed emails besides when this process keeps one: another
/// process on the store (`cakeshop dlq redrive`) may have kept some.
const LOOK_EVERY: Duration = Duration::from_secs(5);
const BATCH: usize = 32;

/// Starts the relay as one of the loops a clean stop waits for.
pub fn start(settings: &SmtpSettings, store: &Store, stopping: &Stopping) -> Result<(), super::SmtpSettingsError> {
    let transport = settings.transport()?;
    let outbox = SmtpOutbox::new(store.clone());
    match outbox.counts() {
        Ok(counts) => tracing::info!(
            server = %settings.describe(),
            owed = counts.owed,
            refused = counts.refused,
            "emails are also sent through the SMTP server"
        ),
        Err(error) => {
            tracing::warn!(error = %cakeshop_ports::error_chain(&error), "cannot count the emails owed to the SMTP server")
        }
    }
    let relay = Relay {
        transport,
        outbox,
        stopping: stopping.clone(),
    };
    let kept = store.feed_watch(MAIL_FEED);
    stopping.spawn(relay.run(kept));
    Ok(())
}

/// Without `SMTP_URL`, says so if an earlier run with it left emails unsent: they wait for it.
pub fn warn_of_owed_emails(store: &Store) {
    match SmtpOutbox::new(store.clone()).counts() {
        Ok(counts) if counts.owed > 0 => tracing::warn!(
            owed = counts.owed,
            "emails kept while SMTP_URL was set are not sent yet; they go once it is set again"
        ),
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(error = %cakeshop_ports::error_chain(&error), "cannot count the emails owed to the SMTP server")
        }
    }
}

struct Relay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    outbox: SmtpOutbox,
    stopping: Stopping,
}

/// Why a try failed, and so whether to try again.
enum Failure {
    Later(String),
    Refused(String),
}

impl Relay {
    async fn run(self, mut kept: tokio::sync::watch::Receiver<u64>) {
        while !self.stopping.is_asked() {
            let due = match self.outbox.due(now_millis(), BATCH) {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(error = %cakeshop_ports::error_chain(&error), "reading the emails owed to the SMTP server failed");
                    Vec::new()
                }
            };
            let full_batch = due.len() == BATCH;
            for owed in due {
                if self.stopping.is_asked() {
                    return;
                }
                self.send(owed).await;
            }
            if !full_batch {
                let wait = self.until_next_due();
                tokio::select! {
                    _ = kept.changed() => {}
                    () = self.stopping.pause(wait) => {}
                }
            }
        }
    }

    fn until_next_due(&self) -> Duration {
        match self.outbox.next_due_ms() {
            Ok(Some(at)) => Duration::from_millis(u64::try_from(at - now_millis()).unwrap_or(0)).min(LOOK_EVERY),
            Ok(None) | Err(_) => LOOK_EVERY,
        }
    }

    async fn send(&self, owed: OwedEmail) {
        let mail_id = owed.email.seq;
        let order_id = owed.email.order_id.clone();
        let outcome = match message(&owed.email) {
            Ok(message) => self.transport.send(message).await.map(|_| ()).map_err(classify),
            Err(reason) => Err(Failure::Refused(reason)),
        };
        let recorded = match outcome {
            Ok(()) => {
                tracing::info!(
                    order_id,
                    to = owed.email.to,
                    subject = owed.email.subject,
                    "email sent through the SMTP server"
                );
                self.outbox.sent(mail_id).await
            }
            Err(Failure::Later(reason)) => {
                let wait = backoff(owed.attempts);
                tracing::warn!(
                    order_id,
                    to = owed.email.to,
                    attempts = owed.attempts + 1,
                    retry_in_s = wait.as_secs(),
                    reason,
                    "sending an email failed; it is tried again"
                );
                let at = now_millis() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                self.outbox.retry_at(mail_id, at, reason).await
            }
            Err(Failure::Refused(reason)) => {
                tracing::error!(
                    order_id,
                    to = owed.email.to,
                    subject = owed.email.subject,
                    reason,
                    "the SMTP server refused an email for good; it stays in the mailbox only"
                );
                self.outbox.refused(mail_id, reason).await
            }
        };
        if let Err(error) = recorded {
            // The row is still owed: the email is tried (and maybe sent) again, under the same
            // Message-ID, so a receiving server can tell it is the same one.
            tracing::warn!(order_id, error = %cakeshop_ports::error_chain(&error), "recording how an email's sending went failed");
        }
    }
}

/// 1 s, 2 s, 4 s… up to `LONGEST_WAIT`, after `attempts` failed tries.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    FIRST_WAIT
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(LONGEST_WAIT)
}

/// SMTP's permanent answers (5xx) refuse the email, except those about the session rather
/// than the email: authentication wanted or refused, which the operator can fix.
fn classify(error: lettre::transport::smtp::Error) -> Failure {
    const ABOUT_THE_SESSION: [u16; 4] = [530, 534, 535, 538];
    // lettre's message already ends with its cause's.
    let reason = error.to_string();
    let session = error
        .status()
        .is_some_and(|code| ABOUT_THE_SESSION.contains(&u16::from(code)));
    if error.is_permanent() && !session {
        Failure::Refused(reason)
    } else {
        Failure::Later(reason)
    }
}

/// The email as sent: text and HTML alternatives, and a Message-ID made from the mailbox's, so
/// that a second try of the same email carries the same one.
fn message(email: &StoredEmail) -> Result<Message, String> {
    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| format!("the sender {:?} is not an email address: {e}", email.from))?;
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| format!("the recipient {:?} is not an email address: {e}", email.to))?;
    let message_id = format!("<{}@{}>", email.message_id, from.email.domain());
    let kept_at = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(email.sent_ms).unwrap_or(0));
    Message::builder()
        .message_id(Some(message_id))
        .date(kept_at)
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| format!("the email cannot be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_ten_minutes() {
        let waits: Vec<u64> = (0..12).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(backoff(i64::MAX), LONGEST_WAIT);
    }
}
