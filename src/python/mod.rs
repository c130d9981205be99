//! `lucid._C`: thin wrappers over the core. They convert arguments, release the GIL
//! around every kernel (and every rayon call) and map errors; no logic lives here.

use pyo3::prelude::*;

mod activation;
mod convert;
mod dropout;
mod errors;
mod floor;
mod generator;
mod pool;
mod storage;

#[pymodule(name = "_C")]
fn lucid_c(m: &Bound<'_, PyModule>) -> PyResult<()> {
    crate::fork::register();
    m.add_class::<storage::PyStorage>()?;
    m.add_class::<generator::PyGenerator>()?;
    m.add_class::<dropout::PyMask>()?;
    m.add_function(wrap_pyfunction!(storage::memory_allocated, m)?)?;
    m.add_function(wrap_pyfunction!(storage::memory_cached, m)?)?;
    m.add_function(wrap_pyfunction!(storage::empty_cache, m)?)?;
    m.add_function(wrap_pyfunction!(floor::parallel_copy, m)?)?;
    m.add_function(wrap_pyfunction!(dropout::dropout_coefficients, m)?)?;
    m.add_function(wrap_pyfunction!(dropout::dropout_forward, m)?)?;
    m.add_function(wrap_pyfunction!(dropout::dropout_backward, m)?)?;
    m.add_function(wrap_pyfunction!(dropout::dropout_mask, m)?)?;
    m.add_function(wrap_pyfunction!(dropout::dropout_rows_forward, m)?)?;
    m.add_function(wrap_pyfunction!(dropout::dropout_rows_backward, m)?)?;
    m.add_function(wrap_pyfunction!(pool::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(pool::get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(pool::_panic_in_pool, m)?)?;
    m.add_function(wrap_pyfunction!(activation::gelu, m)?)?;
    m.add_function(wrap_pyfunction!(activation::gelu_backward, m)?)?;
    m.add_function(wrap_pyfunction!(activation::elu, m)?)?;
    m.add_function(wrap_pyfunction!(activation::elu_backward, m)?)?;
    m.add("LAMBDA", crate::dropout::alpha::LAMBDA)?;
    m.add("ALPHA", crate::dropout::alpha::ALPHA)?;
    m.add("ALPHA_PRIME", crate::dropout::alpha::ALPHA_PRIME)?;
    m.add("DEFAULT_CHUNK", crate::par::DEFAULT_CHUNK)?;
    Ok(())
}
