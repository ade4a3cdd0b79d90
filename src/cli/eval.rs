//! `manabi eval`: look inside a trained network — which classes it
//! confuses, how well it does on each, the test images it is most wrongly
//! sure about (`mistakes.png`), and what its hidden units look at
//! (`weights.png`).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use manabi::data::NUM_CLASSES;
use manabi::report::{
    Evaluation, RunFolder, class_names, fmt_count, plot_mistakes, plot_weights, write_atomic,
};

use super::args::DataArgs;
use super::run_data::load_run_data;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The run folder to look at (written by `manabi train`).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Evaluate on the test set of another MNIST-layout folder instead of the run's own data.
    #[command(flatten)]
    data: DataArgs,
    /// How many of the most confident mistakes to draw.
    #[arg(long, default_value_t = 24, value_name = "N")]
    mistakes: usize,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let flag = || format!("--run {}", args.run.display());
    let folder = RunFolder::open(&args.run).with_context(flag)?;
    let (config, net, iterations, status) = folder.load_net().with_context(flag)?;
    if args.mistakes > 200 {
        bail!("--mistakes {}: draw at most 200", args.mistakes);
    }
    let data = load_run_data(&config, args.data.folder()?.as_deref(), false)?;
    if data.test.pixels_per_image() != net.params.sizes().0 {
        bail!(
            "{}: its images have {} pixels but the network takes {}",
            data.name,
            data.test.pixels_per_image(),
            net.params.sizes().0
        );
    }
    let classes = class_names(&data.name);
    let eval = Evaluation::of(&net, &data.test);

    let heading = format!(
        "run {}: {}-{}-{} {} after {} iterations ({status}), trained on {}",
        args.run.display(),
        config.network.sizes[0],
        config.network.sizes[1],
        config.network.sizes[2],
        config.network.activation,
        fmt_count(iterations),
        config.dataset.name
    );
    let text = eval_text(&heading, &data.name, data.test.len(), &eval, &classes);

    let mistakes = eval.most_confident_mistakes(args.mistakes);
    let mistakes_png = plot_mistakes(
        &folder.path("mistakes"),
        &data.test,
        &mistakes,
        &classes,
        &format!(
            "{}: the {} most confident mistakes of {}",
            data.name,
            mistakes.len(),
            fmt_count(
                eval.predictions
                    .iter()
                    .filter(|p| p.label != p.predicted)
                    .count()
            )
        ),
    )?;
    let [rows, cols] = config.dataset.image_shape;
    let weights_png = plot_weights(&folder.path("weights"), &net.params.w1, (rows, cols))?;
    let eval_txt = folder.path("eval.txt");
    write_atomic(&eval_txt, text.as_bytes())?;
    print!("{text}");
    println!();
    println!(
        "wrote {}, {}, {}",
        mistakes_png.display(),
        weights_png.display(),
        eval_txt.display()
    );
    Ok(())
}

/// What `eval` prints and keeps in eval.txt: `heading`, the accuracy on the
/// test set of `data_name` (`images` of them), the confusion matrix, the
/// per-class accuracy and the pairs most often confused.
fn eval_text(
    heading: &str,
    data_name: &str,
    images: usize,
    eval: &Evaluation,
    classes: &[&str; NUM_CLASSES],
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{heading}");
    let _ = writeln!(
        text,
        "test set of {}: {} images, accuracy {:.4}",
        data_name,
        fmt_count(images),
        eval.accuracy
    );
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "confusion matrix: rows are the true class, columns the network's answer"
    );
    let width = eval
        .confusion
        .iter()
        .flatten()
        .max()
        .map_or(1, |m| m.to_string().len())
        .max(3);
    let _ = write!(text, "{:>6}", "");
    for c in 0..NUM_CLASSES {
        let _ = write!(text, " {c:>width$}");
    }
    let _ = writeln!(text);
    for (t, row) in eval.confusion.iter().enumerate() {
        let _ = write!(text, "{t:>6}");
        for (p, n) in row.iter().enumerate() {
            // Dots for the zeros make the off-diagonal mistakes stand out.
            let cell = if *n == 0 && t != p {
                ".".to_string()
            } else {
                n.to_string()
            };
            let _ = write!(text, " {cell:>width$}");
        }
        let _ = writeln!(text);
    }
    let _ = writeln!(text);
    let _ = writeln!(text, "per-class accuracy:");
    let name_width = classes.iter().map(|c| c.chars().count()).max().unwrap_or(1);
    for (c, (right, total)) in eval.per_class().iter().enumerate() {
        let acc = if *total > 0 {
            *right as f64 / *total as f64
        } else {
            0.0
        };
        let label = if classes[c] == c.to_string() {
            format!("{c}")
        } else {
            format!("{c} {}", classes[c])
        };
        let _ = writeln!(
            text,
            "  {label:<w$}  {acc:.4}  ({right}/{total})",
            w = name_width + 2
        );
    }
    let mut pairs: Vec<(usize, usize, usize)> = (0..NUM_CLASSES)
        .flat_map(|t| (0..NUM_CLASSES).map(move |p| (t, p)))
        .filter(|&(t, p)| t != p)
        .map(|(t, p)| (eval.confusion[t][p], t, p))
        .filter(|&(n, _, _)| n > 0)
        .collect();
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    if !pairs.is_empty() {
        let top: Vec<String> = pairs
            .iter()
            .take(5)
            .map(|&(n, t, p)| format!("{} taken for {} ({n})", classes[t], classes[p]))
            .collect();
        let _ = writeln!(text);
        let _ = writeln!(text, "most often confused: {}", top.join(", "));
    }
    text
}
