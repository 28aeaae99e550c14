//! [`MailQueue`]: mail leaves in the background, so an HTTP answer never waits for the relay.
//!
//! Awaiting the relay inside the request made the answer time say whether a mail was sent:
//! `request-password-reset` took ~350 ms for a known address and under a millisecond for an
//! unknown one. Now a request only puts the mail in a bounded queue; one worker delivers it.
//!
//! - **Bounded**: [`QueuePolicy::capacity`] mails wait at most (`[mailer] queue-capacity`,
//!   default 1024). A full queue refuses the mail at once ([`MailError::QueueFull`], which the
//!   endpoints answer with 503 or log): waiting for room would tie the answer to the relay
//!   again, and a queue that full means the relay is down or far too slow, so the refusal is
//!   logged and counted ([`QueueStats::dropped`]), never silent.
//! - **Retries**: a transient failure (connection refused or cut, timeout, a 4xx reply) is
//!   retried up to [`QueuePolicy::attempts`] times with exponential backoff (1, 2, 4, 8 s); a
//!   permanent one (5xx, a recipient that does not parse) is not. Each final failure is logged
//!   with `tracing::error!` naming the mail kind and the recipient's domain only, never the
//!   address, the link or its token.
//! - **One worker**, started by the first mail (so [`MailQueue::new`] needs no runtime), with up
//!   to [`QueuePolicy::concurrency`] deliveries in flight: a 300 ms relay still moves 13 mails
//!   a second.
//! - **Drain**: [`MailQueue::drain`] stops taking mail and waits a bounded time for the queue to
//!   empty; what is still queued then is logged as lost, with its count per kind.
//! - **Inline mailers** ([`Mailer::inline`], the development [`LogMailer`](super::LogMailer)) are
//!   called in the request: they are instantaneous, and test suites read the mail file right
//!   after the answer.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{Notify, mpsc};

use super::{Mail, MailError, Mailer};

/// How the queue holds and retries mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePolicy {
    /// Mails waiting at most; one more is refused (default 1024).
    pub capacity: usize,
    /// Delivery attempts per mail, the first included (default 5).
    pub attempts: u32,
    /// The wait before the first retry, doubled before each next one (default 1 s).
    pub backoff: Duration,
    /// Deliveries the worker keeps in flight at once (default 4).
    pub concurrency: usize,
}

impl Default for QueuePolicy {
    fn default() -> Self {
        Self {
            capacity: 1024,
            attempts: 5,
            backoff: Duration::from_secs(1),
            concurrency: 4,
        }
    }
}

impl QueuePolicy {
    /// The defaults with `[mailer] queue-capacity`.
    #[must_use]
    pub fn from_config(config: &auth_core::config::Mailer) -> Self {
        let default = Self::default();
        Self {
            capacity: config
                .queue_capacity
                .as_ref()
                .and_then(|c| usize::try_from(*c.get_ref()).ok())
                .unwrap_or(default.capacity),
            ..default
        }
    }
}

impl QueuePolicy {
    /// The defaults with `[sms] queue-capacity` and `attempts`.
    #[must_use]
    pub fn from_sms(config: &auth_core::config::Sms) -> Self {
        let default = Self::default();
        Self {
            capacity: config
                .queue_capacity
                .as_ref()
                .and_then(|c| usize::try_from(*c.get_ref()).ok())
                .unwrap_or(default.capacity),
            attempts: config
                .attempts
                .as_ref()
                .map_or(default.attempts, |a| *a.get_ref()),
            ..default
        }
    }
}

/// What the queue has done since it was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Mails accepted and not yet delivered or given up, per kind (`reset-password`, …).
    pub pending: BTreeMap<&'static str, usize>,
    /// Delivered.
    pub sent: usize,
    /// Given up after their last attempt or at a permanent failure.
    pub failed: usize,
    /// Refused because the queue was full, closed or had no runtime to run on.
    pub dropped: usize,
    /// Still queued when a drain's deadline passed.
    pub lost: usize,
}

impl QueueStats {
    /// Mails accepted and not yet delivered or given up.
    #[must_use]
    pub fn pending_total(&self) -> usize {
        self.pending.values().sum()
    }

    /// Takes one mail of `kind` off the pending counts; false when it is not there (a drain
    /// already gave it up as lost).
    fn take_pending(&mut self, kind: &'static str) -> bool {
        let Some(count) = self.pending.get_mut(kind) else {
            return false;
        };
        *count -= 1;
        if *count == 0 {
            self.pending.remove(kind);
        }
        true
    }
}

/// The one place the mail layer starts background work. On tokio it is a task on the runtime
/// serving the request; a wasm32 build (Cloudflare Workers) would hand it to `ctx.waitUntil`.
struct Spawner(tokio::runtime::Handle);

