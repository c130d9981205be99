//! The fused optimiser steps for Python: `sgd_step` and `adam_step` take one list per
//! kind of array (parameters, gradients, state), one entry per parameter, and the
//! hyperparameters, and update every array in place with the GIL released. All arrays
//! are C-contiguous, of params[0]'s dtype (float32 or float64) and of their parameter's
//! shape; anything else is a TypeError or ValueError naming the list and the entry.
//! Arrays that share memory (or that numpy will not lend for writing) are not
//! updated: the call then changes nothing and returns False, and the caller takes its
//! per-parameter path.

use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::convert::{finite, guarded, unsigned};
use crate::optim::{self, Adam, AdamSlot, Real, Sgd, SgdSlot};

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

/// `obj` as a list of `n` objects (`n` None: any length).
fn entries<'py>(obj: &Bound<'py, PyAny>, name: &str, n: Option<usize>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let items: Vec<Bound<'py, PyAny>> = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a list, got {}", type_name(obj))))?;
    if let Some(n) = n.filter(|&n| n != items.len()) {
        return Err(PyValueError::new_err(format!(
            "{name} must have one entry per parameter ({n}), got {} entries",
            items.len()
        )));
    }
    Ok(items)
}

/// An optional list, needed (with `n` entries) when `needed`.
fn needed<'py>(
    obj: Option<&Bound<'py, PyAny>>,
    name: &str,
    n: usize,
    needed: bool,
    why: &str,
) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
    match obj.filter(|o| !o.is_none()) {
        Some(o) if needed => entries(o, name, Some(n)).map(Some),
        None if needed => Err(PyValueError::new_err(format!("{name} must be a list {why}, got None"))),
        _ => Ok(None),
    }
}

fn flag(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    obj.extract::<bool>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a bool, got {}", type_name(obj))))
}

/// The arrays of one step: their memory ranges, to refuse overlaps.
#[derive(Default)]
struct Ranges(Vec<(usize, usize, bool)>);

impl Ranges {
    fn add<T>(&mut self, a: &Bound<'_, PyArrayDyn<T>>, written: bool)
    where
        T: numpy::Element,
    {
        let start = a.data() as usize;
        let bytes = a.len() * std::mem::size_of::<T>();
        if bytes > 0 {
            self.0.push((start, start + bytes, written));
        }
    }

    /// Whether some written array shares a byte with any other array.
    fn overlap(mut self) -> bool {
        self.0.sort_unstable();
        let (mut end, mut written_end) = (0, 0);
        for (start, stop, written) in self.0 {
            if start < written_end || (written && start < end) {
                return true;
            }
            end = end.max(stop);
            if written {
                written_end = written_end.max(stop);
            }
        }
        false
    }
}

/// Entry i of list `name` as a C-contiguous, aligned array of T with params[i]'s shape.
fn typed<'py, T: numpy::Element>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    i: usize,
    shape: Option<&[usize]>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let arr = obj.cast::<PyArrayDyn<T>>().map_err(|_| {
        let want = numpy::dtype::<T>(obj.py());
        let got = match obj.cast::<PyUntypedArray>() {
            Ok(u) => format!("a {} array", u.dtype()),
            Err(_) => type_name(obj),
        };
        let which = if shape.is_some() { "params[0]'s dtype, " } else { "" };
        PyTypeError::new_err(format!(
            "{name}[{i}] must be an array of {which}float32 or float64: {want}, got {got}"
        ))
    })?;
    if let Some(shape) = shape.filter(|&s| s != arr.shape()) {
        return Err(PyValueError::new_err(format!(
            "{name}[{i}] has shape {:?}, but params[{i}] has shape {shape:?}",
            arr.shape()
        )));
    }
    let aligned = (arr.data() as usize).is_multiple_of(std::mem::align_of::<T>());
    if !arr.is_c_contiguous() || !aligned {
        return Err(PyValueError::new_err(format!(
            "{name}[{i}] must be a C-contiguous, aligned array, got one of shape {:?} and strides {:?}",
            arr.shape(),
            arr.strides()
        )));
    }
    Ok(arr.clone())
}

/// `params` as arrays of T (params[0]'s dtype), their ranges written.
fn typed_params<'py, T: numpy::Element>(
    params: &[Bound<'py, PyAny>],
    ranges: &mut Ranges,
) -> PyResult<Vec<Bound<'py, PyArrayDyn<T>>>> {
    let ps = params
        .iter()
        .enumerate()
        .map(|(i, p)| typed::<T>(p, "params", i, None))
        .collect::<PyResult<Vec<_>>>()?;
    ps.iter().for_each(|p| ranges.add(p, true));
    Ok(ps)
}

