//! Trims manabi.wasm for the lab page: what `wasm-bindgen` would remove,
//! without installing it. The plotters crate (figure files, never drawn in
//! the browser) depends on `web-sys` when built for WebAssembly, and that
//! leaves the `__wasm_bindgen_unstable` custom section (descriptions of
//! JavaScript bindings, read only by `wasm-bindgen`) and thousands of
//! `__wbindgen_describe_*` exports in the module. Browsers ignore custom
//! sections, and the page calls only the `manabi_*` exports and `memory`,
//! so this keeps the module's code and data as they are and drops:
//!
//! - every custom section (section id 0),
//! - every export whose name starts with `__wbindgen_describe`.
//!
//! Built and run by `scripts/web.sh` with rustc alone (no crates):
//!
//! ```sh
//! rustc -O -o target/web/trim-wasm scripts/trim-wasm.rs
//! target/web/trim-wasm IN.wasm OUT.wasm
//! ```

use std::process::ExitCode;

/// An unsigned LEB128 number at `bytes[*at..]`, moving `at` past it.
fn leb(bytes: &[u8], at: &mut usize) -> Result<u32, String> {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let byte = *bytes.get(*at).ok_or("the module ends inside a number")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return u32::try_from(value).map_err(|_| "a number over 32 bits".to_string());
        }
        shift += 7;
        if shift > 35 {
            return Err("a number over 32 bits".into());
        }
    }
}

fn put_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The export section's payload without the describe exports.
fn exports(payload: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut at = 0;
    let count = leb(payload, &mut at)?;
    let mut kept = Vec::new();
    let mut n = 0u32;
    let mut dropped = 0;
    for _ in 0..count {
        let start = at;
        let len = leb(payload, &mut at)? as usize;
        let name = payload
            .get(at..at + len)
            .ok_or("an export's name runs past its section")?;
        at += len + 1; // the name, then the kind
        leb(payload, &mut at)?; // the index
        if name.starts_with(b"__wbindgen_describe") {
            dropped += 1;
        } else {
            kept.extend_from_slice(&payload[start..at]);
            n += 1;
        }
    }
    let mut out = Vec::new();
    put_leb(&mut out, n);
    out.extend(kept);
    Ok((out, dropped))
}

fn trim(module: &[u8]) -> Result<(Vec<u8>, String), String> {
    if module.len() < 8 || &module[..4] != b"\0asm" {
        return Err("not a WebAssembly module".into());
    }
    let mut out = module[..8].to_vec();
    let (mut at, mut customs, mut describes) = (8, 0usize, 0);
    while at < module.len() {
        let id = module[at];
        at += 1;
        let size = leb(module, &mut at)? as usize;
        let payload = module
            .get(at..at + size)
            .ok_or("a section runs past the module's end")?;
        at += size;
        let payload = match id {
            0 => {
                customs += size;
                continue;
            }
            7 => {
                let (p, n) = exports(payload)?;
                describes = n;
                p
            }
            _ => payload.to_vec(),
        };
        out.push(id);
        put_leb(&mut out, payload.len() as u32);
        out.extend(payload);
    }
    let said = format!(
        "{} KiB of custom sections and {describes} describe exports dropped",
        customs / 1024
    );
    Ok((out, said))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!(
            "trim-wasm: give the module to read and the file to write: trim-wasm IN.wasm OUT.wasm"
        );
        return ExitCode::from(2);
    };
    let result = std::fs::read(input)
        .map_err(|e| format!("{input}: {e}"))
        .and_then(|bytes| trim(&bytes).map_err(|e| format!("{input}: {e}")))
        .and_then(|(bytes, said)| {
            std::fs::write(output, bytes)
                .map(|()| said)
                .map_err(|e| format!("{output}: {e}"))
        });
    match result {
        Ok(said) => {
            println!("trim-wasm: {said}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trim-wasm: {e}");
            ExitCode::FAILURE
        }
    }
}
