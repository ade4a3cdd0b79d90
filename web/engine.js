// manabi.wasm from JavaScript: a hand-written interface over the module's
// raw exports (no generated glue). Every request is one JSON object in,
// one JSON object out:
//
//   manabi_alloc(len) → ptr       room for a request of len bytes
//   manabi_call(ptr, len) → 0|1   runs the request (and frees it);
//                                 0: the answer, 1: {"error": message}
//   manabi_out_ptr(), manabi_out_len()  the answer's UTF-8 bytes
//
// A panic in Rust traps (WebAssembly's `unreachable`); its message was put
// where answers go first, so the trap becomes an EngineCrash saying what
// went wrong. After a crash the instance is not used again.

export class EngineError extends Error {}
export class EngineCrash extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The module imports nothing the engine calls; a dependency may still
// declare imports it never uses in this build. Each gets a stand-in that
// says so if it is ever called.
function stubs(module) {
  const imports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") continue;
    imports[from] = imports[from] || {};
    imports[from][name] = () => {
      throw new Error(`manabi.wasm called ${from}.${name}, which the page does not provide`);
    };
  }
  return imports;
}

export class Engine {
  // Fetches and compiles the module at `url` (streaming where the server
  // says application/wasm, from the bytes otherwise).
  static async load(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
    let module;
    if (WebAssembly.compileStreaming && (response.headers.get("content-type") || "").startsWith("application/wasm")) {
      module = await WebAssembly.compileStreaming(response);
    } else {
      module = await WebAssembly.compile(await response.arrayBuffer());
    }
    const instance = await WebAssembly.instantiate(module, stubs(module));
    return new Engine(instance, module);
  }

  constructor(instance, module) {
    this.exports = instance.exports;
    this.module = module;
    this.crashed = null;
  }

  out() {
    const ex = this.exports;
    return decoder.decode(new Uint8Array(ex.memory.buffer, ex.manabi_out_ptr(), ex.manabi_out_len()));
  }

  // Sends `request` ({op, …}); returns the answer, throws EngineError for a
  // refusal (bad settings) and EngineCrash when the engine died.
  call(request) {
    if (this.crashed) throw new EngineCrash(this.crashed);
    const ex = this.exports;
    const bytes = encoder.encode(JSON.stringify(request));
    let status;
    try {
      const ptr = ex.manabi_alloc(bytes.length);
      new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
      status = ex.manabi_call(ptr, bytes.length);
    } catch (e) {
      let why = String(e && e.message ? e.message : e);
      try {
        const said = JSON.parse(this.out());
        if (said && said.panic) why = said.panic;
      } catch {
        // No message was left: the trap's own words will do.
      }
      this.crashed = why;
      throw new EngineCrash(why);
    }
    const answer = JSON.parse(this.out());
    if (status !== 0) throw new EngineError(answer.error || "the engine refused the request");
    return answer;
  }
}
