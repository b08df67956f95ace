//! The HTTP face of the bidder: routing, the bid endpoint with its deadline and shedding rules,
//! notice endpoints, health and metrics.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use openrtb::version;
use rtbhttp::{empty, json, read_body, text, Body, BodyLimits, HttpError, InFlight};
use tracing::{debug, info, warn};

use crate::campaign::{CampaignError, CampaignFile};
use crate::config::Settings;
use crate::decide::{decide, DecideParams};
use crate::index::CampaignSet;
use crate::ledger::{Ledger, Outcome};
use crate::metrics::Metrics;
use crate::respond::bid_response;

pub const BID_PATH: &str = "/openrtb2/bid";

pub struct Bidder {
    campaigns: ArcSwap<CampaignSet>,
    campaign_path: PathBuf,
    pub ledger: Ledger,
    pub metrics: Metrics,
    in_flight: InFlight,
    limits: BodyLimits,
    params: DecideParams,
    default_tmax: Duration,
    margin: Duration,
    public_url: String,
    ready: AtomicBool,
}

impl Bidder {
    /// Loads the campaign file; a service that cannot load it at start refuses to start.
    pub fn new(settings: &Settings, public_url: String) -> Result<Bidder, CampaignError> {
        let now = Instant::now();
        let set = CampaignSet::build(
            CampaignFile::load(&settings.campaigns)?.compile()?,
            None,
            now,
        );
        info!(campaigns = set.len(), path = %settings.campaigns.display(), "campaigns loaded");
        Ok(Bidder {
            campaigns: ArcSwap::from_pointee(set),
            campaign_path: settings.campaigns.clone(),
            ledger: Ledger::new(Duration::from_secs(settings.reservation_ttl_secs), now),
            metrics: Metrics::default(),
            in_flight: InFlight::new(settings.max_in_flight),
            limits: BodyLimits {
                max_bytes: settings.max_body_bytes,
                timeout: settings.body_timeout(),
            },
            params: DecideParams {
                shading: settings.shading,
            },
            default_tmax: Duration::from_millis(settings.default_tmax_ms),
            margin: Duration::from_millis(settings.deadline_margin_ms),
            public_url,
            ready: AtomicBool::new(true),
        })
    }

    pub fn campaigns(&self) -> Arc<CampaignSet> {
        self.campaigns.load_full()
    }

    /// Re-reads the campaign file; on any error the running set stays in place.
    pub fn reload(&self) -> Result<usize, CampaignError> {
        let result = CampaignFile::load(&self.campaign_path).and_then(|f| f.compile());
        match result {
            Ok(campaigns) => {
                let current = self.campaigns.load();
                let set = CampaignSet::build(campaigns, Some(&current), Instant::now());
                let n = set.len();
                self.campaigns.store(Arc::new(set));
                self.metrics.reloads.inc();
                info!(campaigns = n, "campaigns reloaded");
                Ok(n)
            }
            Err(e) => {
                self.metrics.reload_failures.inc();
                warn!(error = %e, "campaign reload failed; keeping the loaded set");
                Err(e)
            }
        }
    }

    pub fn campaign_path(&self) -> &std::path::Path {
        &self.campaign_path
    }

