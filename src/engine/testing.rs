//! What tests and benchmarks reach inside the engines through: not part of
//! the library's interface, and hidden from its documentation.
pub use super::fast::{
    Activations, BackwardScratch, FastEngine, Grads, accuracy, amx, backward, batch, float,
    forward, forward_again, forward_backward, hidden_layer, net, numerical, panel, sgd_update,
    simd,
};
