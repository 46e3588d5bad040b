/** `.wasm` imports: wrangler and the vitest plugin load them as compiled modules (CompiledWasm). */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
