// A `.wasm` import is a compiled WebAssembly.Module in Cloudflare Workers (and in wrangler,
// esbuild with a copy loader, or workerd configs), which is how src/index.workerd.ts loads it.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
