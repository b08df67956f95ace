//! OpenRTB 2.6 exchange: fans each publisher request out to the configured bidders in parallel
//! under `tmax` minus a margin, drops late and invalid bids, runs a first- or second-price auction
//! per impression, fires win/billing/loss notices in the background, and answers with the
//! winners or 204.

pub mod auction;
pub mod config;
mod fanout;
mod metrics;
mod notices;
mod service;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rtbhttp::{serve, ServerConfig};
use tokio::net::TcpListener;

pub use config::{Args, Settings};
pub use service::{Exchange, AUCTION_PATH};

/// Serves the exchange on `listener` until `shutdown` completes, then drains in-flight auctions.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let exchange = Arc::new(Exchange::new(&settings)?);
    let cfg = ServerConfig {
        header_timeout: Duration::from_millis(settings.header_timeout_ms),
        ..ServerConfig::default()
    };
    tracing::info!(bound = %listener.local_addr()?, bidders = settings.bidders.len(), "exchange listening");
    serve(
        listener,
        cfg,
        move |req| exchange.clone().handle(req),
        shutdown,
    )
    .await;
    Ok(())
}
