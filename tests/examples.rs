//! The examples as acceptance tests: run each book script's counterpart and
//! check what it prints against the book's values (docs/book-values.md, with
//! their sources).
//!
//! `cargo test` compiles the examples into `target/<profile>/examples/` but
//! does not run them; these tests find them there, next to this test's own
//! `target/<profile>/deps/`, and run them.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The compiled example `name`; fails (rather than skips) if it is missing.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    // target/<profile>/deps/examples-<hash> → target/<profile>/examples/<name>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} not found: run these tests with `cargo test` (or \
         `cargo test --release`), which builds the examples; `cargo test --test \
         examples` alone does not",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str]) -> Output {
    Command::new(example(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run example {name}: {e}"))
}

/// The standard output of a run that must succeed.
#[track_caller]
fn stdout_of(name: &str, args: &[&str]) -> String {
    let out = run(name, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The rest of the first line that starts with `prefix`.
#[track_caller]
fn after<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?} in:\n{stdout}"))
}

/// The first number of `text` (up to a space or the end).
#[track_caller]
fn number(text: &str) -> f64 {
    let word = text.split_whitespace().next().unwrap_or("");
    word.parse()
        .unwrap_or_else(|_| panic!("expected a number at the start of {text:?}"))
}

/// The numbers of an array as NumPy or ndarray prints it: `[6. 8.]`,
/// `[6.00000000000378, 7.999999999999119]`, `[[0.2 0.1]\n [0.3 0.2]]`.
#[track_caller]
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| c.is_whitespace() || "[],".contains(c))
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap_or_else(|_| panic!("not a number: {w:?}")))
        .collect()
}

/// The first bracketed array in `text`: `[6. 8.]   raw …` → `[6. 8.]`.
fn first_array(text: &str) -> &str {
    let end = text.find(']').map_or(text.len(), |i| i + 1);
    &text[..end]
}

#[track_caller]
fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "got {got:?}, want {want:?} (tol {tol:e})"
        );
    }
}

#[test]
fn gradient_1d_prints_the_books_derivatives() {
    let out = stdout_of("ch04_gradient_1d", &[]);
    // numerical_diff(function_1, 5) → 0.1999999999990898; (…, 10) → 0.2999999999986347
    let at_5 = number(after(&out, "numerical_diff(function_1, 5) = "));
    let at_10 = number(after(&out, "numerical_diff(function_1, 10) = "));
    assert_close(
        &[at_5, at_10],
        &[0.1999999999990898, 0.2999999999986347],
        1e-12,
    );
    // tangent at 5: slope d, intercept f(5) − 5d = 0.75 − 5d
    let slope = number(after(&out, "tangent_line(function_1, 5): slope d = "));
    let intercept = number(after(&out, "  intercept f(5) − d·5 = "));
    assert_close(&[slope, intercept], &[at_5, 0.75 - 5.0 * at_5], 1e-12);
    // The table row at x = 5: curve and tangent meet.
    let row = numbers(after(&out, "   5.0 "));
    assert_close(&row, &[0.75, 0.75, 0.0], 1e-12);
}

#[test]
fn gradient_2d_prints_the_books_gradients() {
    let out = stdout_of("ch04_gradient_2d", &[]);
    // numerical_gradient(function_2, np.array([3.0, 4.0])) → [6. 8.], …
    for (point, shown, raw) in [
        ("[3. 4.]", "[6. 8.]", [6.00000000000378, 7.999999999999119]),
        ("[0. 2.]", "[0. 4.]", [0.0, 4.000000000004]),
        ("[3. 0.]", "[6. 0.]", [6.000000000012662, 0.0]),
    ] {
        let line = after(&out, &format!("numerical_gradient(function_2, {point}) = "));
        assert_eq!(first_array(line), shown, "in {line:?}");
        let (_, raw_text) = line.split_once("raw ").expect("a raw value");
        assert_close(&numbers(raw_text), &raw, 1e-12);
    }
    // The field: 18 rows of 18 arrows, all pointing at the minimum, which
    // sits in the x₁ = 0 row, at x₀ = 0 (the 9th column).
    let origin_row = after(&out, "      0  ");
    let cells: Vec<char> = origin_row.chars().filter(|c| *c != ' ').collect();
    assert_eq!(cells.len(), 18, "{origin_row:?}");
    assert_eq!(cells[8], '·');
    assert!(cells[..8].iter().all(|&c| c == '→') && cells[9..].iter().all(|&c| c == '←'));
    assert_eq!(after(&out, "   2.25  ").chars().next(), Some('↘'));
    assert_eq!(after(&out, "     -2  ").chars().next(), Some('↗'));
}

