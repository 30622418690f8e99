/* nnlib.portable in the browser: exp, log and power as fixed float64 polynomials, rounded once to
 * float32, so the same bits as nnlib on every CPU and in every browser (JavaScript numbers are
 * IEEE doubles, and each + - * / is rounded as numpy rounds it). Used by the chapter modules. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;
  const LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
  const INV_LN2 = 1.44269504088896338700e+00;
  const EXP_COEF = [], LOG_COEF = [];
  for (let k = 12; k >= 0; k--) { let p = 1; for (let j = 1; j <= k; j++) p *= j; EXP_COEF.push(1 / p); }
  for (let k = 11; k >= 0; k--) LOG_COEF.push(1 / (2 * k + 1));
  function horner(coef, x) {
    let p = x * coef[0];
    p += coef[1];
    for (let i = 2; i < coef.length; i++) { p *= x; p += coef[i]; }
    return p;
  }
  // numpy's rint: halves to even
  function rint(x) { return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x); }
  const POW2 = new Float64Array(2046);   // 2^k for k = -1022 .. 1023, exact
  for (let k = -1022; k <= 1023; k++) POW2[k + 1022] = Math.pow(2, k);
  function ldexp(x, k) {
    if (k > 1023) return ldexp(x * POW2[2045], k - 1023);
    if (k < -1022) return ldexp(x * POW2[0], k + 1022);
    return x * POW2[k + 1022];
  }
  function exp64(x) {
    if (Number.isNaN(x)) return NaN;
    x = Math.min(Math.max(x, -746.0), 710.0);
    const n = rint(x * INV_LN2);
    let r = x - n * LN2_HI;
    r -= n * LN2_LO;
    return ldexp(horner(EXP_COEF, r), n);
  }
  function frexp(x) { // finite x > 0: x = m * 2^e with m in [0.5, 1)
    let e = Math.floor(Math.log2(x)) + 1;
    let m = ldexp(x, -e);
    while (m < 0.5) { m *= 2; e -= 1; }
    while (m >= 1) { m /= 2; e += 1; }
    return [m, e];
  }
  function log64(x) {
    let [m, e] = frexp(x);
    if (m < 0.70710678118654752440) { m = m * 2.0; e = e - 1; }
    const s = (m - 1.0) / (m + 1.0);
    let out = 2.0 * s * horner(LOG_COEF, s * s);
    out += e * LN2_LO;
    out += e * LN2_HI;
    return out;
  }
  function expm1_64(x) {
    if (Math.abs(x) < 0.5) {      // u * (1 + u/2 * (1 + u/3 * (1 + ... (1 + u/16))))
      let p = 1.0;
      for (let k = 16; k > 1; k--) { p *= x / k; p += 1.0; }
      return x * p;
    }
    return exp64(x) - 1.0;
  }
  function tanh(x) {
    x = f(x);
    if (Number.isNaN(x)) return NaN;
    const a = Math.min(Math.abs(x), 20.0);
    const em1 = expm1_64(2.0 * a);
    const t = em1 / (em1 + 2.0);
    return f(x < 0 || Object.is(x, -0) ? -t : t);
  }
  // numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src) of a[lo], ..., a[lo + n - 1],
  // each addition rounded by r: Math.fround for a float32 row, none for float64
  function pairwiseWith(r) {
    return function sum(a, lo, n) {
      if (n < 8) {
        let s = -0.0;
        for (let i = 0; i < n; i++) s = r(s + a[lo + i]);
        return s;
      }
      if (n <= 128) {   // eight running sums (scalars: no array per call)
        let r0 = a[lo], r1 = a[lo + 1], r2 = a[lo + 2], r3 = a[lo + 3];
        let r4 = a[lo + 4], r5 = a[lo + 5], r6 = a[lo + 6], r7 = a[lo + 7];
        let i = 8;
        for (; i < n - (n % 8); i += 8) {
          const b = lo + i;
          r0 = r(r0 + a[b]); r1 = r(r1 + a[b + 1]); r2 = r(r2 + a[b + 2]); r3 = r(r3 + a[b + 3]);
          r4 = r(r4 + a[b + 4]); r5 = r(r5 + a[b + 5]); r6 = r(r6 + a[b + 6]); r7 = r(r7 + a[b + 7]);
        }
        let res = r(r(r(r0 + r1) + r(r2 + r3)) + r(r(r4 + r5) + r(r6 + r7)));
        for (; i < n; i++) res = r(res + a[lo + i]);
        return res;
      }
      let n2 = Math.floor(n / 2);
      n2 -= n2 % 8;
      return r(sum(a, lo, n2) + sum(a, lo + n2, n - n2));
    };
  }
  const pairwise = pairwiseWith(f), pairwise64 = pairwiseWith((x) => x);
  // uniform numbers in [0, 1) from a seed (mulberry32): the pages' own random draws, the same in
  // every browser (not numpy's: a browser test hands them to nnlib where it must compare)
  function uniform(seed) {
    let s = seed | 0;
    return () => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  // nnlib.neurons_activations' float32 kernels (chapters 1 and 10): name -> [f(z, alpha), f'(z, a, alpha)], a = f(z)
  const P = () => W.portable;
  const kernels = {
    sigmoid: [(z) => P().sigmoid(z), (z, a) => f(a * f(1 - a))],
    tanh: [(z) => P().tanh(z), (z, a) => f(1 - f(a * a))],
    relu: [(z) => (z > 0 ? z : 0), (z) => (z > 0 ? 1 : 0)],
    leaky_relu: [(z, al) => Math.max(f(al * z), z), (z, a, al) => (z > 0 ? 1 : al)],
    elu: [(z) => (z > 0 ? z : P().expm1(Math.min(z, 0))), (z, a) => (z > 0 ? 1 : f(a + 1))],
    swish: [(z) => f(z * P().sigmoid(z)),
            (z) => { const s = P().sigmoid(z); return f(s * f(1 + f(z * f(1 - s)))); }],
  };
  W.portable = {
    pairwise, pairwise64, uniform, kernels,
    exp64, log64, expm1_64, tanh,
    expm1: (x) => f(expm1_64(f(x))),
    sigmoid: (x) => f(1.0 / (1.0 + exp64(-f(x)))),
    exp: (x) => f(exp64(f(x))),
    log: (x) => {
      x = f(x);
      if (Number.isNaN(x)) return NaN;
      if (x === Infinity) return Infinity;
      if (x === 0) return -Infinity;
      if (x < 0) return NaN;
      return f(log64(x));
    },
    power: (base, t) => f(exp64(t * log64(f(base)))),
  };
})();
