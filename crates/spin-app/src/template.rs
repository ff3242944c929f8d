//! `{{ variable }}` templates, as in component `variables` and `allowed_outbound_hosts` (Spin `expressions`).

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// A variable reference, whitespace trimmed.
    Variable(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`; an opening `{{` without a closing `}}` is Spin's `unmatched '{{' in template`.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or("unmatched '{{' in template")?;
            parts.push(Part::Variable(after[..close].trim().to_string()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Template { parts })
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The variables referenced, in order of appearance.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(v) => Some(v.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// True when the template has no variable references.
    pub fn is_literal(&self) -> bool {
        self.variables().next().is_none()
    }

    /// Substitutes each variable with `lookup(name)`; the first lookup error is returned.
    pub fn render<E>(&self, mut lookup: impl FnMut(&str) -> Result<String, E>) -> Result<String, E> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Variable(v) => out.push_str(&lookup(v)?),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_trims() {
        let t = Template::parse("https://{{ host }}:{{port}}/x").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["host", "port"]);
        let out: Result<_, ()> = t.render(|v| Ok(v.to_uppercase()));
        assert_eq!(out.unwrap(), "https://HOST:PORT/x");
        assert!(Template::parse("plain }} text").unwrap().is_literal());
    }

    #[test]
    fn unmatched_open() {
        assert_eq!(Template::parse("a {{ b").unwrap_err(), "unmatched '{{' in template");
    }

    #[test]
    fn render_error_propagates() {
        let t = Template::parse("{{ a }}").unwrap();
        assert_eq!(t.render(|v| Err(v.to_string())), Err("a".to_string()));
    }
}