impl Spawner {
    fn current() -> Result<Self, MailError> {
        tokio::runtime::Handle::try_current()
            .map(Self)
            .map_err(|_| MailError::NoRuntime)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        // Detached: the worker reports through the shared counters, not its handle.
        drop(self.0.spawn(task));
    }
}

/// Sends mail through a [`Mailer`] from a bounded background queue (see the
/// [module](self) for the rules). Cheap to share behind the server's `Arc`.
pub struct MailQueue {
    mailer: Arc<dyn Mailer>,
    policy: QueuePolicy,
    sender: mpsc::Sender<Mail>,
    /// Taken by the first mail, which starts the worker on the runtime that serves it.
    receiver: Mutex<Option<mpsc::Receiver<Mail>>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MailQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailQueue")
            .field("mailer", &self.mailer)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What the requests, the worker and a drain share.
#[derive(Default)]
struct Shared {
    stats: Mutex<QueueStats>,
    /// Set by [`MailQueue::drain`]: no mail is taken any more.
    closed: AtomicBool,
    /// Signalled each time the last pending mail is done.
    idle: Notify,
    /// Signalled when a drain's deadline passed: the worker drops what it holds.
    stop: Notify,
}

impl Shared {
    fn stats(&self) -> std::sync::MutexGuard<'_, QueueStats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one mail as delivered or given up.
    fn finish(&self, mail: &Mail, delivered: bool) {
        let mut stats = self.stats();
        if !stats.take_pending(mail.kind.as_str()) {
            return;
        }
        if delivered {
            stats.sent += 1;
        } else {
            stats.failed += 1;
        }
        if stats.pending.is_empty() {
            self.idle.notify_waiters();
        }
    }
}

impl MailQueue {
    /// A queue in front of `mailer`. Starts nothing yet: the worker starts with the first mail,
    /// so this works outside a runtime.
    #[must_use]
    pub fn new(mailer: Arc<dyn Mailer>, policy: QueuePolicy) -> Self {
        let policy = QueuePolicy {
            capacity: policy.capacity.max(1),
            attempts: policy.attempts.max(1),
            concurrency: policy.concurrency.max(1),
            ..policy
        };
        let (sender, receiver) = mpsc::channel(policy.capacity);
        Self {
            mailer,
            policy,
            sender,
            receiver: Mutex::new(Some(receiver)),
            shared: Arc::default(),
        }
    }

    /// Hands `mail` over: to an [inline](Mailer::inline) mailer at once, otherwise to the
    /// queue, returning as soon as it is queued. Every failure returned is also logged (kind
    /// and recipient domain).
    ///
    /// # Errors
    /// An inline mailer's error; [`MailError::QueueFull`], [`MailError::QueueClosed`] after a
    /// drain, or [`MailError::NoRuntime`] outside a tokio runtime.
    pub async fn submit(&self, mail: Mail) -> Result<(), MailError> {
        if self.mailer.inline() {
            let result = self.mailer.send(&mail).await;
            let mut stats = self.shared.stats();
            match &result {
                Ok(()) => stats.sent += 1,
                Err(error) => {
                    stats.failed += 1;
                    log_failure(&mail, error, 1);
                }
            }
            return result;
        }
        self.enqueue(mail)
    }

    /// Queues `mail`; a refusal is counted as dropped and logged.
    fn enqueue(&self, mail: Mail) -> Result<(), MailError> {
        let refuse = |error: MailError, mail: &Mail| {
            self.shared.stats().dropped += 1;
            log_failure(mail, &error, 0);
            Err(error)
        };
        if self.shared.closed.load(Ordering::Acquire) {
            return refuse(MailError::QueueClosed, &mail);
        }
        if let Err(error) = self.start() {
            return refuse(error, &mail);
        }
        let kind = mail.kind.as_str();
        // Counted before the send, so the worker never finishes a mail not yet counted.
        *self.shared.stats().pending.entry(kind).or_default() += 1;
        let (error, mail) = match self.sender.try_send(mail) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Full(mail)) => (
                MailError::QueueFull {
                    capacity: self.policy.capacity,
                },
                mail,
            ),
            Err(mpsc::error::TrySendError::Closed(mail)) => (MailError::QueueClosed, mail),
        };
        self.shared.stats().take_pending(kind);
        refuse(error, &mail)
    }

    /// Starts the worker unless it runs.
    fn start(&self) -> Result<(), MailError> {
        let mut slot = self.receiver.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            return Ok(());
        }
        let spawner = Spawner::current()?;
        if let Some(receiver) = slot.take() {
            spawner.spawn(work(
                receiver,
                Arc::clone(&self.mailer),
                self.policy,
                Arc::clone(&self.shared),
            ));
        }
        Ok(())
    }

    /// What the queue has done so far.
    #[must_use]
    pub fn stats(&self) -> QueueStats {
        self.shared.stats().clone()
    }

    /// Stops taking mail (later mails get [`MailError::QueueClosed`]) and waits up to `within`
    /// for every queued mail to be delivered or given up. Mails still pending then are dropped,
    /// counted in [`QueueStats::lost`] and logged with their kinds.
    pub async fn drain(&self, within: Duration) -> QueueStats {
        self.shared.closed.store(true, Ordering::Release);
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so a mail finishing in between still wakes us.
            idle.as_mut().enable();
            if self.shared.stats().pending.is_empty() {
                break;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                let mut stats = self.shared.stats();
                let pending = std::mem::take(&mut stats.pending);
                let count: usize = pending.values().sum();
                stats.lost += count;
                drop(stats);
                let kinds: Vec<String> = pending.iter().map(|(k, n)| format!("{k}={n}")).collect();
                tracing::error!(
                    count,
                    kinds = %kinds.join(", "),
                    "mail lost at shutdown: still queued after {} ms",
                    within.as_millis()
                );
                self.shared.stop.notify_one();
                break;
            }
        }
        self.stats()
    }
}

