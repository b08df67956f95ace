//! Logs on stderr at the level of TF_LOG_PROVIDER (or TF_LOG), in the JSON line format
//! go-plugin understands, so Terraform files each line under the right level.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The tracing level Terraform's variables ask for; None means logging is off.
pub fn level_from_env() -> Option<Level> {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .ok()?;
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "OFF" | "" => None,
        // Terraform treats any other value as TRACE.
        _ => Some(Level::TRACE),
    }
}

pub fn init() {
    let Some(level) = level_from_env() else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(level))
        .with_writer(std::io::stderr)
        .event_format(HclogJson)
        .try_init();
}

/// Libraries below the provider whose debug and trace events are wire-level detail (frames,
/// packets, handshakes): noise for a provider log, and packet dumps could carry secrets.
const WIRE_LEVEL_TARGETS: [&str; 8] = [
    "h2",
    "hyper",
    "hyper_util",
    "tonic",
    "tower",
    "rustls",
    "russh",
    "tokio_rustls",
];

/// `level` for the provider's own events; wire-level libraries at most at INFO.
fn filter(level: Level) -> tracing_subscriber::EnvFilter {
    let cap = if level > Level::INFO {
        Level::INFO
    } else {
        level
    };
    let directives: Vec<String> = std::iter::once(level.to_string())
        .chain(WIRE_LEVEL_TARGETS.iter().map(|t| format!("{t}={cap}")))
        .collect();
    tracing_subscriber::EnvFilter::new(directives.join(","))
}

/// One JSON object per line: `{"@level":"info","@message":"...","@module":"...","@timestamp":"...", fields...}`.
struct HclogJson;

impl<S, N> FormatEvent<S, N> for HclogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut obj = serde_json::Map::new();
        obj.insert(
            "@level".into(),
            meta.level().as_str().to_ascii_lowercase().into(),
        );
        obj.insert("@module".into(), meta.target().replace("::", ".").into());
        let ts = hclog_timestamp(time::OffsetDateTime::now_utc());
        obj.insert("@timestamp".into(), ts.into());
        event.record(&mut JsonFields(&mut obj));
        writeln!(w, "{}", serde_json::Value::Object(obj))
    }
}

/// go-plugin parses `@timestamp` with Go's layout `2006-01-02T15:04:05.000000Z07:00`:
/// exactly six fractional digits, or it drops the line's structure and logs it raw at
/// DEBUG (so an INFO line would vanish at TF_LOG_PROVIDER=INFO).
fn hclog_timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

struct JsonFields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl Visit for JsonFields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.insert(field, format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, value.into());
    }
}

impl JsonFields<'_> {
    fn insert(&mut self, field: &Field, v: serde_json::Value) {
        let key = if field.name() == "message" {
            "@message"
        } else {
            field.name()
        };
        self.0.insert(key.to_string(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_the_six_fraction_digits_go_plugin_parses() {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_790_000_000_123_456_789)
            .expect("time");
        assert_eq!(hclog_timestamp(t), "2026-09-21T14:13:20.123456Z");
    }

    #[test]
    fn wire_level_libraries_are_capped_at_info() {
        let trace = filter(Level::TRACE).to_string().to_ascii_lowercase();
        assert!(trace.ends_with(",trace"), "{trace}");
        assert!(
            trace.contains("h2=info") && trace.contains("russh=info"),
            "{trace}"
        );
        let warn = filter(Level::WARN).to_string().to_ascii_lowercase();
        assert!(warn.contains("h2=warn"), "{warn}");
    }
}
