//! Translation of XSD regular expressions (as written in RelaxNG `pattern` params) to the
//! syntax of Rust's `regex` crate. XSD patterns always match the whole value; the translated
//! form is unanchored and [`anchored`] adds the anchors.

/// XML name characters, approximated to ASCII (libvirt's patterns use `\i`/`\c` rarely, if ever).
const NAME_START_CHARS: &str = "A-Za-z_:";
const NAME_CHARS: &str = "A-Za-z0-9_:.\\-";

/// Rewrites `xsd` so Rust's `regex` reads it with XSD's meaning: `^` and `$` are literals
/// outside classes, `&` and `~` are literals inside them, and `\i`/`\c` become classes.
pub fn translate(xsd: &str) -> String {
    let mut out = String::with_capacity(xsd.len() + 8);
    let mut in_class = false;
    let mut chars = xsd.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    out.push_str("\\\\");
                    break;
                };
                out.push_str(&escape_sequence(escaped, in_class));
            }
            '[' if in_class => out.push_str("\\["),
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && chars.peek() == Some(&'-') => out.push_str("\\-"),
            '^' | '$' if !in_class => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn escape_sequence(escaped: char, in_class: bool) -> String {
    let class = |body: &str, negated: bool| -> String {
        match (in_class, negated) {
            (true, false) => body.to_string(),
            (false, false) => format!("[{body}]"),
            (_, true) => format!("[^{body}]"),
        }
    };
    match escaped {
        'i' => class(NAME_START_CHARS, false),
        'I' => class(NAME_START_CHARS, true),
        'c' => class(NAME_CHARS, false),
        'C' => class(NAME_CHARS, true),
        other => format!("\\{other}"),
    }
}

/// The translated pattern anchored to match a whole value.
pub fn anchored(translated: &str) -> String {
    format!("^(?:{translated})$")
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn whole(xsd: &str) -> Regex {
        Regex::new(&anchored(&translate(xsd))).expect("translated pattern compiles")
    }

    #[test]
    fn dollar_and_caret_are_literals_outside_classes() {
        let re = whole(r"$[ ]*[a-z]+\^1");
        assert!(re.is_match("$ abc^1"));
        assert!(!re.is_match("abc^1"));
    }

    #[test]
    fn ampersand_and_tilde_are_literals_inside_classes() {
        let re = whole(r"[!#$%&'*+\-.0-9A-Z\^_`a-z|~]+");
        assert!(re.is_match("a&b~c^-"));
        assert!(!re.is_match("a b"));
    }

    #[test]
    fn negated_class_and_name_escapes() {
        assert!(whole(r"[^/]+").is_match("abc"));
        assert!(!whole(r"[^/]+").is_match("a/c"));
        assert!(whole(r"\i\c*").is_match("_a.b-1"));
        assert!(!whole(r"\i\c*").is_match("1ab"));
    }

    #[test]
    fn whole_value_is_matched() {
        assert!(!whole("[0-9]+").is_match("12a"));
        assert!(whole("(ipv4)|(ipv6)").is_match("ipv6"));
        assert!(!whole("(ipv4)|(ipv6)").is_match("ipv4ipv6"));
    }
}