/// List `name` as arrays of T shaped as `params`; `written`: the step writes them.
fn typed_list<'py, T: numpy::Element>(
    name: &str,
    list: &[Bound<'py, PyAny>],
    params: &[Bound<'py, PyArrayDyn<T>>],
    written: bool,
    ranges: &mut Ranges,
) -> PyResult<Vec<Bound<'py, PyArrayDyn<T>>>> {
    let mut arrs = Vec::with_capacity(list.len());
    for (i, obj) in list.iter().enumerate() {
        let a = typed::<T>(obj, name, i, Some(params[i].shape()))?;
        ranges.add(&a, written);
        arrs.push(a);
    }
    Ok(arrs)
}

/// Borrow every array (None: numpy refused one, as for a read-only array).
macro_rules! borrow_all {
    ($list:expr, $how:ident) => {
        match $list.iter().map(|a| a.$how()).collect::<Result<Vec<_>, _>>() {
            Ok(v) => v,
            Err(_) => return Ok(false),
        }
    };
}

/// Slices of the borrowed arrays (contiguity was checked).
fn slices_mut<'a, T: numpy::Element>(xs: &'a mut [numpy::PyReadwriteArrayDyn<'_, T>]) -> Vec<&'a mut [T]> {
    xs.iter_mut().map(|x| x.as_slice_mut().expect("checked C-contiguous")).collect()
}

fn is_f32(obj: &Bound<'_, PyAny>) -> bool {
    obj.cast::<PyArrayDyn<f32>>().is_ok()
}

/// One SGD step over `params` with `grads` (and, when momentum ≠ 0, the momentum
/// `buffers` and `fresh`: which buffers are new and start as the gradient). Returns
/// False, having changed nothing, when arrays share memory.
#[pyfunction]
#[pyo3(signature = (params, grads, buffers, fresh, *, lr, momentum, dampening, weight_decay, nesterov))]
#[allow(clippy::too_many_arguments)]
pub fn sgd_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    buffers: Option<&Bound<'_, PyAny>>,
    fresh: Option<&Bound<'_, PyAny>>,
    lr: &Bound<'_, PyAny>,
    momentum: &Bound<'_, PyAny>,
    dampening: &Bound<'_, PyAny>,
    weight_decay: &Bound<'_, PyAny>,
    nesterov: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    guarded(|| {
        let h = Sgd {
            lr: finite(lr, "lr")?,
            momentum: finite(momentum, "momentum")?,
            dampening: finite(dampening, "dampening")?,
            weight_decay: finite(weight_decay, "weight_decay")?,
            nesterov: flag(nesterov, "nesterov")?,
        };
        let params = entries(params, "params", None)?;
        let n = params.len();
        let grads = entries(grads, "grads", Some(n))?;
        let with_momentum = h.momentum != 0.0;
        let buffers = needed(buffers, "buffers", n, with_momentum, "when momentum != 0")?.unwrap_or_default();
        let fresh = needed(fresh, "fresh", n, with_momentum, "when momentum != 0")?.unwrap_or_default();
        let fresh = fresh
            .iter()
            .enumerate()
            .map(|(i, f)| flag(f, &format!("fresh[{i}]")))
            .collect::<PyResult<Vec<_>>>()?;
        fn run<T: Real + numpy::Element>(
            py: Python<'_>,
            h: Sgd,
            lists: [&[Bound<'_, PyAny>]; 3],
            fresh: &[bool],
        ) -> PyResult<bool> {
            let mut ranges = Ranges::default();
            let ps = typed_params::<T>(lists[0], &mut ranges)?;
            let gs = typed_list("grads", lists[1], &ps, false, &mut ranges)?;
            let bs = typed_list("buffers", lists[2], &ps, true, &mut ranges)?;
            if ranges.overlap() {
                return Ok(false);
            }
            let mut ps = borrow_all!(ps, try_readwrite);
            let gs = borrow_all!(gs, try_readonly);
            let mut bs = borrow_all!(bs, try_readwrite);
            let mut bufs = slices_mut(&mut bs).into_iter();
            let slots = slices_mut(&mut ps)
                .into_iter()
                .zip(&gs)
                .enumerate()
                .map(|(i, (param, g))| SgdSlot {
                    param,
                    grad: g.as_slice().expect("checked C-contiguous"),
                    buffer: bufs.next(),
                    fresh: fresh.get(i).copied().unwrap_or(false),
                })
                .collect();
            py.detach(|| optim::sgd_step(&h, slots))?;
            Ok(true)
        }
        let lists = [&params[..], &grads[..], &buffers[..]];
        match params.first() {
            None => Ok(true),
            Some(p) if is_f32(p) => run::<f32>(py, h, lists, &fresh),
            Some(_) => run::<f64>(py, h, lists, &fresh),
        }
    })
}

/// One Adam step (AdamW's with `decoupled`) over `params` with `grads`, the moments
/// `exp_avgs` and `exp_avg_sqs`, with amsgrad `max_exp_avg_sqs`, and each parameter's
/// step count after this step in `steps`. Returns False, having changed nothing, when
/// arrays share memory.
#[pyfunction]
#[pyo3(signature = (
    params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, *,
    lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled
))]
#[allow(clippy::too_many_arguments)]
pub fn adam_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    exp_avgs: &Bound<'_, PyAny>,
    exp_avg_sqs: &Bound<'_, PyAny>,
    max_exp_avg_sqs: Option<&Bound<'_, PyAny>>,
    steps: &Bound<'_, PyAny>,
    lr: &Bound<'_, PyAny>,
    beta1: &Bound<'_, PyAny>,
    beta2: &Bound<'_, PyAny>,
    eps: &Bound<'_, PyAny>,
    weight_decay: &Bound<'_, PyAny>,
    amsgrad: &Bound<'_, PyAny>,
    decoupled: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    guarded(|| {
        let h = Adam {
            lr: finite(lr, "lr")?,
            beta1: finite(beta1, "beta1")?,
            beta2: finite(beta2, "beta2")?,
            eps: finite(eps, "eps")?,
            weight_decay: finite(weight_decay, "weight_decay")?,
            amsgrad: flag(amsgrad, "amsgrad")?,
            decoupled: flag(decoupled, "decoupled")?,
        };
        let params = entries(params, "params", None)?;
        let n = params.len();
        let grads = entries(grads, "grads", Some(n))?;
        let ms = entries(exp_avgs, "exp_avgs", Some(n))?;
        let vs = entries(exp_avg_sqs, "exp_avg_sqs", Some(n))?;
        let vmaxes =
            needed(max_exp_avg_sqs, "max_exp_avg_sqs", n, h.amsgrad, "with amsgrad")?.unwrap_or_default();
        let steps = entries(steps, "steps", Some(n))?
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let name = format!("steps[{i}]");
                match unsigned(s, &name)? {
                    0 => Err(PyValueError::new_err(format!("{name} must be a step count >= 1, got 0"))),
                    t => Ok(t),
                }
            })
            .collect::<PyResult<Vec<u64>>>()?;
        fn run<T: Real + numpy::Element>(
            py: Python<'_>,
            h: Adam,
            lists: [&[Bound<'_, PyAny>]; 5],
            steps: &[u64],
        ) -> PyResult<bool> {
            let mut ranges = Ranges::default();
            let ps = typed_params::<T>(lists[0], &mut ranges)?;
            let gs = typed_list("grads", lists[1], &ps, false, &mut ranges)?;
            let ms = typed_list("exp_avgs", lists[2], &ps, true, &mut ranges)?;
            let vs = typed_list("exp_avg_sqs", lists[3], &ps, true, &mut ranges)?;
            let xs = typed_list("max_exp_avg_sqs", lists[4], &ps, true, &mut ranges)?;
            if ranges.overlap() {
                return Ok(false);
            }
            let mut ps = borrow_all!(ps, try_readwrite);
            let gs = borrow_all!(gs, try_readonly);
            let mut ms = borrow_all!(ms, try_readwrite);
            let mut vs = borrow_all!(vs, try_readwrite);
            let mut xs = borrow_all!(xs, try_readwrite);
            let mut vmaxes = slices_mut(&mut xs).into_iter();
            let slots = slices_mut(&mut ps)
                .into_iter()
                .zip(&gs)
                .zip(slices_mut(&mut ms).into_iter().zip(slices_mut(&mut vs)))
                .zip(steps)
                .map(|(((param, g), (exp_avg, exp_avg_sq)), &step)| AdamSlot {
                    param,
                    grad: g.as_slice().expect("checked C-contiguous"),
                    exp_avg,
                    exp_avg_sq,
                    max_exp_avg_sq: vmaxes.next(),
                    step,
                })
                .collect();
            py.detach(|| optim::adam_step(&h, slots))?;
            Ok(true)
        }
        let lists = [&params[..], &grads[..], &ms[..], &vs[..], &vmaxes[..]];
        match params.first() {
            None => Ok(true),
            Some(p) if is_f32(p) => run::<f32>(py, h, lists, &steps),
            Some(_) => run::<f64>(py, h, lists, &steps),
        }
    })
}
