//! Spin's identifier rules (`spin-serde` `id.rs`): kebab-case component IDs, snake_case variable names, kv labels.

/// Checks an ID made of words joined by `delim`: the first word starts with an ASCII letter, later ones
/// with a letter or digit, each all-lower or all-UPPER alphanumerics; `lower_only` forbids upper-case
/// words. Returns Spin's error text.
pub fn check_id(id: &str, delim: char, lower_only: bool) -> Result<(), String> {
    if id.is_empty() {
        return Err("empty".into());
    }
    let wrong = if delim == '-' { '_' } else { '-' };
    if id.contains(wrong) {
        return Err(format!("words must be separated with {delim:?}, not {wrong:?}"));
    }
    for (i, word) in id.split(delim).enumerate() {
        let mut chars = word.chars();
        let Some(first) = chars.next() else {
            return Err(format!("{delim:?}-separated words must not be empty"));
        };
        if !(first.is_ascii_alphabetic() || (i > 0 && first.is_ascii_digit())) {
            return Err(format!(
                "{delim:?}-separated words must start with an ASCII letter or digit; got {first:?}"
            ));
        }
        let upper = first.is_ascii_uppercase();
        for ch in chars {
            if ch.is_ascii_digit() {
                continue;
            }
            if !ch.is_ascii_alphanumeric() {
                return Err(format!(
                    "{delim:?}-separated words may only contain alphanumeric ASCII; got {ch:?}"
                ));
            }
            if ch.is_ascii_uppercase() != upper {
                return Err(format!(
                    "{delim:?}-separated words must be all lowercase or all UPPERCASE; got {word:?}"
                ));
            }
        }
        if lower_only && upper {
            return Err(format!("Lower-case identifiers must be all lowercase; got {id:?}"));
        }
    }
    Ok(())
}

/// Component and trigger IDs: kebab-case.
pub fn check_component_id(id: &str) -> Result<(), String> {
    check_id(id, '-', false)
}

/// Application variable names and component variable keys: lowercase snake_case.
pub fn check_variable_name(name: &str) -> Result<(), String> {
    check_id(name, '_', true)
}

/// The key a guest passes to `variables.get` (Spin `expressions` `Key::validate`), with Spin's reasons.
pub fn check_variable_key(key: &str) -> Result<(), String> {
    let reason = if key.is_empty() {
        "must not be empty".to_string()
    } else if let Some(c) = key.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
        format!("invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores.")
    } else if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        "must start with a lowercase ASCII letter".to_string()
    } else if !key.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        "must end with a lowercase ASCII letter or digit".to_string()
    } else if key.contains("__") {
        "must not contain multiple consecutive underscores".to_string()
    } else {
        return Ok(());
    };
    Err(format!("{key:?}: {reason}"))
}

/// Key-value store labels: kebab-case or snake_case.
pub fn check_kv_label(label: &str) -> Result<(), String> {
    if check_id(label, '-', false).is_ok() || check_id(label, '_', false).is_ok() {
        Ok(())
    } else {
        Err("expected kebab-case or snake_case".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_ids() {
        assert!(check_component_id("hello-world2").is_ok());
        assert!(check_component_id("HELLO-world").is_ok());
        assert_eq!(
            check_component_id("hello_world").unwrap_err(),
            "words must be separated with '-', not '_'"
        );
        assert_eq!(check_component_id("a--b").unwrap_err(), "'-'-separated words must not be empty");
        assert!(check_component_id("a-1b").is_ok(), "later words may start with a digit");
        assert_eq!(
            check_component_id("1a-b").unwrap_err(),
            "'-'-separated words must start with an ASCII letter or digit; got '1'"
        );
        assert_eq!(
            check_component_id("Hello").unwrap_err(),
            "'-'-separated words must be all lowercase or all UPPERCASE; got \"Hello\""
        );
        assert_eq!(
            check_component_id("a.b").unwrap_err(),
            "'-'-separated words may only contain alphanumeric ASCII; got '.'"
        );
        assert_eq!(check_component_id("").unwrap_err(), "empty");
    }

    #[test]
    fn variable_names() {
        assert!(check_variable_name("api_key2").is_ok());
        assert_eq!(
            check_variable_name("api-key").unwrap_err(),
            "words must be separated with '_', not '-'"
        );
        assert_eq!(
            check_variable_name("API_KEY").unwrap_err(),
            "Lower-case identifiers must be all lowercase; got \"API_KEY\""
        );
        assert_eq!(check_variable_name("a__b").unwrap_err(), "'_'-separated words must not be empty");
        assert_eq!(check_variable_name("a_").unwrap_err(), "'_'-separated words must not be empty");
    }

    #[test]
    fn guest_variable_keys() {
        assert!(check_variable_key("a_1_b_3").is_ok());
        for (key, reason) in [
            ("", "must not be empty"),
            ("aX", "invalid character 'X'"),
            ("1bc", "must start with a lowercase ASCII letter"),
            ("_x", "must start with a lowercase ASCII letter"),
            ("x_", "must end with a lowercase ASCII letter or digit"),
            ("a__b", "must not contain multiple consecutive underscores"),
            ("x-y", "invalid character '-'"),
        ] {
            let e = check_variable_key(key).unwrap_err();
            assert!(e.starts_with(&format!("{key:?}: {reason}")), "{key}: {e}");
        }
    }

    #[test]
    fn kv_labels() {
        assert!(check_kv_label("default").is_ok());
        assert!(check_kv_label("my-store").is_ok());
        assert!(check_kv_label("my_store").is_ok());
        assert_eq!(check_kv_label("my store").unwrap_err(), "expected kebab-case or snake_case");
        assert_eq!(check_kv_label("my-mixed_store").unwrap_err(), "expected kebab-case or snake_case");
    }
}
