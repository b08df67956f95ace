//! POSIX shell quoting for paths placed in remote command lines.

/// Single-quotes `s` so any POSIX shell reads it back verbatim.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_spaces_and_single_quotes() {
        assert_eq!(quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
