//! `ts/generated/abi.ts`, rendered from the kernel table
//! (`rnn_core::for_each_kernel!`), the boundary [`Status`] codes and the
//! shared constants, must equal the committed file: the TypeScript side reads
//! export names, argument order and constants from there, so a change to the
//! table that is not regenerated fails here.
//!
//! `UPDATE_ABI=1 cargo test -p rnn-core --test abi` rewrites the file.
//!
//! When the native addon has been built (`npm run build:native`), the
//! declarations napi generated for it (`native/native.d.ts`) must also say
//! what the file's `NativeAddon` says.

use std::fmt::Write as _;
use std::path::PathBuf;

use rnn_core::{Status, ALLOC_ALIGN, NO_TARGET, TRANSPOSE_IN_JS_BELOW};

/// One kernel's row of the table, as names.
struct Kernel {
    doc: &'static str,
    wasm: &'static str,
    js: &'static str,
    dims: Vec<&'static str>,
    inputs: Vec<&'static str>,
    outputs: Vec<&'static str>,
    workspace: Option<&'static str>,
}

fn table() -> Vec<Kernel> {
    let mut kernels = Vec::new();
    macro_rules! collect {
        (
            name: $name:ident,
            doc: $doc:literal,
            wasm: $wasm:ident,
            js: $js:literal,
            dims: $Dims:ident { $($d:ident),* },
            unused: { $($u:ident),* },
            inputs: $In:ident { $($i:ident),* },
            outputs: $Out:ident { $($o:ident),* },
            workspace: [$($ws_len:ident => $ws_export:ident)?],
        ) => {
            kernels.push(Kernel {
                doc: $doc,
                wasm: stringify!($wasm),
                js: $js,
                dims: vec![$(stringify!($d)),*],
                inputs: vec![$(stringify!($i)),*],
                outputs: vec![$(stringify!($o)),*],
                workspace: None$(.or(Some(stringify!($ws_export))))?,
            });
        };
    }
    rnn_core::for_each_kernel!(collect);
    kernels
}

/// The exports every module has besides the kernels, as `name(args): result`.
const WASM_MEMORY: &[(&str, &str)] = &[
    (
        "Allocates `bytes` bytes aligned to `ALLOC_ALIGN`; returns 0 on failure.",
        "rnn_alloc(bytes: number): number",
    ),
    (
        "Frees a block from `rnn_alloc` of the same size; 0 is ignored.",
        "rnn_free(ptr: number, bytes: number): void",
    ),
];

/// The exports of the module built with the `probes` feature only.
const WASM_PROBES: &[(&str, &str)] = &[
    (
        "Executes `unreachable`, trapping the instance.",
        "rnn_debug_trap(): void",
    ),
    (
        "Runs `iters` iterations of the roofline loop (48 FLOPs each); returns a checksum.",
        "rnn_bench_roofline(iters: number): number",
    ),
    (
        "Packs and multiplies random operands `iters` times (`2·m·n·k` FLOPs each); returns a checksum, NaN if the sizes are too large.",
        "rnn_bench_gemm(m: number, n: number, k: number, iters: number): number",
    ),
    (
        "The packed GEMM against the scalar reference: the largest relative difference, -1 if the sizes are rejected.",
        "rnn_test_gemm(m: number, n: number, k: number, layout: number, alpha: number, beta: number, seed: number): number",
    ),
];

/// The addon's functions besides the kernels (hand-written in rnn-napi).
const NATIVE_OTHERS: &[(&str, &str)] = &[
    (
        "Lets the kernels use up to `n` threads (0: all cores, the default).",
        "setThreads(n: number): void",
    ),
    ("Threads the kernels may use.", "getThreads(): number"),
    (
        "The instruction set the GEMM kernel runs on this CPU: `avx512`, `avx2+fma` or `scalar`.",
        "cpuFeatures(): string",
    ),
    (
        "Asks the OS to back `buf`, a large output array not yet written, with huge pages. Writes nothing.",
        "adviseHugePages(buf: Float64Array): void",
    ),
];

/// napi's spelling of an argument name: `dc_last` → `dcLast`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    for (i, part) in name.split('_').enumerate() {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if i > 0 => {
                out.extend(c.to_uppercase());
                out.push_str(chars.as_str());
            }
            _ => out.push_str(part),
        }
    }
    out
}

fn quoted(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    format!("[{}]", q.join(", "))
}

/// The wasm kernel export's signature.
fn wasm_signature(k: &Kernel) -> String {
    let mut args: Vec<String> = k.dims.iter().map(|d| format!("{d}: number")).collect();
    let bufs = k.inputs.iter().chain(&k.outputs).copied();
    for b in bufs.chain(k.workspace.map(|_| "ws")) {
        args.push(format!("{b}: number"));
        args.push(format!("{b}_len: number"));
    }
    format!("{}({}): number", k.wasm, args.join(", "))
}