/// The worker: takes mail off the queue and keeps up to `policy.concurrency` deliveries in
/// flight, until the server is gone and the queue empty, or a drain gives up.
async fn work(
    mut receiver: mpsc::Receiver<Mail>,
    mailer: Arc<dyn Mailer>,
    policy: QueuePolicy,
    shared: Arc<Shared>,
) {
    let mut in_flight = FuturesUnordered::new();
    let mut open = true;
    while open || !in_flight.is_empty() {
        tokio::select! {
            () = shared.stop.notified() => return,
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
            mail = receiver.recv(), if open && in_flight.len() < policy.concurrency => match mail {
                Some(mail) => in_flight.push(deliver(mail, &*mailer, policy, &shared)),
                // Every sender is gone (the server was dropped): finish what is in flight.
                None => open = false,
            },
        }
    }
}

/// Delivers one mail, retrying transient failures with exponential backoff.
async fn deliver(mail: Mail, mailer: &dyn Mailer, policy: QueuePolicy, shared: &Shared) {
    let mut backoff = policy.backoff;
    let mut attempt = 1;
    loop {
        match mailer.send(&mail).await {
            Ok(()) => return shared.finish(&mail, true),
            Err(error) if error.is_permanent() || attempt >= policy.attempts => {
                log_failure(&mail, &error, attempt);
                return shared.finish(&mail, false);
            }
            Err(error) => {
                tracing::warn!(
                    kind = mail.kind.as_str(),
                    domain = domain(&mail.to),
                    attempt,
                    error = %masked(&error, &mail.to),
                    "mail not delivered yet; retrying in {} ms",
                    backoff.as_millis()
                );
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

/// The final failure of `mail` after `attempts` attempts (0: refused by the queue).
fn log_failure(mail: &Mail, error: &MailError, attempts: u32) {
    tracing::error!(
        kind = mail.kind.as_str(),
        domain = domain(&mail.to),
        attempts,
        error = %masked(error, &mail.to),
        "mail not delivered"
    );
}

/// The recipient's domain: what a log may say about whom a mail was for.
fn domain(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map_or("", |(_, domain)| domain.trim_end_matches('>'))
}

/// `error` as text with the recipient's address (which a relay may quote) reduced to its domain.
fn masked(error: &MailError, address: &str) -> String {
    let text = error.to_string();
    if address.is_empty() {
        return text;
    }
    // ASCII lower-casing keeps byte offsets, so matches map back onto `text`.
    let (haystack, needle) = (text.to_ascii_lowercase(), address.to_ascii_lowercase());
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in haystack.match_indices(&needle) {
        out.push_str(&text[rest..at]);
        out.push_str("***@");
        out.push_str(domain(address));
        rest = at + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_name_the_domain_only() {
        assert_eq!(domain("ada@example.com"), "example.com");
        assert_eq!(domain("Ada <ada@example.com>"), "example.com");
        assert_eq!(domain("nobody"), "");
        let error = MailError::Smtp {
            server: "smtp://mx:25".to_owned(),
            reason: "550 <Ada@Example.com>: no such user (ada@example.com)".to_owned(),
            permanent: true,
        };
        let text = masked(&error, "ada@example.com");
        assert!(!text.to_ascii_lowercase().contains("ada@"), "{text}");
        assert_eq!(text.matches("***@example.com").count(), 2, "{text}");
    }
}
