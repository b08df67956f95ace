//! Win, billing and loss notices, fired in the background so the auction answer never waits.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::{Request, Uri};
use rtbhttp::PooledClient;
use tracing::debug;

use crate::metrics::Metrics;

const NOTICE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Notifier {
    client: PooledClient,
    metrics: Arc<Metrics>,
}

impl Notifier {
    pub fn new(client: PooledClient, metrics: Arc<Metrics>) -> Self {
        Notifier { client, metrics }
    }

    /// GETs `url` (macros already filled) without waiting for it.
    pub fn fire(&self, url: String) {
        let this = self.clone();
        tokio::spawn(async move {
            let ok = match url.parse::<Uri>() {
                Ok(uri) => this.get(uri).await,
                Err(e) => {
                    debug!(%url, error = %e, "notice URL does not parse");
                    false
                }
            };
            let counter = if ok {
                &this.metrics.notices_sent
            } else {
                &this.metrics.notices_failed
            };
            counter.inc();
        });
    }

    async fn get(&self, uri: Uri) -> bool {
        let req = Request::get(uri)
            .body(Full::default())
            .expect("valid request parts");
        let call = async {
            let resp = self.client.request(req).await.ok()?;
            let ok = resp.status().is_success();
            resp.into_body().collect().await.ok()?;
            Some(ok)
        };
        matches!(
            tokio::time::timeout(NOTICE_TIMEOUT, call).await,
            Ok(Some(true))
        )
    }
}
