// Synthetic ratings with a known answer: every user and every item has a hidden vector of
// `rank` numbers, and a rating is the dot product of the two plus a little noise. No model can
// predict held-out ratings better than the noise; one that learns the hidden vectors comes near.
//
// As in real ratings, a few items are very popular and most are rarely rated, and users rate
// different numbers of items: the rows of the embedding tables are touched at very different
// rates, which is the case per-row learning rates (Adagrad) are for.
import { seeded } from "../shared/random.mjs";

/**
 * `{ train, heldOut }`, each `{ user: Int32Array, item: Int32Array, rating: Float32Array,
 * count }`, with `heldOutFraction` of the ratings, drawn at random, held out. Each user rates
 * between `minPerUser` and `maxPerUser` distinct items. The hidden vectors have entries of
 * variance 1/sqrt(rank), so a noiseless rating has variance 1.
 */
export function makeRatings({ users, items, rank, minPerUser, maxPerUser, noise, heldOutFraction, seed }) {
  const random = seeded(seed);
  const gaussian = gaussianFrom(random);
  const scale = rank ** -0.25;
  const hiddenUser = Float32Array.from({ length: users * rank }, () => scale * gaussian());
  const hiddenItem = Float32Array.from({ length: items * rank }, () => scale * gaussian());

  // Room for every user's most ratings; each rating goes to one part as it is drawn.
  const parts = [allocate(users * maxPerUser), allocate(users * maxPerUser)];
  const rated = [];
  for (let u = 0; u < users; u++) {
    // Most users rate a few items, some rate many.
    const count = minPerUser + Math.floor((maxPerUser - minPerUser + 1) * random() ** 2);
    rated.length = 0;
    while (rated.length < count) {
      // Item i is drawn with probability roughly proportional to i^(-2/3): item 0 is the most
      // popular, and the last half of the items together get about a fifth of the ratings.
      const i = Math.min(items - 1, Math.floor(items * random() ** 3));
      if (rated.includes(i)) continue;
      rated.push(i);
      let dot = 0;
      for (let k = 0; k < rank; k++) dot += hiddenUser[u * rank + k] * hiddenItem[i * rank + k];
      const part = parts[random() < heldOutFraction ? 1 : 0];
      part.user[part.count] = u;
      part.item[part.count] = i;
      part.rating[part.count] = dot + noise * gaussian();
      part.count++;
    }
  }
  const [train, heldOut] = parts.map(trim);
  return { train, heldOut };
}

function allocate(capacity) {
  return { user: new Int32Array(capacity), item: new Int32Array(capacity), rating: new Float32Array(capacity), count: 0 };
}

function trim({ user, item, rating, count }) {
  return { user: user.slice(0, count), item: item.slice(0, count), rating: rating.slice(0, count), count };
}

/** Standard normal numbers from uniform ones (Box–Muller, both values used). */
function gaussianFrom(random) {
  let spare;
  return () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
