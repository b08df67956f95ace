//! The exchange's HTTP face: accept a publisher's request, fan it out under the deadline, keep
//! the valid bids, run one auction per impression, fire notices, answer with the winners or 204.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use openrtb::macros::AuctionMacros;
use openrtb::{version, Bid, BidRequest, BidResponse, SeatBid, Str};
use rtbhttp::{empty, json, read_body, text, Body, BodyLimits, HttpError, InFlight, PooledClient};
use tracing::debug;

use crate::auction;
use crate::config::Settings;
use crate::fanout::{call_all, Answer, BidderTarget};
use crate::metrics::Metrics;
use crate::notices::Notifier;

pub const AUCTION_PATH: &str = "/openrtb2/auction";
const MAX_BIDDER_RESPONSE_BYTES: usize = 1024 * 1024;
/// Loss reason codes (OpenRTB list 5.25).
const LOSS_INVALID_BID: u32 = 3;
const LOSS_OUTBID: u32 = 102;

pub struct Exchange {
    client: PooledClient,
    bidders: Vec<BidderTarget>,
    pub metrics: Arc<Metrics>,
    notifier: Notifier,
    in_flight: InFlight,
    limits: BodyLimits,
    default_tmax: Duration,
    margin: Duration,
}

/// A valid bid waiting for its impression's auction.
struct Candidate<'b> {
    bid: &'b Bid<'b>,
    seat: Option<&'b Str<'b>>,
}

