use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::respond::Body;

pub type PooledClient = Client<HttpConnector, Body>;

/// An HTTP/1.1 client keeping up to `max_idle_per_host` keep-alive connections per host, with
/// Nagle off (bid requests are small and latency-bound).
pub fn pooled_client(max_idle_per_host: usize) -> PooledClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_millis(200)));
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(max_idle_per_host)
        .build(connector)
}
