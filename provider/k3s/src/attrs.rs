//! Reading typed values out of Terraform objects, with errors that name the attribute.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use tfplugin::{AttributePath, Diagnostics, Value};

/// A string attribute, or None when null.
pub fn string(obj: &Value, name: &str) -> Option<String> {
    obj.get(name).as_str().map(str::to_string)
}

/// A list(string) attribute; null is empty.
pub fn strings(obj: &Value, name: &str) -> Vec<String> {
    obj.get(name)
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A map(string) attribute; null is empty.
pub fn string_map(obj: &Value, name: &str) -> BTreeMap<String, String> {
    obj.get(name)
        .as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub fn bool_or(obj: &Value, name: &str, default: bool) -> bool {
    obj.get(name).as_bool().unwrap_or(default)
}

/// The single element of an at-most-one block, or Null when absent.
pub fn single_block<'a>(obj: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    obj.get(name)
        .as_list()
        .and_then(|l| l.first())
        .unwrap_or(&NULL)
}

/// Parses a Go-style duration such as `90s`, `5m`, `1h30m` or `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!("{text:?} is not a duration: write a number with a unit, such as \"30s\", \"5m\" or \"1h30m\"")
    };
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        if digits == 0 {
            return Err(invalid());
        }
        let amount: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(invalid()),
        };
        total += unit * u32::try_from(amount).map_err(|_| invalid())?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// A duration attribute with a default, or a diagnostic at its path.
pub fn duration(
    obj: &Value,
    name: &str,
    default: Duration,
    path: &AttributePath,
) -> Result<Duration, Diagnostics> {
    match obj.get(name).as_str() {
        None => Ok(default),
        Some(text) => parse_duration(text).map_err(|detail| {
            Diagnostics::error_at(path.push_attr(name), "Invalid duration", detail)
        }),
    }
}

/// Checks a duration attribute at plan time when it is known.
pub fn check_duration(obj: &Value, name: &str, path: &AttributePath, diags: &mut Diagnostics) {
    if let Some(text) = obj.get(name).as_str() {
        if let Err(detail) = parse_duration(text) {
            diags.push_error_at(path.push_attr(name), "Invalid duration", detail);
        }
    }
}

/// Parses the `kubeconfig` attribute; the error names it without echoing its content.
pub fn kubeconfig(obj: &Value) -> Result<k8s_api::Kubeconfig, Diagnostics> {
    let text = obj.get("kubeconfig").as_str().unwrap_or_default();
    k8s_api::Kubeconfig::parse(text).map_err(|e| {
        Diagnostics::error_at(
            AttributePath::attr("kubeconfig"),
            "Invalid kubeconfig",
            e.to_string(),
        )
    })
}

/// Plan-time check of an optional `kubeconfig` attribute.
pub fn check_kubeconfig(obj: &Value, diags: &mut Diagnostics) {
    if obj.get("kubeconfig").as_str().is_some() {
        if let Err(d) = kubeconfig(obj) {
            diags.extend(d);
        }
    }
}

static STOPPING: AtomicBool = AtomicBool::new(false);
static STOP: Notify = Notify::const_new();

/// Terraform asked the provider to stop (Ctrl-C): every wait in progress or to come ends.
pub fn request_stop() {
    STOPPING.store(true, Ordering::SeqCst);
    STOP.notify_waiters();
}

async fn stop_requested() {
    let notified = STOP.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    if !STOPPING.load(Ordering::SeqCst) {
        notified.await;
    }
}

/// Runs a future to completion from the blocking thread a resource call runs on, unless
/// Terraform asks the provider to stop first (then an "Interrupted" diagnostic).
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Diagnostics> {
    tokio::runtime::Handle::current().block_on(async {
        tokio::select! {
            output = future => Ok(output),
            () = stop_requested() => Err(Diagnostics::error(
                "Interrupted",
                "Terraform asked the provider to stop; the operation was abandoned where it was.",
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_request_ends_a_wait_in_progress() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let handle = runtime.handle().clone();
        let waiter = std::thread::spawn(move || {
            let _entered = handle.enter();
            block_on(std::future::pending::<()>())
        });
        std::thread::sleep(Duration::from_millis(100));
        request_stop();
        let outcome = waiter.join().expect("waiter thread");
        let diags = outcome.expect_err("the wait must end");
        assert!(format!("{diags:?}").contains("Interrupted"));
    }

    #[test]
    fn durations_in_go_syntax() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "5", "m", "5 minutes", "-1s", "1d"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("is not a duration"), "{bad}: {err}");
        }
    }
}
