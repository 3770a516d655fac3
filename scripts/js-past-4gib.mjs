// Manual check (about 10 GB of RAM, ~25 s, so not part of npm test): the JS backend past 4 GiB
// of memory gives the same bits as wasm. Run after a build: node scripts/js-past-4gib.mjs
import { init, RMSprop, ParamStore } from "../dist/index.js";
await init({ backend: "js" });
const big = new ParamStore({ a: 600_000_000 }, { reserve: 0 });
const s = new ParamStore({ w: 1027 }, { reserve: 0 });
const ptr = s.param("w").byteOffset;
console.log("w at byte", ptr, ptr > 2 ** 32 ? "(past 4 GiB)" : "");
const w = s.param("w"); for (let i = 0; i < w.length; i++) w[i] = Math.sin(i);
const g = s.grad("w"); for (let i = 0; i < g.length; i++) g[i] = Math.cos(i);
const opt = new RMSprop(s, { lr: 0.01, momentum: 0.9, centered: true });
opt.step(); opt.step();
const got = s.param("w").slice();
await init({ backend: "wasm" });
const w2 = new Float32Array(1027).map((_, i) => Math.sin(i)), g2 = new Float32Array(1027).map((_, i) => Math.cos(i));
const o2 = new RMSprop([w2], { lr: 0.01, momentum: 0.9, centered: true }); o2.step([g2]); o2.step([g2]);
const a = new Uint32Array(got.buffer), b = new Uint32Array(w2.buffer);
console.log("identical bits past 4 GiB:", a.every((x, i) => x === b[i]));
