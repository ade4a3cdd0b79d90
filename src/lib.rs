//! manabi: how a neural network learns.
pub mod data;
pub mod engine;
pub mod functions;
pub mod gradient;
pub mod layers;
pub mod optimizer;
pub mod params;
pub mod random;
pub mod report;
pub mod serve;
pub mod train;
pub mod two_layer_net;

pub use optimizer::Sgd;
pub use params::Params;
pub use two_layer_net::{Activation, TwoLayerNet};
