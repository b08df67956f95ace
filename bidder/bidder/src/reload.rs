//! Background upkeep: reload campaigns on SIGHUP or when the file's modification time changes, and
//! expire reservations whose notices never came.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::signal::unix::{signal, SignalKind};
use tracing::warn;

use crate::service::Bidder;

const EXPIRY_INTERVAL: Duration = Duration::from_millis(10);

fn modified(bidder: &Bidder) -> Option<SystemTime> {
    std::fs::metadata(bidder.campaign_path())
        .and_then(|m| m.modified())
        .ok()
}

pub async fn upkeep(bidder: Arc<Bidder>, poll: Duration) {
    let mut hangup = match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!(error = %e, "cannot listen for SIGHUP; relying on file polling");
            None
        }
    };
    let mut seen = modified(&bidder);
    let mut poll = tokio::time::interval(poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Frequent small expiry passes instead of one large one: the pass holds shard locks.
    let mut expiry = tokio::time::interval(EXPIRY_INTERVAL);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let forced = tokio::select! {
            _ = expiry.tick() => {
                bidder.expire_reservations();
                continue;
            }
            _ = poll.tick() => false,
            Some(()) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => true,
        };
        let now = modified(&bidder);
        if forced || now != seen {
            seen = now;
            // Errors are counted and logged inside; the old set keeps serving.
            let _ = bidder.reload();
        }
    }
}
