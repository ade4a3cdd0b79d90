//! What the ten classes of a data set are called.
//!
//! MNIST's labels are the digits themselves; Fashion-MNIST's are ten kinds
//! of clothing (Zalando's list, in label order).

/// Fashion-MNIST's class names, label 0 to 9.
pub const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// MNIST's class names: the digits.
pub const DIGIT_CLASSES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// The class names of the data set called `dataset` (its folder name):
/// clothing for a name containing "fashion", digits otherwise.
///
/// ```
/// assert_eq!(manabi::report::class_names("fashion-mnist")[9], "Ankle boot");
/// assert_eq!(manabi::report::class_names("mnist-10k")[9], "9");
/// ```
pub fn class_names(dataset: &str) -> [&'static str; 10] {
    if dataset.to_ascii_lowercase().contains("fashion") {
        FASHION_CLASSES
    } else {
        DIGIT_CLASSES
    }
}
