//! # carecast
//!
//! Cohort-component population projections turned into the services a region
//! must provide: elderly-care beds, care workers and nursery places.
//!
//! The core is pure functions on [`ndarray`] arrays, with no I/O:
//!
//! * [`AgeGrid`]: the ages every array is indexed by (1- or 5-year groups and
//!   an open group);
//! * [`Population`]: counts by [`Sex`] and age;
//! * [`LifeTable`] and [`SurvivalRatios`]: mortality;
//! * [`Mortality`], [`Fertility`], [`Migration`]: the assumptions of a
//!   scenario, combined in [`Assumptions`];
//! * [`project`]: the cohort-component projection, one [`project_step`] at a
//!   time, giving a [`Projection`];
//! * [`indicators()`]: named indicators ([`Indicator`]) of a projection;
//! * [`graduation`] and [`base_synthesis`]: from the data a bureau has to
//!   the single-year base a projection needs;
//! * [`Service`]s with typed standards ([`Rate`]) and [`DemandMethod`]s,
//!   planned [`Supply`], and [`gap`]s between them.
//!
//! Reading and writing files lives in [`io`]; the `carecast` binary is a thin
//! layer over [`cli`].
//!
//! ```
//! use carecast::{AgeGrid, Population, SurvivalRatios, StepRates, project_step};
//! use ndarray::{Array1, Array2};
//!
//! let grid = AgeGrid::five_year();
//! let base = Population::new(grid, Array2::from_elem((2, grid.len()), 1000.0)).unwrap();
//! let rates = StepRates {
//!     survival: [SurvivalRatios::immortal(grid), SurvivalRatios::immortal(grid)],
//!     asfr: Array1::zeros(grid.len()),
//!     srb: 1.05,
//!     migration: Array2::zeros((2, grid.len())),
//!     e0: [f64::NAN; 2],
//!     tfr: 0.0,
//! };
//! let (next, flows) = project_step(&base, &rates).unwrap();
//! // Nobody dies or is born: everyone is five years older, group 0 is empty.
//! assert_eq!(next.total(), base.total());
//! assert_eq!(next.counts()[[0, 0]], 0.0);
//! assert_eq!(flows.births, [0.0, 0.0]);
//! ```

#![warn(missing_docs)]

pub mod age_grid;
pub mod base_synthesis;
#[cfg(feature = "cli")]
pub mod cli;
pub mod ensemble;
pub mod error;
pub mod fertility;
pub mod gap;
pub mod graduation;
pub mod indicators;
pub mod io;
pub mod life_table;
pub mod migration;
pub mod model;
pub mod mortality;
pub mod path;
pub mod plan;
pub mod population;
pub mod projection;
pub mod regions;
#[cfg(feature = "report")]
pub mod report;
pub mod standards;
pub mod sweep;
pub mod wpp;

pub use age_grid::{AgeGrid, AgeRange};
pub use ensemble::{
    Calibration, EnsembleRequest, EnsembleSpec, EnsembleSummary, FirstShortfall, GapRisk,
    MigrationNoise, MortalityNoise, PeriodBounds, Stochastic, TfrNoise,
};
pub use error::{Error, Result};
pub use fertility::Fertility;
pub use gap::{demand_forms, DemandForm, TableFactor};
pub use indicators::{indicators, Indicator, IndicatorValue};
pub use life_table::{LifeTable, SurvivalRatios};
pub use migration::{Migration, RogersCastro};
pub use model::{Model, Scenario, StatedFigure};
pub use mortality::Mortality;
pub use path::{PeriodSeries, Schedule, YearPath};
pub use plan::{Interpolation, Supply};
pub use population::{Population, Sex};
pub use projection::{project, project_step, Assumptions, Projection, StepFlows, StepRates};
pub use standards::{Demand, DemandMethod, FactorInterval, LinearDemand, Rate, Service};
