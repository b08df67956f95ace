//! Exchange settings: defaults, overridden by an optional TOML file, overridden by environment
//! variables and flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;
use hyper::Uri;
use rtbhttp::settings::{read_toml, SettingsFileError};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidderEndpoint {
    pub name: String,
    pub url: String,
}

impl FromStr for BidderEndpoint {
    type Err = String;
    /// `name=http://host:port/path`
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, url) = s
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=URL, got {s:?}"))?;
        Ok(BidderEndpoint {
            name: name.to_string(),
            url: url.to_string(),
        })
    }
}

#[derive(Debug, Parser, Default)]
#[command(name = "exchange", about = "OpenRTB 2.6 exchange")]
pub struct Args {
    /// Settings file (TOML); flags and environment variables override it.
    #[arg(long, env = "EXCHANGE_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long, env = "EXCHANGE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// A bidder as NAME=URL; repeat for each. Replaces the file's list when given.
    #[arg(long = "bidder", env = "EXCHANGE_BIDDERS", value_delimiter = ',')]
    pub bidders: Vec<BidderEndpoint>,
    /// tmax used when a publisher request carries none.
    #[arg(long, env = "EXCHANGE_DEFAULT_TMAX_MS")]
    pub default_tmax_ms: Option<u64>,
    /// Kept back from tmax for the exchange's own work and the trip back to the publisher.
    #[arg(long, env = "EXCHANGE_MARGIN_MS")]
    pub margin_ms: Option<u64>,
    #[arg(long, env = "EXCHANGE_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    #[arg(long, env = "EXCHANGE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    #[arg(long, env = "EXCHANGE_BODY_TIMEOUT_MS")]
    pub body_timeout_ms: Option<u64>,
    #[arg(long, env = "EXCHANGE_HEADER_TIMEOUT_MS")]
    pub header_timeout_ms: Option<u64>,
    /// Idle keep-alive connections kept per bidder.
    #[arg(long, env = "EXCHANGE_POOL_PER_BIDDER")]
    pub pool_per_bidder: Option<usize>,
    #[arg(long, env = "EXCHANGE_WORKERS")]
    pub workers: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub listen: SocketAddr,
    pub bidders: Vec<BidderEndpoint>,
    pub default_tmax_ms: u64,
    pub margin_ms: u64,
    pub max_in_flight: usize,
    pub max_body_bytes: usize,
    pub body_timeout_ms: u64,
    pub header_timeout_ms: u64,
    pub pool_per_bidder: usize,
    pub workers: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8081".parse().expect("static address"),
            bidders: Vec::new(),
            default_tmax_ms: 100,
            margin_ms: 10,
            max_in_flight: 4096,
            max_body_bytes: 256 * 1024,
            body_timeout_ms: 200,
            header_timeout_ms: 10_000,
            pool_per_bidder: 256,
            workers: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    File(#[from] SettingsFileError),
    #[error("{0}: {1}")]
    Invalid(String, String),
}

impl Settings {
    pub fn from_args(args: Args) -> Result<Settings, SettingsError> {
        let mut s = match &args.config {
            Some(path) => read_toml(path)?,
            None => Settings::default(),
        };
        macro_rules! override_from_args {
            ($($field:ident),*) => { $( if let Some(v) = args.$field { s.$field = v; } )* };
        }
        override_from_args!(
            listen,
            default_tmax_ms,
            margin_ms,
            max_in_flight,
            max_body_bytes,
            body_timeout_ms,
            header_timeout_ms,
            pool_per_bidder
        );
        if !args.bidders.is_empty() {
            s.bidders = args.bidders;
        }
        if args.workers.is_some() {
            s.workers = args.workers;
        }
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let bad =
            |field: &str, reason: &str| Err(SettingsError::Invalid(field.into(), reason.into()));
        if self.bidders.is_empty() {
            return bad("bidders", "at least one bidder is required");
        }
        for (i, b) in self.bidders.iter().enumerate() {
            let uri: Result<Uri, _> = b.url.parse();
            if b.name.is_empty() {
                return bad(&format!("bidders[{i}].name"), "must not be empty");
            }
            if !uri.is_ok_and(|u| u.scheme_str() == Some("http") && u.authority().is_some()) {
                return bad(&format!("bidders[{i}].url"), "must be an http:// URL");
            }
        }
        if self.default_tmax_ms <= self.margin_ms {
            return bad("default_tmax_ms", "must exceed margin_ms");
        }
        if self.max_in_flight == 0 || self.max_body_bytes == 0 || self.pool_per_bidder == 0 {
            return bad(
                "max_in_flight|max_body_bytes|pool_per_bidder",
                "must be positive",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidders_from_flags_and_errors_name_the_field() {
        let s = Settings::from_args(Args::parse_from([
            "exchange",
            "--bidder",
            "a=http://127.0.0.1:1/bid",
            "--bidder",
            "b=http://127.0.0.1:2/bid",
        ]))
        .unwrap();
        assert_eq!(s.bidders.len(), 2);
        let err = Settings::from_args(Args::parse_from(["exchange", "--bidder", "a=ftp://x"]))
            .unwrap_err();
        assert_eq!(err.to_string(), "bidders[0].url: must be an http:// URL");
        let err = Settings::from_args(Args::parse_from(["exchange"])).unwrap_err();
        assert!(err.to_string().starts_with("bidders:"));
    }
}
