//! Kubernetes name rules (apimachinery's validation), with its error wording.

const NAME_MAX: usize = 63;
const SUBDOMAIN_MAX: usize = 253;

/// A label (or taint) key: `[prefix/]name`, prefix a DNS subdomain, name a qualified name part.
pub fn validate_label_key(k: &str) -> Result<(), String> {
    let (prefix, name) = match k.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, k),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err(format!("{k:?}: prefix part must be non-empty"));
        }
        validate_dns_subdomain(prefix).map_err(|e| format!("{k:?}: prefix part {e}"))?;
    }
    if name.is_empty() {
        return Err(format!("{k:?}: name part must be non-empty"));
    }
    if name.len() > NAME_MAX {
        return Err(format!(
            "{k:?}: name part must be no more than {NAME_MAX} characters"
        ));
    }
    if !is_qualified_name_part(name) {
        return Err(format!(
            "{k:?}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', '123-abc')"
        ));
    }
    Ok(())
}

/// A label (or taint) value: empty, or up to 63 characters of the qualified-name alphabet.
pub fn validate_label_value(v: &str) -> Result<(), String> {
    if v.len() > NAME_MAX {
        return Err(format!("{v:?}: must be no more than {NAME_MAX} characters"));
    }
    if !v.is_empty() && !is_qualified_name_part(v) {
        return Err(format!(
            "{v:?}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value', '12345')"
        ));
    }
    Ok(())
}

/// RFC 1123 subdomain: lowercase alphanumerics, '-' and '.', alphanumeric at both ends of each label.
pub fn validate_dns_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > SUBDOMAIN_MAX {
        return Err(format!("must be 1 to {SUBDOMAIN_MAX} characters"));
    }
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= NAME_MAX
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
    };
    if s.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be a lowercase RFC 1123 subdomain: lowercase alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com')"
        ))
    }
}

fn is_qualified_name_part(s: &str) -> bool {
    let bytes = s.as_bytes();
    let inner_ok = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    !bytes.is_empty()
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes.iter().all(inner_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys() {
        for ok in [
            "app",
            "app.kubernetes.io/name",
            "node-role.kubernetes.io/worker",
            "A_b.c-1",
        ] {
            validate_label_key(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for (bad, why) in [
            ("", "name part must be non-empty"),
            ("/x", "prefix part must be non-empty"),
            ("Example.com/x", "prefix part"),
            ("x/", "name part must be non-empty"),
            ("-x", "must start and end with an alphanumeric"),
            ("a b", "must consist of alphanumeric"),
        ] {
            let err = validate_label_key(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert!(validate_label_key(&"a".repeat(64))
            .unwrap_err()
            .contains("no more than 63"));
    }

    #[test]
    fn label_values() {
        for ok in ["", "v1", "my_value.x-2"] {
            validate_label_value(ok).unwrap();
        }
        assert!(validate_label_value("a/b").is_err());
        assert!(validate_label_value("x-").is_err());
        assert!(validate_label_value(&"a".repeat(64)).is_err());
    }
}