    /// Readiness goes false when shutdown starts so load balancers stop sending work.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        match (&parts.method, parts.uri.path()) {
            (&Method::POST, BID_PATH) => self.bid(&parts.headers, body).await,
            (&Method::GET, "/win") => self.notice(parts.uri.query(), Notice::Win),
            (&Method::GET, "/bill") => self.notice(parts.uri.query(), Notice::Bill),
            (&Method::GET, "/loss") => self.notice(parts.uri.query(), Notice::Loss),
            (&Method::GET, "/metrics") => self.render_metrics(),
            (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
            (&Method::GET, "/readyz") if self.ready.load(Ordering::Acquire) => {
                text(StatusCode::OK, "ready\n")
            }
            (&Method::GET, "/readyz") => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
            (_, BID_PATH | "/win" | "/bill" | "/loss" | "/metrics" | "/healthz" | "/readyz") => {
                text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
            }
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        }
    }

    async fn bid(&self, headers: &hyper::HeaderMap, body: Incoming) -> Response<Body> {
        let start = Instant::now();
        self.metrics.requests.inc();
        let response = match self.in_flight.try_acquire() {
            None => {
                self.metrics.shed.inc();
                no_bid()
            }
            Some(_guard) => self.bid_within_deadline(headers, body, start).await,
        };
        self.metrics.latency.observe(start.elapsed());
        response
    }

    async fn bid_within_deadline(
        &self,
        headers: &hyper::HeaderMap,
        body: Incoming,
        start: Instant,
    ) -> Response<Body> {
        if let Err(e) = version::check(headers.get(version::HEADER).map(HeaderValue::as_bytes)) {
            return self.reject(HttpError::BadRequest(e.to_string()));
        }
        let bytes = match read_body(headers, body, self.limits).await {
            Ok(b) => b,
            Err(e) => return self.reject(e),
        };
        let req = match openrtb::parse_request(&bytes) {
            Ok(r) => r,
            Err(e) => return self.reject(HttpError::BadRequest(e.to_string())),
        };
        if let Err(e) = openrtb::validate_request(&req) {
            return self.reject(HttpError::BadRequest(e.to_string()));
        }
        let tmax = req
            .tmax
            .map_or(self.default_tmax, |ms| Duration::from_millis(ms.into()));
        let deadline = start + tmax.saturating_sub(self.margin);
        if Instant::now() >= deadline {
            self.metrics.late.inc();
            return no_bid();
        }
        let set = self.campaigns.load();
        let decided = decide(&req, &set, &self.ledger, &self.params, Instant::now());
        if decided.is_empty() {
            self.metrics.no_bids.inc();
            return no_bid();
        }
        let body = bid_response(&req.id, &decided, &self.public_url);
        if Instant::now() >= deadline {
            // Too late to be counted by the exchange: withdraw the holds rather than answer late.
            decided.iter().for_each(|d| {
                self.ledger.loss(d.bid_id);
            });
            self.metrics.late.inc();
            return no_bid();
        }
        self.metrics.bids.inc();
        let mut r = json(StatusCode::OK, body);
        r.headers_mut()
            .insert(version::HEADER, HeaderValue::from_static(version::CURRENT));
        r
    }

    fn reject(&self, e: HttpError) -> Response<Body> {
        self.metrics.rejected.inc();
        debug!(error = %e, "request rejected");
        e.into_response()
    }

    fn notice(&self, query: Option<&str>, kind: Notice) -> Response<Body> {
        let params = match NoticeParams::parse(query.unwrap_or(""), kind) {
            Ok(p) => p,
            Err(e) => return text(StatusCode::BAD_REQUEST, format!("{e}\n")),
        };
        let counter = match kind {
            Notice::Win => &self.metrics.wins,
            Notice::Bill => &self.metrics.billed,
            Notice::Loss => &self.metrics.losses,
        };
        counter.inc();
        let outcome = match kind {
            Notice::Win | Notice::Bill => {
                self.ledger.win(params.bid_id, params.price.unwrap_or(0.0))
            }
            Notice::Loss => self.ledger.loss(params.bid_id),
        };
        match outcome {
            Outcome::Charged(micros) => self.metrics.spend_micros.add(micros),
            Outcome::Released => {}
            // Win then bill for the same bid is normal: the first one charged.
            Outcome::Unknown => self.metrics.unknown_notices.inc(),
        }
        empty(StatusCode::NO_CONTENT)
    }

    /// Frees bids whose notices never came; run periodically.
    pub fn expire_reservations(&self) {
        let n = self.ledger.expire(Instant::now());
        self.metrics.expired.add(n as u64);
    }

    fn render_metrics(&self) -> Response<Body> {
        let body = self.metrics.render(
            &self.campaigns.load(),
            self.ledger.pending(),
            self.in_flight.current(),
        );
        let mut r = text(StatusCode::OK, body);
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        r
    }
}

fn no_bid() -> Response<Body> {
    empty(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    Win,
    Bill,
    Loss,
}

#[derive(Debug, PartialEq)]
struct NoticeParams {
    bid_id: u64,
    price: Option<f64>,
}

impl NoticeParams {
    /// `b` (our bid id) always; `p` (clearing CPM) on win and billing notices.
    fn parse(query: &str, kind: Notice) -> Result<NoticeParams, String> {
        let mut bid_id = None;
        let mut price = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "b" => {
                    bid_id = Some(
                        v.parse::<u64>()
                            .map_err(|_| format!("b: not a bid id: {v:?}"))?,
                    )
                }
                "p" => {
                    let p = v
                        .parse::<f64>()
                        .map_err(|_| format!("p: not a price: {v:?}"))?;
                    if !(p.is_finite() && p >= 0.0) {
                        return Err(format!("p: not a price: {v:?}"));
                    }
                    price = Some(p);
                }
                _ => {}
            }
        }
        let bid_id = bid_id.ok_or("b: missing bid id")?;
        if kind != Notice::Loss && price.is_none() {
            return Err("p: missing clearing price (was ${AUCTION_PRICE} filled?)".into());
        }
        Ok(NoticeParams { bid_id, price })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_params_name_the_bad_parameter() {
        assert_eq!(
            NoticeParams::parse("b=12&p=1.5", Notice::Win),
            Ok(NoticeParams {
                bid_id: 12,
                price: Some(1.5)
            })
        );
        assert_eq!(
            NoticeParams::parse("b=12&r=102", Notice::Loss)
                .unwrap()
                .bid_id,
            12
        );
        assert!(NoticeParams::parse("b=12&p=${AUCTION_PRICE}", Notice::Win)
            .unwrap_err()
            .starts_with("p:"));
        assert!(NoticeParams::parse("b=12", Notice::Bill)
            .unwrap_err()
            .starts_with("p:"));
        assert!(NoticeParams::parse("p=1", Notice::Win)
            .unwrap_err()
            .starts_with("b:"));
        assert!(NoticeParams::parse("b=x&p=1", Notice::Win)
            .unwrap_err()
            .starts_with("b:"));
        assert!(NoticeParams::parse("b=1&p=-1", Notice::Win)
            .unwrap_err()
            .starts_with("p:"));
    }
}
