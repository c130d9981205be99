//! `lucid._C`: thin wrappers over the core, one file per core module, with the shared
//! conversions and the error mapping in `convert.rs`. They convert arguments, release
//! the GIL around every kernel (and every rayon call) and map errors; no logic lives
//! here. This module is the registry: everything `lucid._C` exports is listed below.

mod activation;
mod convert;
mod dropout;
mod mask;
mod matmul;
mod optim;
mod par;
mod rng;
mod simd;
mod storage;

#[pyo3::pymodule]
#[pyo3(name = "_C")]
mod lucid_c {
    #[pymodule_export]
    use super::activation::{activation_backward, activation_forward};
    #[pymodule_export]
    use super::dropout::{
        check_p, dropout_apply, dropout_backward, dropout_coefficients, dropout_forward, dropout_mask,
        dropout_rows_backward, dropout_rows_forward, selu_alpha_dropout_backward, selu_alpha_dropout_forward,
        selu_alpha_dropout_rows_backward, selu_alpha_dropout_rows_forward,
    };
    #[pymodule_export]
    use super::mask::PyMask;
    #[pymodule_export]
    use super::matmul::matmul;
    #[pymodule_export]
    use super::optim::{adam_step, sgd_step};
    #[pymodule_export]
    use super::par::{_panic_in_pool, get_num_threads, parallel_copy, set_num_threads};
    #[pymodule_export]
    use super::rng::PyGenerator;
    #[pymodule_export]
    use super::simd::{get_simd, set_simd};
    #[pymodule_export]
    use super::storage::{
        empty_cache, is_storage_view, is_tensor_values, memory_allocated, memory_cached, storage_array,
        PyStorage,
    };

    #[pymodule_export]
    const SELU_ALPHA: f64 = crate::activation::SELU_ALPHA;
    #[pymodule_export]
    const SELU_SCALE: f64 = crate::activation::SELU_SCALE;
    #[pymodule_export]
    const ALPHA_PRIME: f64 = crate::dropout::ALPHA_PRIME;
    #[pymodule_export]
    const DEFAULT_CHUNK: usize = crate::par::DEFAULT_CHUNK;

    /// The fork handlers (`crate::fork`), installed when `lucid._C` is imported.
    #[pymodule_init]
    fn init() {
        crate::fork::register();
    }
}
