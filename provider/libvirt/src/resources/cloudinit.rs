//! `libvirt_cloudinit_disk`: a NoCloud seed disk for cloud-init, an ISO 9660 image with
//! volume id `cidata` holding `user-data`, `meta-data` and (when set) `network-config`,
//! built in memory (crate `iso9660`) and uploaded into a raw volume.

use tfplugin::{Attribute, AttributePath, Diagnostics, Type, Value};

use super::generated_disk::DiskContent;

/// The volume label cloud-init's NoCloud datasource looks for.
pub const NOCLOUD_VOLUME_ID: &str = "cidata";

pub struct CloudInitDisk;

impl DiskContent for CloudInitDisk {
    fn type_name(&self) -> &'static str {
        "libvirt_cloudinit_disk"
    }

    fn about(&self) -> &'static str {
        "A cloud-init NoCloud seed disk: an ISO 9660 image labelled `cidata` with the files \
         `user-data`, `meta-data` and (when set) `network-config`, built in memory and uploaded \
         straight into a new raw volume, so nothing depends on a local file surviving. Attach \
         the volume `id` to a domain as a cdrom or raw disk; cloud-init finds it by its label. \
         Any content change replaces the volume (cloud-init applies most settings on first boot \
         per `instance-id` only, so change `meta_data`'s instance-id to have a guest re-run it). \
         Import is not supported: the volume holds the generated image, not the configuration \
         it came from."
    }

    fn attributes(&self) -> Vec<Attribute> {
        vec![
            Attribute::required("user_data", Type::String)
                .sensitive()
                .describe(
                "The `user-data` file: a `#cloud-config` YAML document, a script starting with \
                 `#!`, or a MIME multipart archive. Checked at plan time (YAML syntax of \
                 `#cloud-config`).",
            ),
            Attribute::optional("meta_data", Type::String).describe(
                "The `meta-data` file: a YAML mapping, usually `instance-id` and \
                 `local-hostname`. Empty when unset.",
            ),
            Attribute::optional("network_config", Type::String)
                .sensitive()
                .describe(
                    "The `network-config` file: cloud-init network configuration (version 1 or 2) \
                 as YAML. Left out of the image when unset.",
                ),
        ]
    }

    fn check(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let mut report = |attr: &str, result: Result<(), String>, summary: &str| {
            if let Err(detail) = result {
                diags.push_error_at(AttributePath::attr(attr), summary, detail);
            }
        };
        if let Some(user_data) = config.get("user_data").as_str() {
            report(
                "user_data",
                check_user_data(user_data),
                "Invalid cloud-init user data",
            );
        }
        if let Some(meta_data) = config.get("meta_data").as_str() {
            report(
                "meta_data",
                yaml_mapping(meta_data),
                "meta_data is not a YAML mapping",
            );
        }
        if let Some(network) = config.get("network_config").as_str() {
            report(
                "network_config",
                yaml_mapping(network),
                "network_config is not a YAML mapping",
            );
        }
        diags
    }

    fn render(&self, config: &Value) -> Result<Vec<u8>, Diagnostics> {
        let text = |name| config.get(name).as_str().map(str::to_owned);
        Ok(nocloud_image(
            &text("user_data").unwrap_or_default(),
            &text("meta_data").unwrap_or_default(),
            text("network_config").as_deref(),
        )?)
    }
}

/// The NoCloud ISO image.
pub fn nocloud_image(
    user_data: &str,
    meta_data: &str,
    network_config: Option<&str>,
) -> Result<Vec<u8>, iso9660::IsoError> {
    let mut iso = iso9660::IsoImage::new(NOCLOUD_VOLUME_ID)?;
    iso.add_file("user-data", user_data)?;
    iso.add_file("meta-data", meta_data)?;
    if let Some(network) = network_config {
        iso.add_file("network-config", network)?;
    }
    iso.to_bytes()
}

