//! `libvirt_ignition`: an Ignition config (Fedora CoreOS, Flatcar) stored as a raw volume,
//! for a domain to hand to the guest's firmware through QEMU's fw_cfg.

use tfplugin::{Attribute, AttributePath, Diagnostics, Type, Value};

use super::generated_disk::DiskContent;

pub struct IgnitionConfig;

impl DiskContent for IgnitionConfig {
    fn type_name(&self) -> &'static str {
        "libvirt_ignition"
    }

    fn about(&self) -> &'static str {
        "An Ignition config for Fedora CoreOS or Flatcar, uploaded byte for byte into a new raw \
         volume. Ignition on QEMU reads its config from fw_cfg, so a domain passes the volume's \
         file to QEMU: `qemu:commandline` with the arguments `-fw_cfg` and \
         `name=opt/com.coreos/config,file=<id>` (use a directory pool so `id` is a path QEMU can \
         open). Any content change replaces the volume; Ignition runs on first boot only. \
         Import is not supported: the volume holds the generated config, not its source."
    }

    fn attributes(&self) -> Vec<Attribute> {
        vec![Attribute::required("content", Type::String)
            .sensitive()
            .describe(
                "The Ignition config as JSON, e.g. from `jsonencode(...)` or a Butane transpile. \
             Checked at plan time: a JSON object with an `ignition.version`.",
            )]
    }

    fn check(&self, config: &Value) -> Diagnostics {
        match config.get("content").as_str().map(check_ignition) {
            Some(Err(detail)) => Diagnostics::error_at(
                AttributePath::attr("content"),
                "Invalid Ignition config",
                detail,
            ),
            _ => Diagnostics::new(),
        }
    }

    fn render(&self, config: &Value) -> Result<Vec<u8>, Diagnostics> {
        Ok(config
            .get("content")
            .as_str()
            .unwrap_or_default()
            .as_bytes()
            .to_vec())
    }
}

/// A JSON object with `ignition.version` like "3.4.0".
fn check_ignition(text: &str) -> Result<(), String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("content is not valid JSON: {e}"))?;
    let version = doc
        .as_object()
        .ok_or("content must be a JSON object (an Ignition config)")?
        .get("ignition")
        .and_then(|i| i.get("version"))
        .ok_or("content has no `ignition.version`; every Ignition config declares its spec version, e.g. {\"ignition\": {\"version\": \"3.4.0\"}}")?;
    let valid = version.as_str().is_some_and(|v| {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`ignition.version` must be a version string like \"3.4.0\", not {version}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_with_a_version_pass() {
        assert_eq!(
            check_ignition(r#"{"ignition":{"version":"3.4.0"}}"#),
            Ok(())
        );
        assert_eq!(
            check_ignition(r#"{"ignition":{"version":"2.3.0"},"storage":{}}"#),
            Ok(())
        );
    }

    #[test]
    fn errors_name_the_problem() {
        for (bad, expected) in [
            ("{", "not valid JSON"),
            ("[1]", "JSON object"),
            (r#"{"storage":{}}"#, "no `ignition.version`"),
            (r#"{"ignition":{"version":3}}"#, "not 3"),
            (r#"{"ignition":{"version":"3.x.0"}}"#, "\"3.x.0\""),
        ] {
            let err = check_ignition(bad).unwrap_err();
            assert!(err.contains(expected), "{bad}: {err}");
        }
    }
}
