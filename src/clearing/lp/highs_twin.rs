//! The day's two solves on HiGHS, the second from the first's basis.
//!
//! The price model differs from the quantities' model only in right-hand sides (every
//! requirement and load lowered by `EPS`, see the module doc of `lp`). So the HiGHS instance
//! of the first solve is kept, those rows' bounds are changed, and it is run again: the simplex
//! starts from the optimal basis, which stays dual feasible (costs and matrix are unchanged),
//! and needs a few dual simplex steps at most where a cold solve runs presolve and the whole
//! simplex again. good_lp does not keep the instance, so the model is passed to HiGHS through
//! the `highs` crate, and the bounds changed through the C API (`Highs_changeRowsBoundsBySet`),
//! which that crate has no call for.

use good_lp::ResolutionError;
use highs::{HighsModelStatus, HighsSolutionStatus, RowProblem, SolvedModel};
use highs_sys::{Highs_changeRowsBoundsBySet, HighsInt};

use super::solve::Solved;
use super::{Model, Sense};

/// Solves `m`, then `twin` (the same model but for some rows' right-hand sides) from `m`'s
/// basis. Each: every variable's value and every row's dual.
pub(super) fn solve_twin(m: &Model, twin: &Model) -> Result<(Solved, Solved), String> {
    let mut problem = RowProblem::default();
    let cols: Vec<_> = m
        .vars
        .iter()
        .map(|v| problem.add_column(v.cost, v.lo..=v.hi))
        .collect();
    for row in &m.rows {
        let factors = row.terms.iter().map(|&(j, a)| (cols[j], a));
        let (lo, hi) = bounds(row.sense, row.rhs);
        problem.add_row(lo..=hi, factors);
    }
    let mut model = problem.try_optimise(highs::Sense::Minimise).map_err(|e| {
        failed(ResolutionError::Str(format!(
            "HiGHS error while building model: {e:?}"
        )))
    })?;
    // One thread, as good_lp's HiGHS model was set: the same vertex on any machine.
    model.try_set_option("threads", 1).map_err(|_| {
        failed(ResolutionError::Str(
            "HiGHS error while setting option threads".into(),
        ))
    })?;
    let solved = run(model)?;
    let first = read(&solved)?;

    // The rows whose right-hand side the twin changes, with their new bounds.
    let mut set: Vec<HighsInt> = Vec::new();
    let (mut lower, mut upper) = (Vec::new(), Vec::new());
    for (i, (row, shifted)) in m.rows.iter().zip(&twin.rows).enumerate() {
        debug_assert!(row.sense == shifted.sense && row.terms.len() == shifted.terms.len());
        if shifted.rhs != row.rhs {
            let (lo, hi) = bounds(shifted.sense, shifted.rhs);
            set.push(HighsInt::try_from(i).map_err(|e| e.to_string())?);
            lower.push(lo);
            upper.push(hi);
        }
    }
    let mut model = highs::Model::from(solved);
    let len = HighsInt::try_from(set.len()).map_err(|e| e.to_string())?;
    // SAFETY: the pointer is the live HiGHS instance `model` owns; the three arrays hold `len`
    // entries each and outlive the call, which copies them.
    let status = unsafe {
        Highs_changeRowsBoundsBySet(
            model.as_mut_ptr(),
            len,
            set.as_ptr(),
            lower.as_ptr(),
            upper.as_ptr(),
        )
    };
    if status < 0 {
        return Err(failed(ResolutionError::Str(
            "HiGHS error while changing the price solve's right-hand sides".into(),
        )));
    }
    let second = read(&run(model)?)?;
    Ok((first, second))
}

/// A row's bounds in HiGHS's lower ≤ Σ a x ≤ upper form.
fn bounds(sense: Sense, rhs: f64) -> (f64, f64) {
    match sense {
        Sense::Le => (f64::NEG_INFINITY, rhs),
        Sense::Ge => (rhs, f64::INFINITY),
        Sense::Eq => (rhs, rhs),
    }
}

fn failed(e: ResolutionError) -> String {
    format!("the LP solver failed: {e}")
}

fn run(model: highs::Model) -> Result<SolvedModel, String> {
    model.try_solve().map_err(|e| {
        failed(ResolutionError::Str(format!(
            "HiGHS error while solving model: {e:?}"
        )))
    })
}

/// The solution, or the error good_lp gives for the status (the same messages as before the
/// model was passed to HiGHS directly).
fn read(solved: &SolvedModel) -> Result<Solved, String> {
    let error = match solved.status() {
        HighsModelStatus::Optimal
        | HighsModelStatus::ObjectiveBound
        | HighsModelStatus::ObjectiveTarget => None,
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            Some(ResolutionError::Infeasible)
        }
        HighsModelStatus::Unbounded => Some(ResolutionError::Unbounded),
        status => Some(ResolutionError::Str(format!("{status:?}"))),
    };
    if let Some(e) = error {
        return Err(failed(e));
    }
    if solved.primal_solution_status() != HighsSolutionStatus::Feasible {
        return Err(failed(ResolutionError::Other("NoSolutionFound")));
    }
    let solution = solved.get_solution();
    Ok((solution.columns().to_vec(), solution.dual_rows().to_vec()))
}