impl Exchange {
    pub fn new(settings: &Settings) -> anyhow::Result<Exchange> {
        let bidders = settings
            .bidders
            .iter()
            .map(|b| {
                Ok(BidderTarget {
                    name: b.name.clone(),
                    uri: b.url.parse()?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let client = rtbhttp::pooled_client(settings.pool_per_bidder);
        let metrics = Arc::new(Metrics::new(bidders.iter().map(|b| b.name.clone())));
        Ok(Exchange {
            notifier: Notifier::new(client.clone(), metrics.clone()),
            client,
            bidders,
            metrics,
            in_flight: InFlight::new(settings.max_in_flight),
            limits: BodyLimits {
                max_bytes: settings.max_body_bytes,
                timeout: Duration::from_millis(settings.body_timeout_ms),
            },
            default_tmax: Duration::from_millis(settings.default_tmax_ms),
            margin: Duration::from_millis(settings.margin_ms),
        })
    }

    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        match (&parts.method, parts.uri.path()) {
            (&Method::POST, AUCTION_PATH) => self.auction(&parts.headers, body).await,
            (&Method::GET, "/metrics") => text(
                StatusCode::OK,
                self.metrics.render(self.in_flight.current()),
            ),
            (&Method::GET, "/healthz" | "/readyz") => text(StatusCode::OK, "ok\n"),
            (_, AUCTION_PATH | "/metrics" | "/healthz" | "/readyz") => {
                text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
            }
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        }
    }

    async fn auction(&self, headers: &HeaderMap, body: Incoming) -> Response<Body> {
        let start = Instant::now();
        self.metrics.requests.inc();
        let response = match self.in_flight.try_acquire() {
            None => {
                self.metrics.shed.inc();
                text(StatusCode::SERVICE_UNAVAILABLE, "overloaded\n")
            }
            Some(_guard) => self.auction_admitted(headers, body, start).await,
        };
        self.metrics.latency.observe(start.elapsed());
        response
    }

    async fn auction_admitted(
        &self,
        headers: &HeaderMap,
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
        let mut req = match openrtb::parse_request(&bytes) {
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
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            self.metrics.over_deadline.inc();
            return empty(StatusCode::NO_CONTENT);
        }
        // Bidders get what is left of the budget, not the publisher's whole tmax.
        let publisher_tmax = req.tmax;
        req.tmax = Some(remaining.as_millis().max(1) as u32);
        let forwarded = Bytes::from(serde_json::to_vec(&req).expect("requests always serialize"));
        req.tmax = publisher_tmax;
        let answers = call_all(
            &self.client,
            &self.bidders,
            forwarded,
            deadline,
            MAX_BIDDER_RESPONSE_BYTES,
        )
        .await;
        let response = self.settle(&req, &answers);
        if Instant::now() > start + tmax {
            self.metrics.over_deadline.inc();
        }
        response
    }

    /// Parses the answers, runs the auctions and builds the publisher's response.
    fn settle(&self, req: &BidRequest<'_>, answers: &[Answer]) -> Response<Body> {
        let currency = req.cur.first().map_or("USD", |c| &**c);
        let parsed = self.parse_answers(req, answers);
        let per_imp = self.valid_bids(req, &parsed, currency);
        let seatbids = self.run_auctions(req, &per_imp, currency);
        if seatbids.is_empty() {
            self.metrics.unfilled.inc();
            return empty(StatusCode::NO_CONTENT);
        }
        self.metrics.filled.inc();
        let resp = BidResponse {
            id: req.id.clone(),
            seatbid: seatbids,
            cur: Str::from(currency),
            ..Default::default()
        };
        let mut r = json(
            StatusCode::OK,
            serde_json::to_vec(&resp).expect("responses always serialize"),
        );
        r.headers_mut()
            .insert(version::HEADER, HeaderValue::from_static(version::CURRENT));
        r
    }

    /// Each bidder's answer as a parsed response answering this request, counting the outcomes.
    fn parse_answers<'a>(
        &self,
        req: &BidRequest<'_>,
        answers: &'a [Answer],
    ) -> Vec<Option<BidResponse<'a>>> {
        answers
            .iter()
            .zip(&self.metrics.bidders)
            .map(|(answer, (name, stats))| match answer {
                Answer::Bids(body) => match openrtb::parse_response(body) {
                    Ok(r) if r.id == req.id => {
                        stats.bids.inc();
                        Some(r)
                    }
                    Ok(_) => {
                        stats.failed.inc();
                        debug!(bidder = %name, "response id does not match the request");
                        None
                    }
                    Err(e) => {
                        stats.failed.inc();
                        debug!(bidder = %name, error = %e, "unparseable bid response");
                        None
                    }
                },
                Answer::NoBid => {
                    stats.no_bids.inc();
                    None
                }
                Answer::Late => {
                    stats.late.inc();
                    None
                }
                Answer::Failed(e) => {
                    stats.failed.inc();
                    debug!(bidder = %name, error = %e, "bidder call failed");
                    None
                }
            })
            .collect()
    }

    /// The bids that pass validation, grouped by impression (in request order); the others are
    /// dropped with a loss notice.
    fn valid_bids<'a>(
        &self,
        req: &BidRequest<'_>,
        parsed: &'a [Option<BidResponse<'a>>],
        currency: &str,
    ) -> Vec<Vec<Candidate<'a>>> {
        let mut per_imp: Vec<Vec<Candidate<'a>>> = req.imp.iter().map(|_| Vec::new()).collect();
        for (resp, (name, stats)) in parsed.iter().zip(&self.metrics.bidders) {
            let Some(resp) = resp else { continue };
            for (s, seatbid) in resp.seatbid.iter().enumerate() {
                let seat = seatbid.seat.as_ref();
                for (b, bid) in seatbid.bid.iter().enumerate() {
                    let field = format!("seatbid[{s}].bid[{b}]");
                    let valid =
                        openrtb::validate_response_against(req, &resp.cur, seat, bid, &field)
                            .and_then(|()| same_currency(&resp.cur, currency));
                    match valid {
                        Ok(()) => {
                            let i = req
                                .imp
                                .iter()
                                .position(|imp| imp.id == bid.impid)
                                .expect("validated impid");
                            per_imp[i].push(Candidate { bid, seat });
                        }
                        Err(e) => {
                            stats.invalid_bids.inc();
                            debug!(bidder = %name, error = %e, "bid dropped");
                            self.notify_loss(req, bid, seat, LOSS_INVALID_BID, None);
                        }
                    }
                }
            }
        }
        per_imp
    }

    /// One auction per impression: the winner's bid at the clearing price with its macros filled,
    /// win and billing notices for it, loss notices for the rest.
    fn run_auctions<'a>(
        &self,
        req: &BidRequest<'_>,
        per_imp: &[Vec<Candidate<'a>>],
        currency: &str,
    ) -> Vec<SeatBid<'a>> {
        let mut seatbids: Vec<SeatBid<'a>> = Vec::new();
        for (imp, candidates) in req.imp.iter().zip(per_imp) {
            let prices: Vec<f64> = candidates.iter().map(|c| c.bid.price).collect();
            let Some(outcome) = auction::run(req.at, &prices, imp.bidfloor) else {
                continue;
            };
            let winner = &candidates[outcome.winner];
            let deal_floor = winner
                .bid
                .dealid
                .as_ref()
                .and_then(|id| imp.pmp.as_ref()?.deals.iter().find(|d| d.id == *id))
                .map_or(0.0, |d| d.bidfloor);
            let clearing = outcome.clearing_price.max(deal_floor).min(winner.bid.price);
            let macros = AuctionMacros {
                auction_id: Some(&req.id),
                bid_id: Some(&winner.bid.id),
                imp_id: Some(&winner.bid.impid),
                seat_id: winner.seat.map(|s| &**s),
                ad_id: winner.bid.adid.as_deref(),
                price: Some(clearing),
                currency: Some(currency),
                mbr: Some(clearing / winner.bid.price),
                loss: None,
                min_to_win: Some(outcome.min_to_win),
            };
            for url in [&winner.bid.nurl, &winner.bid.burl].into_iter().flatten() {
                self.notifier.fire(macros.substitute(url).into_owned());
            }
            for (_, loser) in candidates
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != outcome.winner)
            {
                self.notify_loss(req, loser.bid, loser.seat, LOSS_OUTBID, Some(clearing));
            }
            let won = Bid {
                price: clearing,
                adm: winner
                    .bid
                    .adm
                    .as_ref()
                    .map(|adm| Str(macros.substitute(adm))),
                nurl: None,
                burl: None,
                lurl: None,
                ..winner.bid.clone()
            };
            let seat = winner.seat.cloned();
            match seatbids.iter_mut().find(|s| s.seat == seat) {
                Some(s) => s.bid.push(won),
                None => seatbids.push(SeatBid {
                    bid: vec![won],
                    seat,
                    ..Default::default()
                }),
            }
        }
        seatbids
    }

    fn notify_loss(
        &self,
        req: &BidRequest<'_>,
        bid: &Bid<'_>,
        seat: Option<&Str<'_>>,
        code: u32,
        clearing: Option<f64>,
    ) {
        let Some(lurl) = &bid.lurl else { return };
        let macros = AuctionMacros {
            auction_id: Some(&req.id),
            bid_id: Some(&bid.id),
            imp_id: Some(&bid.impid),
            seat_id: seat.map(|s| &**s),
            ad_id: bid.adid.as_deref(),
            loss: Some(code),
            min_to_win: clearing,
            ..Default::default()
        };
        self.notifier.fire(macros.substitute(lurl).into_owned());
    }

    fn reject(&self, e: HttpError) -> Response<Body> {
        self.metrics.rejected.inc();
        e.into_response()
    }
}

fn same_currency(bid_cur: &str, auction_cur: &str) -> Result<(), openrtb::ValidationError> {
    if bid_cur == auction_cur {
        Ok(())
    } else {
        Err(openrtb::ValidationError::new(
            "cur",
            format!("{bid_cur} differs from the auction currency {auction_cur}"),
        ))
    }
}
