// The subset of the WebAssembly JS API that the loader uses. Node and browsers provide it
// globally; TypeScript's ES libraries do not declare it (only the DOM library does).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, imports?: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class RuntimeError extends Error {}
  class CompileError extends Error {}
  interface WebAssemblyInstantiatedSource {
    module: Module;
    instance: Instance;
  }
  function instantiate(bytes: BufferSource, imports?: object): Promise<WebAssemblyInstantiatedSource>;
  function instantiate(module: Module, imports?: object): Promise<Instance>;
  /** Whether the engine would compile `bytes` (every feature they use included). */
  function validate(bytes: BufferSource): boolean;
  /** Browsers and Node 18+; compiles while the response downloads (needs `application/wasm`). */
  const instantiateStreaming:
    | ((source: Response | PromiseLike<Response>, imports?: object) => Promise<WebAssemblyInstantiatedSource>)
    | undefined;
}
type BufferSource = ArrayBufferView | ArrayBuffer;
