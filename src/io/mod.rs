//! Reading inputs and writing outputs: the edges of carecast. Readers turn
//! files into validated core types, adding file, row and key to every error;
//! writers never leave a half-written file.

pub mod builtin;
pub mod export;
pub mod model_file;
pub mod output;
pub mod plan_workbook;
pub mod sheet;
pub mod sweep_file;
pub mod sweep_progress;
pub mod synthesis_file;
pub mod tables;
pub mod text_file;
pub mod workbook;
pub mod wpp;

pub use output::OutputSet;
pub use tables::{read_population, read_text_table, Format, Table, TextTable};

/// Parses TOML `text` into `T`. A syntax or schema error names the line
/// and column where it was found (every TOML reader of carecast reports it
/// the same way) and says what was `expected`; add the file name with
/// [`crate::Error::context`].
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str, expected: &str) -> crate::Result<T> {
    toml::from_str::<T>(text).map_err(|e| toml_error(text, &e, expected))
}

/// A TOML error as carecast reports it: `TOML line L, column C: message`
/// and what was `expected`.
pub fn toml_error(text: &str, e: &toml::de::Error, expected: &str) -> crate::Error {
    let loc = e
        .span()
        .map(|s| {
            let start = s.start.min(text.len());
            let line = text[..start].matches('\n').count() + 1;
            let col = start - text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            format!(" line {line}, column {col}")
        })
        .unwrap_or_default();
    crate::Error::invalid(format!("TOML{loc}"), e.message(), expected)
}

/// Checks a top-level TOML section given its key: its errors, or `None`
/// for a key the schema does not have.
pub type SectionCheck =
    dyn Fn(&str, toml::Spanned<toml::de::DeValue<'_>>) -> Option<Vec<toml::de::Error>>;

/// Every TOML-level problem of a document rather than the first: all
/// syntax errors the parser recovers from; else each top-level section
/// (and each table of an array of tables) checked on its own against the
/// schema `check` gives for its key (`None`: an unknown key), and the
/// `required` sections that are missing. Errors name line and column.
pub fn toml_problems(
    text: &str,
    expected: &str,
    check: &SectionCheck,
    known: &[&str],
    required: &[&str],
) -> Vec<crate::Error> {
    let (root, errors) = toml::de::DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return errors
            .iter()
            .map(|e| toml_error(text, e, expected))
            .collect();
    }
    let mut problems = Vec::new();
    let mut present = Vec::new();
    for (key, value) in root.into_inner() {
        let name = key.get_ref().to_string();
        let span = key.span();
        match check(&name, value) {
            Some(errors) => problems.extend(errors.iter().map(|e| toml_error(text, e, expected))),
            None => {
                let start = span.start.min(text.len());
                let line = text[..start].matches('\n').count() + 1;
                problems.push(crate::Error::invalid(
                    format!("TOML line {line}"),
                    format!("unknown section or key {name:?}"),
                    format!("one of {}", known.join(", ")),
                ));
            }
        }
        present.push(name);
    }
    for r in required {
        if !present.iter().any(|p| p == r) {
            problems.push(crate::Error::invalid(
                "TOML",
                format!("no [{r}] section"),
                format!("a [{r}] section ({expected})"),
            ));
        }
    }
    problems
}

/// Checks one TOML value against `T` (for [`toml_problems`]).
pub fn toml_check<T: serde::de::DeserializeOwned>(
    value: toml::Spanned<toml::de::DeValue<'_>>,
) -> Vec<toml::de::Error> {
    match T::deserialize(toml::de::ValueDeserializer::from(value)) {
        Ok(_) => Vec::new(),
        Err(e) => vec![e],
    }
}

/// Checks each table of an array of tables against `T` (for
/// [`toml_problems`]); a value that is not an array is checked as `Vec<T>`.
pub fn toml_check_each<T: serde::de::DeserializeOwned>(
    value: toml::Spanned<toml::de::DeValue<'_>>,
) -> Vec<toml::de::Error> {
    let span = value.span();
    match value.into_inner() {
        toml::de::DeValue::Array(items) => items.into_iter().flat_map(toml_check::<T>).collect(),
        other => toml_check::<Vec<T>>(toml::Spanned::new(span, other)),
    }
}
