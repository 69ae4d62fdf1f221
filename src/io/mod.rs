//! Reading inputs and writing outputs: the edges of carecast. Readers turn
//! files into validated core types, adding file, row and key to every error;
//! writers never leave a half-written file.

pub mod export;
pub mod model_file;
pub mod output;
pub mod sweep_file;
pub mod synthesis_file;
pub mod tables;
pub mod wpp;

pub use output::OutputSet;
pub use tables::{read_population, read_text_table, Format, TextTable};
