//! Service settings: defaults, overridden by an optional TOML file, overridden by environment
//! variables and command-line flags (clap reads both).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use rtbhttp::settings::{read_toml, SettingsFileError};
use serde::Deserialize;

#[derive(Debug, Parser, Default)]
#[command(
    name = "bidder",
    about = "OpenRTB 2.6 bidder",
    args_override_self = true
)]
pub struct Args {
    /// Settings file (TOML); flags and environment variables override it.
    #[arg(long, env = "BIDDER_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long, env = "BIDDER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Campaign file (.json or .toml), reloaded on SIGHUP or when it changes.
    #[arg(long, env = "BIDDER_CAMPAIGNS")]
    pub campaigns: Option<PathBuf>,
    /// Base URL the exchange calls for win/billing/loss notices (default: http://<listen>).
    #[arg(long, env = "BIDDER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// First-price bids pay this share of a campaign's value.
    #[arg(long, env = "BIDDER_SHADING")]
    pub shading: Option<f64>,
    /// Requests worked on at once; past it bid requests get 204 at once.
    #[arg(long, env = "BIDDER_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    #[arg(long, env = "BIDDER_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    #[arg(long, env = "BIDDER_BODY_TIMEOUT_MS")]
    pub body_timeout_ms: Option<u64>,
    #[arg(long, env = "BIDDER_HEADER_TIMEOUT_MS")]
    pub header_timeout_ms: Option<u64>,
    /// tmax assumed when a request carries none.
    #[arg(long, env = "BIDDER_DEFAULT_TMAX_MS")]
    pub default_tmax_ms: Option<u64>,
    /// Time kept back from tmax for the network trip back to the exchange.
    #[arg(long, env = "BIDDER_DEADLINE_MARGIN_MS")]
    pub deadline_margin_ms: Option<u64>,
    /// How long a bid's budget stays reserved waiting for its win or loss notice.
    #[arg(long, env = "BIDDER_RESERVATION_TTL_SECS")]
    pub reservation_ttl_secs: Option<u64>,
    /// How often the campaign file's modification time is checked.
    #[arg(long, env = "BIDDER_RELOAD_POLL_MS")]
    pub reload_poll_ms: Option<u64>,
    /// Tokio worker threads (default: one per core).
    #[arg(long, env = "BIDDER_WORKERS")]
    pub workers: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub listen: SocketAddr,
    pub campaigns: PathBuf,
    pub public_url: Option<String>,
    pub shading: f64,
    pub max_in_flight: usize,
    pub max_body_bytes: usize,
    pub body_timeout_ms: u64,
    pub header_timeout_ms: u64,
    pub default_tmax_ms: u64,
    pub deadline_margin_ms: u64,
    pub reservation_ttl_secs: u64,
    pub reload_poll_ms: u64,
    pub workers: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".parse().expect("static address"),
            campaigns: PathBuf::from("campaigns.json"),
            public_url: None,
            shading: 0.85,
            max_in_flight: 4096,
            max_body_bytes: 256 * 1024,
            body_timeout_ms: 200,
            header_timeout_ms: 10_000,
            default_tmax_ms: 100,
            deadline_margin_ms: 5,
            reservation_ttl_secs: 60,
            reload_poll_ms: 1000,
            workers: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    File(#[from] SettingsFileError),
    #[error("{0}: {1}")]
    Invalid(&'static str, &'static str),
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
            campaigns,
            shading,
            max_in_flight,
            max_body_bytes,
            body_timeout_ms,
            header_timeout_ms,
            default_tmax_ms,
            deadline_margin_ms,
            reservation_ttl_secs,
            reload_poll_ms
        );
        if args.public_url.is_some() {
            s.public_url = args.public_url;
        }
        if args.workers.is_some() {
            s.workers = args.workers;
        }
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let checks: [(bool, &'static str, &'static str); 6] = [
            (
                self.shading > 0.0 && self.shading <= 1.0,
                "shading",
                "must be in (0, 1]",
            ),
            (self.max_in_flight > 0, "max_in_flight", "must be positive"),
            (
                self.max_body_bytes > 0,
                "max_body_bytes",
                "must be positive",
            ),
            (
                self.default_tmax_ms > self.deadline_margin_ms,
                "default_tmax_ms",
                "must exceed deadline_margin_ms",
            ),
            (
                self.reload_poll_ms > 0,
                "reload_poll_ms",
                "must be positive",
            ),
            (self.workers != Some(0), "workers", "must be positive"),
        ];
        match checks.into_iter().find(|(ok, _, _)| !ok) {
            Some((_, field, reason)) => Err(SettingsError::Invalid(field, reason)),
            None => Ok(()),
        }
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bidder.toml");
        std::fs::write(&path, "shading = 0.5\nmax_in_flight = 7\n").unwrap();
        let args = Args::parse_from([
            "bidder",
            "--config",
            path.to_str().unwrap(),
            "--max-in-flight",
            "9",
        ]);
        let s = Settings::from_args(args).unwrap();
        assert_eq!(
            (s.shading, s.max_in_flight, s.default_tmax_ms),
            (0.5, 9, 100)
        );
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err =
            Settings::from_args(Args::parse_from(["bidder", "--shading", "1.5"])).unwrap_err();
        assert_eq!(err.to_string(), "shading: must be in (0, 1]");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.toml");
        std::fs::write(&path, "shadin = 0.5\n").unwrap();
        let err = Settings::from_args(Args::parse_from([
            "bidder",
            "--config",
            path.to_str().unwrap(),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("shadin"), "{err}");
    }
}
