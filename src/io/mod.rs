//! Reading inputs and writing outputs: the edges of carecast. Readers turn
//! files into validated core types, adding file, row and key to every error;
//! writers never leave a half-written file.

pub mod wpp;
