//! Reading inputs and writing outputs: the edges of carecast. Readers turn
//! files into validated core types, adding file, row and key to every error;
//! writers never leave a half-written file.

pub mod builtin;
pub mod export;
pub mod model_file;
pub mod output;
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
    toml::from_str::<T>(text).map_err(|e| {
        let loc = e
            .span()
            .map(|s| {
                let line = text[..s.start].matches('\n').count() + 1;
                let col = s.start - text[..s.start].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                format!(" line {line}, column {col}")
            })
            .unwrap_or_default();
        crate::Error::invalid(format!("TOML{loc}"), e.message(), expected)
    })
}
