//! carecast's integration tests, one binary: a module per feature, the
//! shared helpers in `common`. Tests that run the `carecast` binary go
//! through `common::carecast`; data from `../shared/data` is read in place.

mod common;

mod bad_input;
mod base_synthesis;
mod cli;
mod engine;
mod ensemble;
mod excel_inputs;
mod model_inputs;
mod plan_workbook;
mod preston;
mod readers_never_panic;
mod regions;
mod report;
mod risk;
mod services;
mod sweep;
mod wpp_validation;