/// The workspace export's signature, if the kernel has one.
fn workspace_signature(k: &Kernel) -> Option<String> {
    let args: Vec<String> = k.dims.iter().map(|d| format!("{d}: number")).collect();
    k.workspace
        .map(|ws| format!("{ws}({}): number", args.join(", ")))
}

/// The native function's signature, with napi's argument names.
fn native_signature(k: &Kernel) -> String {
    let mut args: Vec<String> = k
        .dims
        .iter()
        .map(|d| format!("{}: number", camel(d)))
        .collect();
    for b in k.inputs.iter().chain(&k.outputs) {
        args.push(format!("{}: Float64Array", camel(b)));
    }
    format!("{}({}): void", k.js, args.join(", "))
}

/// Every member of `NativeAddon`, as `(doc, signature)`.
fn native_members(kernels: &[Kernel]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = kernels
        .iter()
        .map(|k| (k.doc.to_string(), native_signature(k)))
        .collect();
    out.extend(
        NATIVE_OTHERS
            .iter()
            .map(|&(doc, sig)| (doc.to_string(), sig.to_string())),
    );
    out
}

fn render() -> String {
    let kernels = table();
    let mut s = String::new();
    let w = &mut s;
    let line = |w: &mut String, text: &str| {
        w.push_str(text);
        w.push('\n');
    };
    line(
        w,
        "// Generated from rnn-core's kernel table (crates/rnn-core/src/kernels.rs) and its `abi`",
    );
    line(
        w,
        "// module by crates/rnn-core/tests/abi.rs. Do not edit: change the table, then run",
    );
    line(w, "//   UPDATE_ABI=1 cargo test -p rnn-core --test abi");
    line(
        w,
        "// (without UPDATE_ABI the test fails when this file differs from what the table gives).",
    );
    line(w, "");

    line(
        w,
        "/** Status codes of the wasm kernel exports (`rnn_core::Status`). */",
    );
    line(w, "export const STATUS = {");
    for st in Status::ALL {
        writeln!(w, "  {}: {},", st.name(), st as i32).unwrap();
    }
    line(w, "} as const;");
    line(w, "");
    line(w, "/** What each status code means. */");
    line(
        w,
        "export const STATUS_MESSAGES: Readonly<Record<number, string>> = {",
    );
    for st in Status::ALL {
        writeln!(w, "  {}: '{}',", st as i32, st.message()).unwrap();
    }
    line(w, "};");
    line(w, "");
    line(
        w,
        "/** The target of a column that has none (`output_backward`). */",
    );
    writeln!(w, "export const NO_TARGET = {NO_TARGET};").unwrap();
    line(w, "");
    line(
        w,
        "/** Alignment in bytes of every block `rnn_alloc` returns. */",
    );
    writeln!(w, "export const ALLOC_ALIGN = {ALLOC_ALIGN};").unwrap();
    line(w, "");
    line(w, "/** Arrays shorter than this are transposed in JS by the wasm and native backends: crossing the boundary costs more. */");
    writeln!(
        w,
        "export const TRANSPOSE_IN_JS_BELOW = {TRANSPOSE_IN_JS_BELOW};"
    )
    .unwrap();
    line(w, "");

    line(w, "/**");
    line(
        w,
        " * Every kernel: its wasm export, its native (napi) function, the wasm export that gives its",
    );
    line(
        w,
        " * workspace length (`null`: it takes no workspace), and its arguments in order: the dimensions,",
    );
    line(
        w,
        " * then one array per input, then one per output. A wasm export takes each array as",
    );
    line(
        w,
        " * `(pointer, length)` and, when it has a workspace, `(ws, ws_len)` last; a native function",
    );
    line(w, " * takes `Float64Array`s and no workspace.");
    line(w, " */");
    line(w, "export const KERNELS = {");
    for k in &kernels {
        writeln!(w, "  /** {} */", k.doc).unwrap();
        writeln!(w, "  {}: {{", k.js).unwrap();
        writeln!(w, "    wasm: '{}',", k.wasm).unwrap();
        writeln!(w, "    native: '{}',", k.js).unwrap();
        match k.workspace {
            Some(ws) => writeln!(w, "    workspace: '{ws}',").unwrap(),
            None => line(w, "    workspace: null,"),
        }
        writeln!(w, "    dims: {},", quoted(&k.dims)).unwrap();
        writeln!(w, "    inputs: {},", quoted(&k.inputs)).unwrap();
        writeln!(w, "    outputs: {},", quoted(&k.outputs)).unwrap();
        line(w, "  },");
    }
    line(w, "} as const;");
    line(w, "");
    line(w, "/** A kernel's key in `KERNELS`. */");
    line(w, "export type KernelName = keyof typeof KERNELS;");
    line(w, "/** The names of kernel `K`'s dimensions. */");
    line(
        w,
        "export type DimName<K extends KernelName> = (typeof KERNELS)[K]['dims'][number];",
    );
    line(w, "/** The names of kernel `K`'s inputs. */");
    line(
        w,
        "export type InputName<K extends KernelName> = (typeof KERNELS)[K]['inputs'][number];",
    );
    line(w, "/** The names of kernel `K`'s outputs. */");
    line(
        w,
        "export type OutputName<K extends KernelName> = (typeof KERNELS)[K]['outputs'][number];",
    );
    line(w, "");

    line(w, "/** The wasm module's exports, typed. Kernels return a `STATUS` code; pointers are byte addresses, lengths count `f64` elements. */");
    line(w, "export interface WasmExports {");
    line(w, "  memory: WebAssembly.Memory;");
    for (doc, sig) in WASM_MEMORY {
        writeln!(w, "  /** {doc} */\n  {sig};").unwrap();
    }
    for k in &kernels {
        if let Some(sig) = workspace_signature(k) {
            writeln!(
                w,
                "  /** Workspace elements `{}` needs, or -1 when the sizes overflow. */",
                k.wasm
            )
            .unwrap();
            writeln!(w, "  {sig};").unwrap();
        }
        writeln!(w, "  /** {} */\n  {};", k.doc, wasm_signature(k)).unwrap();
    }
    line(w, "}");
    line(w, "");
    line(w, "/** The exports of the test module built with the `probes` feature (test/wasm/rnn_wasm_probes.wasm): the shipped ones and the probes. */");
    line(w, "export interface WasmProbeExports extends WasmExports {");
    for (doc, sig) in WASM_PROBES {
        writeln!(w, "  /** {doc} */\n  {sig};").unwrap();
    }
    line(w, "}");
    line(w, "");
    line(
        w,
        "/** The native addon's exports, typed (napi's generated native/native.d.ts says the same). */",
    );
    line(w, "export interface NativeAddon {");
    for (doc, sig) in native_members(&kernels) {
        writeln!(w, "  /** {doc} */\n  {sig};").unwrap();
    }
    line(w, "}");
    s
}

fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// The first line where `a` and `b` differ, 1-based, with both versions.
fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return "none".into(),
            (x, y) => {
                return format!(
                    "line {n}:\n  committed: {}\n  table:     {}",
                    x.unwrap_or("<end of file>"),
                    y.unwrap_or("<end of file>")
                )
            }
        }
    }
    unreachable!()
}

#[test]
fn generated_abi_ts_matches_the_kernel_table() {
    let path = repo_path("ts/generated/abi.ts");
    let want = render();
    if std::env::var_os("UPDATE_ABI").is_some() {
        std::fs::write(&path, &want).expect("write ts/generated/abi.ts");
        return;
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "ts/generated/abi.ts is not what rnn-core's kernel table gives; first difference at {}\n\
         Regenerate it with `UPDATE_ABI=1 cargo test -p rnn-core --test abi` and commit it \
         (the TypeScript backends read export names and argument order from it).",
        first_difference(&got, &want)
    );
}

#[test]
fn every_kernel_has_distinct_names_and_arguments() {
    let kernels = table();
    let mut names: Vec<&str> = kernels.iter().flat_map(|k| [k.wasm, k.js]).collect();
    names.extend(kernels.iter().filter_map(|k| k.workspace));
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        n,
        "two kernels share an export or function name"
    );
    for k in &kernels {
        let mut args: Vec<&str> = k
            .dims
            .iter()
            .chain(&k.inputs)
            .chain(&k.outputs)
            .copied()
            .collect();
        let n = args.len();
        args.sort_unstable();
        args.dedup();
        assert_eq!(args.len(), n, "{}: two arguments share a name", k.wasm);
        assert!(
            !args.contains(&"ws"),
            "{}: `ws` is the workspace's name",
            k.wasm
        );
    }
}

/// napi writes the addon's declarations when it builds it; they must be the
/// `NativeAddon` members (same names, argument names and order, types).
#[test]
fn napi_declarations_match_native_addon() {
    let path = repo_path("native/native.d.ts");
    let Ok(dts) = std::fs::read_to_string(&path) else {
        println!("native/native.d.ts not built (npm run build:native); not compared");
        return;
    };
    let declared: Vec<String> = dts
        .lines()
        .filter_map(|l| l.strip_prefix("export declare function "))
        .map(str::to_string)
        .collect();
    let want: Vec<String> = native_members(&table()).into_iter().map(|m| m.1).collect();
    let only_napi: Vec<&String> = declared.iter().filter(|d| !want.contains(d)).collect();
    let only_abi: Vec<&String> = want.iter().filter(|w| !declared.contains(w)).collect();
    assert!(
        only_napi.is_empty() && only_abi.is_empty(),
        "native/native.d.ts (napi's declarations of the built addon) differs from NativeAddon in \
         ts/generated/abi.ts; rebuild the addon (npm run build:native) if it is stale.\n\
         declared by napi only: {only_napi:#?}\nin NativeAddon only: {only_abi:#?}"
    );
}
