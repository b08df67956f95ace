//! HTTP plumbing shared by the bidder and the exchange, so both reject bad input the same way:
//! bounded and timed body reads with content-encoding handling, a server loop with header timeouts
//! and graceful draining, in-flight load shedding, and Prometheus text-format metrics.

mod body;
mod client;
mod error;
pub mod metrics;
pub mod process;
mod respond;
mod server;
pub mod settings;
mod shed;

pub use body::{read_body, BodyLimits};
pub use client::{pooled_client, PooledClient};
pub use error::HttpError;
pub use respond::{empty, json, text, Body};
pub use server::{serve, ServerConfig};
pub use shed::{InFlight, InFlightGuard};
