// The 10,000 MNIST digits of the `mnist` package as flat Float32Arrays: 784 pixels in [0, 1]
// per image, a label per image. Split the same way every run: of each digit's images, the first
// 80% train and the rest test.
import { createRequire } from "node:module";

const mnist = createRequire(import.meta.url)("mnist");
export const PIXELS = 28 * 28;

/** `{ train, test }`, each `{ images: Float32Array(n·784), labels: Uint8Array(n), count }`. */
export function loadDigits({ trainFraction = 0.8 } = {}) {
  const parts = { train: [], test: [] };
  for (let digit = 0; digit < 10; digit++) {
    const { raw, length } = mnist[digit];
    const cut = Math.round(length * trainFraction);
    for (let k = 0; k < length; k++) parts[k < cut ? "train" : "test"].push({ raw, k, digit });
  }
  const pack = (list) => {
    const images = new Float32Array(list.length * PIXELS);
    const labels = new Uint8Array(list.length);
    list.forEach(({ raw, k, digit }, n) => {
      for (let i = 0; i < PIXELS; i++) images[n * PIXELS + i] = raw[k * PIXELS + i];
      labels[n] = digit;
    });
    return { images, labels, count: list.length };
  };
  return { train: pack(parts.train), test: pack(parts.test) };
}
