//! OpenRTB 2.6 bidder: campaigns loaded from a file and reloaded live, matched against each
//! request by targeting and blocks, priced by auction type under floors, held against budgets and
//! frequency caps until win/loss notices settle them.

pub mod budget;
pub mod campaign;
pub mod config;
pub mod decide;
pub mod freqcap;
pub mod index;
pub mod ledger;
mod metrics;
pub mod pricing;
mod reload;
pub mod respond;
pub mod service;
pub mod targeting;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rtbhttp::{serve, ServerConfig};
use tokio::net::TcpListener;

pub use config::{Args, Settings};
pub use service::{Bidder, BID_PATH};

/// Serves the bidder on `listener` until `shutdown` completes, then drains in-flight requests.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let bound = listener.local_addr()?;
    let bidder = Arc::new(Bidder::new(&settings, settings.public_url(bound))?);
    let upkeep = tokio::spawn(reload::upkeep(
        bidder.clone(),
        Duration::from_millis(settings.reload_poll_ms),
    ));
    let cfg = ServerConfig {
        header_timeout: Duration::from_millis(settings.header_timeout_ms),
        ..ServerConfig::default()
    };
    let handler = {
        let bidder = bidder.clone();
        move |req| bidder.clone().handle(req)
    };
    let stop = async {
        shutdown.await;
        bidder.set_ready(false);
    };
    tracing::info!(%bound, "bidder listening");
    serve(listener, cfg, handler, stop).await;
    upkeep.abort();
    Ok(())
}
