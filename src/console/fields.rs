//! A console form as the browser sent it: name/value pairs in order, so that a name may repeat
//! (a checkbox per grant type), which `serde_urlencoded` cannot gather into a struct's list.

use crate::extract::PageForm;
use crate::ui::error::PageError;

pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The form, refused unless it carries this browser's CSRF token.
    pub fn checked(
        PageForm(pairs): PageForm<Vec<(String, String)>>,
        browser: &crate::ui::browser::Browser,
    ) -> Result<Self, PageError> {
        let fields = Self(pairs);
        if !browser.sent_its_form(Some(fields.one("csrf_token")).filter(|t| !t.is_empty())) {
            return Err(PageError::Forgery);
        }
        Ok(fields)
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// The first value sent under `name`, trimmed; empty when there is none.
    pub fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }

    /// Every value sent under `name`, trimmed, empty ones left out.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Whether a checkbox named `name` was ticked (sent at all).
    pub fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// A text field's value, `None` when left empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.one(name).to_owned()).filter(|v| !v.is_empty())
    }

    /// A textarea's non-empty lines, trimmed.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.one(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_blanks_and_lines() {
        let pairs = [
            ("grant", "a"),
            ("grant", " "),
            ("grant", "b "),
            ("uris", "x\r\n\r\n y \n"),
            ("box", ""),
        ];
        let fields = Fields::from_pairs(&pairs);
        assert_eq!(fields.all("grant").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(fields.one("grant"), "a");
        assert_eq!(fields.lines("uris"), ["x", "y"]);
        assert!(fields.ticked("box"));
        assert!(!fields.ticked("other"));
        assert_eq!(fields.optional("box"), None);
        assert_eq!(fields.one("missing"), "");
    }
}
