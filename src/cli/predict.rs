//! `manabi predict`: what does a trained network make of your own digit?
//!
//! The picture is prepared as MNIST prepared its digits (see
//! `manabi::report::to_mnist`): white ink on black, fitted into 20×20,
//! centred by its centre of mass in 28×28. The class probabilities are the
//! softmax output of the network, best first.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use ndarray::Array2;

use manabi::report::{MNIST_SIDE, RunFolder, class_names, read_grey_image, to_mnist};

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The run folder whose network to ask (written by `manabi train`).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// A greyscale picture of one digit: PNG or PGM (P2/P5), 28×28 or larger.
    #[arg(value_name = "IMAGE")]
    image: PathBuf,
    /// Also print the 28×28 image the network sees, as text.
    #[arg(long)]
    show: bool,
}

pub fn run(args: PredictArgs) -> Result<()> {
    let flag = || format!("--run {}", args.run.display());
    let folder = RunFolder::open(&args.run).with_context(flag)?;
    let (config, net, _, _) = folder.load_net().with_context(flag)?;
    let input = MNIST_SIDE * MNIST_SIDE;
    if net.params.sizes().0 != input {
        bail!(
            "{}: the network takes {} pixels, not a 28×28 image",
            flag(),
            net.params.sizes().0
        );
    }
    let img = read_grey_image(&args.image)?;
    let Some(pixels) = to_mnist(&img) else {
        bail!(
            "{}: the image is blank: no digit found",
            args.image.display()
        );
    };
    let how = if (img.width, img.height) == (MNIST_SIDE, MNIST_SIDE) {
        "taken as is".to_string()
    } else {
        format!(
            "{}×{}, fitted into 20×20 and centred in 28×28 as MNIST digits are",
            img.width, img.height
        )
    };
    println!("{}: {how}", args.image.display());
    if args.show {
        const SHADES: &[u8] = b" .:-=+*#%@";
        for row in pixels.chunks(MNIST_SIDE) {
            let line: String = row
                .iter()
                .map(|&p| SHADES[usize::from(p) * (SHADES.len() - 1) / 255] as char)
                .flat_map(|c| [c, c])
                .collect();
            println!("|{line}|");
        }
    }
    let x = Array2::from_shape_fn((1, input), |(_, i)| f64::from(pixels[i]) / 255.0);
    let y = net.predict(&x);
    let mut ranked: Vec<(usize, f64)> = y.row(0).iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let classes = class_names(&config.dataset.name);
    let width = classes.iter().map(|c| c.chars().count()).max().unwrap_or(1);
    for (class, p) in ranked {
        let bar = "█".repeat((p * 40.0).round() as usize);
        println!("  {:<width$}  {p:.4}  {bar}", classes[class]);
    }
    Ok(())
}