#[test]
fn gradient_method_prints_the_books_descents() {
    let out = stdout_of("ch04_gradient_method", &[]);
    // 20 steps from (−3, 4) at lr 0.1: x₀·0.8²⁰.
    assert_eq!(after(&out, "x = "), "[-0.03458765  0.04611686]");
    let raw = after(&out, "    raw ");
    assert_close(
        &numbers(first_array(raw)),
        &[-0.03458764513817675, 0.04611686018418694],
        1e-12,
    );
    // The path: 21 points, step 0 is the start.
    assert_close(&numbers(after(&out, "     0  ")), &[-3.0, 4.0, 25.0], 0.0);
    assert_close(
        &numbers(after(&out, "    20  ")),
        &[-0.03458765, 0.04611686, 0.00332307],
        1e-8,
    );
    // The chapter's comparison, 100 steps each.
    for (lr, want) in [
        ("0.1", "[-6.11110793e-10  8.14814391e-10]"),
        ("10.0", "[-2.58983747e+13 -1.29524862e+12]"),
        ("1e-10", "[-2.99999994  3.99999992]"),
    ] {
        let line = after(&out, &format!("  lr={lr:<6} x = "));
        assert_eq!(first_array(line), want, "lr={lr}");
    }
    // --lr/--steps change the first run: one step at lr 0.5 lands on (0, 0).
    let out = stdout_of("ch04_gradient_method", &["--lr", "0.5", "--steps", "1"]);
    assert_close(&numbers(after(&out, "x = ")), &[0.0, 0.0], 1e-9);
}

#[test]
fn gradient_simplenet_prints_the_books_loss_and_gradient() {
    let out = stdout_of("ch04_gradient_simplenet", &[]);
    assert_close(
        &numbers(after(&out, "p = net.predict(x) = ")),
        &[1.05414809, 0.63071653, 1.1328074],
        1e-8,
    );
    assert_eq!(after(&out, "np.argmax(p) = "), "2");
    let loss = number(after(&out, "net.loss(x, t) = "));
    assert_close(&[loss], &[0.9280682857864075], 1e-12);
    // dW =
    // [[ 0.21924757  0.14356243 -0.36281   ]
    //  [ 0.32887136  0.21534364 -0.544215  ]]
    let (_, dw) = out.split_once("dW =\n").expect("dW is printed");
    let dw: String = dw.lines().take(2).collect::<Vec<_>>().join("\n");
    assert_close(
        &numbers(&dw),
        &[
            0.2192475712392561,
            0.14356242984070455,
            -0.3628100010055757,
            0.3288713569016277,
            0.21534364482433954,
            -0.5442150014745017,
        ],
        1e-8,
    );

    // With a random W the numbers change, but row 2 is still 1.5 × row 1.
    let out = stdout_of("ch04_gradient_simplenet", &["--random", "--seed", "7"]);
    assert!(
        out.starts_with("W (np.random.randn(2, 3), seed 7):"),
        "{out}"
    );
    assert_eq!(
        first_array(after(&out, "row 2 / row 1 = ")),
        "[1.5 1.5 1.5]"
    );
}

