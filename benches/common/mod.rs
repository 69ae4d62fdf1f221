//! What the benches share: China (WPP 2019, single years, 2020) split into
//! equal regions with a ring of internal flows.

use carecast::regions::{FlowSize, InternalFlow};
use carecast::{AgeGrid, Assumptions, Population};

/// China's base and medium-variant assumptions on single years, and
/// `count` equal parts of the base with a ring of flows (0.2% of each part
/// a year to the next, Rogers-Castro by age, half men; none for one part).
pub fn china_in_parts(count: usize) -> (Population, Assumptions, Population, Vec<InternalFlow>) {
    let wpp = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/wpp2019");
    let inputs =
        carecast::io::wpp::read_country(&wpp, 156, 2020).expect("WPP 2019 data in ../shared");
    let grid = AgeGrid::single_years();
    let base = inputs.base(grid).unwrap();
    let assumptions = inputs.assumptions(grid).unwrap();
    let by_age = carecast::migration::RogersCastro::default()
        .shares_on(grid)
        .unwrap();
    let mut shares = ndarray::Array2::zeros((2, grid.len()));
    shares.row_mut(0).assign(&(&by_age * 0.5));
    shares.row_mut(1).assign(&(&by_age * 0.5));
    let part = Population::new(grid, base.counts() / count as f64).unwrap();
    let flows = (0..count)
        .filter(|_| count > 1)
        .map(|i| InternalFlow {
            from: i,
            to: (i + 1) % count,
            size: FlowSize::Rate(carecast::path::Schedule::Path(
                carecast::path::YearPath::constant(0.002),
            )),
            shares: shares.clone(),
        })
        .collect();
    (base, assumptions, part, flows)
}