/// user-data formats cloud-init recognises by their first line, as the plan accepts them.
fn check_user_data(text: &str) -> Result<(), String> {
    let first_line = text.lines().next().unwrap_or_default().trim_end();
    if first_line == "#cloud-config" {
        return yaml_mapping(text).map_err(|e| format!("the #cloud-config document {e}"));
    }
    if first_line.starts_with("#!") || is_mime_multipart(text) {
        return Ok(());
    }
    let shown: String = first_line.chars().take(40).collect();
    Err(format!(
        "user_data must start with `#cloud-config` (YAML), `#!` (a script) or be a MIME \
         multipart archive (`Content-Type: multipart/mixed; ...` headers); its first line \
         is {shown:?}"
    ))
}

/// A MIME message whose headers (the lines before the first empty one) declare a
/// multipart content type.
fn is_mime_multipart(text: &str) -> bool {
    let mut headers = text.lines().take_while(|l| !l.trim().is_empty()).peekable();
    let looks_like_header = headers.peek().is_some_and(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| !k.is_empty() && !k.contains(' '))
    });
    looks_like_header
        && headers.any(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .is_some_and(|v| v.trim_start().starts_with("multipart/"))
        })
}

/// Valid YAML whose top level is a mapping (or empty).
fn yaml_mapping(text: &str) -> Result<(), String> {
    match serde_norway::from_str::<serde_norway::Value>(text) {
        Ok(serde_norway::Value::Mapping(_) | serde_norway::Value::Null) => Ok(()),
        Ok(other) => Err(format!(
            "is valid YAML but its top level is {}, not a mapping of keys to values",
            yaml_kind(&other)
        )),
        Err(e) => Err(format!("is not valid YAML: {e}")),
    }
}

fn yaml_kind(v: &serde_norway::Value) -> &'static str {
    match v {
        serde_norway::Value::Null => "empty",
        serde_norway::Value::Bool(_) => "a boolean",
        serde_norway::Value::Number(_) => "a number",
        serde_norway::Value::String(_) => "a string",
        serde_norway::Value::Sequence(_) => "a list",
        serde_norway::Value::Mapping(_) => "a mapping",
        serde_norway::Value::Tagged(_) => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_formats_cloud_init_recognises_pass() {
        for ok in [
            "#cloud-config\nhostname: a\n",
            "#cloud-config\n",
            "#!/bin/sh\necho hi\n",
            "Content-Type: multipart/mixed; boundary=\"XX\"\nMIME-Version: 1.0\n\n--XX\n",
            "MIME-Version: 1.0\ncontent-type: multipart/mixed; boundary=X\n\n--X--\n",
        ] {
            assert_eq!(check_user_data(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn user_data_errors_say_what_is_wrong() {
        let err = check_user_data("hostname: a\n").unwrap_err();
        assert!(
            err.contains("#cloud-config") && err.contains("\"hostname: a\""),
            "{err}"
        );
        let err = check_user_data("#cloud-config\nusers: [\n").unwrap_err();
        assert!(
            err.contains("not valid YAML") && err.contains("line"),
            "{err}"
        );
        let err = check_user_data("#cloud-config\n- a\n- b\n").unwrap_err();
        assert!(err.contains("a list"), "{err}");
        assert!(check_user_data("Content-Type: text/plain\n\nhi\n").is_err());
        assert!(check_user_data("").is_err());
    }

    #[test]
    fn yaml_mappings_and_empty_documents_pass() {
        assert_eq!(yaml_mapping("instance-id: a\nlocal-hostname: b\n"), Ok(()));
        assert_eq!(yaml_mapping(""), Ok(()));
        let err = yaml_mapping("version: 2\nethernets: {eth0: {dhcp4: true}\n").unwrap_err();
        assert!(err.contains("not valid YAML"), "{err}");
        assert!(yaml_mapping("just a string")
            .unwrap_err()
            .contains("a string"));
    }

    #[test]
    fn network_config_is_left_out_when_unset() {
        let with = nocloud_image("#cloud-config\n", "", Some("version: 2\n")).unwrap();
        let without = nocloud_image("#cloud-config\n", "", None).unwrap();
        let ucs2 = |s: &str| s.bytes().flat_map(|b| [0, b]).collect::<Vec<u8>>();
        let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(contains(&with, &ucs2("network-config")));
        assert!(!contains(&without, &ucs2("network-config")));
        assert!(contains(&without, &ucs2("user-data")));
    }
}