#[test]
fn two_layer_net_prints_the_books_shapes() {
    let out = stdout_of("ch04_two_layer_net", &[]);
    for (key, shape) in [
        ("W1", "(784, 100)"),
        ("b1", "(100,)"),
        ("W2", "(100, 10)"),
        ("b2", "(10,)"),
    ] {
        for owner in ["net.params", "grads"] {
            let line = format!("{owner}['{key}'].shape = {shape}");
            let count = out.lines().filter(|l| *l == line).count();
            let want = if owner == "grads" { 2 } else { 1 };
            assert_eq!(count, want, "{line:?} in:\n{out}");
        }
    }
    assert_eq!(after(&out, "y.shape = "), "(100, 10)");
    // An untrained net gives every class about 1/10.
    let y0 = numbers(after(&out, "y[0] = "));
    assert!(y0.iter().all(|p| (p - 0.1).abs() < 0.03), "{y0:?}");
    assert!((y0.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    // The output says the numerical gradient ran on a tiny batch.
    assert!(out.contains("numerical_gradient(x[:1], t[:1])"), "{out}");
    // Numerical and backprop agree up to the 1e-7 inside the log.
    let diff = number(after(&out, "max |numerical − backprop| on x[:1] = "));
    assert!(diff < 1e-5, "max diff {diff}");
}

#[test]
fn gradient_check_agrees_to_the_books_tolerances() {
    let out = stdout_of("ch05_gradient_check", &[]);
    // W1:5.5e-10  b1:2.5e-09  W2:7.5e-09  b2:1.4e-07 (nb ch05: 1.8e-06,
    // 2.4e-05, 6.2e-09, 1.4e-07; the ReLU gaps on W1/b1 depend on the seed).
    let diff = |key: &str| number(after(&out, &format!("{key}:")));
    for (key, limit) in [("W1", 1e-4), ("b1", 1e-4), ("W2", 1e-6), ("b2", 1e-6)] {
        let d = diff(key);
        assert!((0.0..limit).contains(&d), "{key}: {d:e} (limit {limit:e})");
    }
    // The chapter-4 network: sigmoid has no kink, so W1/b1 agree closely.
    let out = stdout_of("ch05_gradient_check", &["--sigmoid"]);
    let diff = |key: &str| number(after(&out, &format!("{key}:")));
    for (key, limit) in [("W1", 1e-8), ("b1", 1e-8), ("W2", 1e-6), ("b2", 1e-6)] {
        let d = diff(key);
        assert!(
            (0.0..limit).contains(&d),
            "sigmoid {key}: {d:e} (limit {limit:e})"
        );
    }
}

#[test]
fn train_neuralnet_learns_and_meets_its_target() {
    // 1000 iterations (12.5 epochs of mnist-10k) reach ≈ 0.87 test accuracy.
    let out = stdout_of(
        "ch04_train_neuralnet",
        &["--iters", "1000", "--target", "0.85"],
    );
    let epochs: Vec<Vec<f64>> = out
        .lines()
        .filter_map(|l| l.strip_prefix("train acc, test acc | "))
        .map(numbers)
        .collect();
    // Evaluated at i = 0, 80, …, 960: iter_per_epoch = 8004 / 100 = 80.
    assert_eq!(epochs.len(), 13, "{out}");
    // Untrained: a guess in ten, as the book's first line (0.0986, 0.0958).
    assert!(epochs[0].iter().all(|a| (0.05..0.15).contains(a)), "{out}");
    let last = &epochs[12];
    assert!(last[0] > 0.8 && last[1] > 0.8, "{out}");
    let final_acc = number(after(&out, "final test acc "));
    assert!(final_acc >= 0.85, "{out}");
    assert!(out.trim_end().ends_with(": ok"), "{out}");
}

/// The book's loop (the reference engine's code) and `--fast` (the same
/// loop on the fast engine) report the same accuracies.
#[test]
fn train_neuralnet_runs_alike_on_the_fast_engine() {
    let epochs = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("train acc, test acc | ") || l.starts_with("final test acc"))
            .map(String::from)
            .collect()
    };
    let book = stdout_of("ch04_train_neuralnet", &["--iters", "200", "--target", "0"]);
    let fast = stdout_of(
        "ch04_train_neuralnet",
        &["--iters", "200", "--target", "0", "--fast"],
    );
    assert!(
        book.lines()
            .next()
            .unwrap_or("")
            .ends_with("reference engine"),
        "{book}"
    );
    assert!(
        fast.lines().next().unwrap_or("").ends_with("fast engine"),
        "{fast}"
    );
    assert_eq!(epochs(&book).len(), 4, "{book}");
    assert_eq!(epochs(&book), epochs(&fast));
}

#[test]
fn train_neuralnet_fails_below_its_target() {
    let out = run(
        "ch04_train_neuralnet",
        &["--iters", "50", "--target", "0.99"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.trim_end().ends_with("BELOW TARGET"), "{stdout}");
}

#[test]
fn bad_flags_get_a_one_line_error() {
    for name in [
        "ch04_gradient_1d",
        "ch04_gradient_2d",
        "ch04_gradient_method",
        "ch04_gradient_simplenet",
        "ch04_two_layer_net",
        "ch04_train_neuralnet",
        "ch05_gradient_check",
    ] {
        let out = run(name, &["--no-such-flag"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} accepted --no-such-flag");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.starts_with(&format!("{name}: ")), "{name}: {stderr}");
        assert!(stderr.contains("--no-such-flag"), "{name}: {stderr}");
    }
    // A known flag with a bad value names the flag and the value.
    for (name, args) in [
        ("ch04_gradient_method", &["--lr", "fast"][..]),
        ("ch04_train_neuralnet", &["--iters", "0"][..]),
        ("ch04_train_neuralnet", &["--target", "93"][..]),
        ("ch04_two_layer_net", &["--numerical-batch"][..]),
    ] {
        let out = run(name, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name} {args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{name} {args:?}: {stderr}");
    }
}
