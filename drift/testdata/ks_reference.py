#!/usr/bin/env python3
"""Reference values for the KS p-value tests in drift/ks_reference_test.go.

Run from the repository root (Python 3 and mpmath; about a minute):

    python3 drift/testdata/ks_reference.py > /tmp/ks_reference.txt

and copy the printed Go table rows into the test. The script computes every
value independently of the Go code, in exact integer arithmetic or 40-digit
floating point:

* exact two-sample p-values P(D >= d) (no-ties null distribution, as SciPy's
  ks_2samp(method="exact") and R's psmirnov(exact=TRUE)): by counting the
  lattice paths that stay strictly inside the band |i/n - j/m| < d with
  Python integers ("inside method", Hodges 1957), p = 1 - inside/C(n+m, n)
  as an exact fraction; for n = m also by the reflection formula
  2*sum (-1)^(t-1) C(2n, n-t*h)/C(2n, n), exactly;
* SciPy's asymptotic two-sided p-value kstwo.sf(d, round(n*m/(n+m))), by
  SciPy's choice of method for kstwo.sf (Simard and L'Ecuyer 2011):
  2*smirnov(N, d) by the exact Birnbaum-Tingey sum where N*d^2 >= 2.2
  (N > 140) or N*d^2 > 4 (N <= 140), Durbin's matrix (exact) for N <= 140
  and N*d^2 <= 4, and one minus Pelz and Good's series otherwise;
* the statistic of samples with ties, from integer data that the Go test
  generates the same way (gen below), by exact counting.

Checked against SciPy's published values: kstwo.sf(0.05, 1000) =
0.013012074781090332 and kstwo.sf(0.02, 5000) = 0.03613941395325637, and
ks_2samp's documented exact p 0.5438289009927495 for D = 0.10927318295739348,
n = 105, m = 95 (printed first as a self-check). R 4.2.2's
psmirnov(d, sizes = c(n, m), lower.tail = FALSE, exact = TRUE) agrees at
10 000 x 1 024 (1.4e-14 relative at D = 0.045, 6.9e-11 at D = 0.09); for the
larger sums n + m here it returns 1.
"""

from fractions import Fraction
from math import comb, gcd

import mpmath as mp

mp.mp.dps = 40


def gen(n, a, c, mod, div):
    """Integer data shared with the Go test: ((a*k + c) mod mod) // div."""
    return [((a * k + c) % mod) // div for k in range(n)]


def ks_num(x, y):
    """max |i*m - j*n| over the pooled sorted values, ties advanced together."""
    n, m = len(x), len(y)
    xs, ys = sorted(x), sorted(y)
    i = j = 0
    best = 0
    while i < n or j < m:
        t = min(xs[i] if i < n else float("inf"), ys[j] if j < m else float("inf"))
        while i < n and xs[i] == t:
            i += 1
        while j < m and ys[j] == t:
            j += 1
        best = max(best, abs(i * m - j * n))
    return best


def exact_inside(n, m, k):
    """P(D*n*m >= k), two-sided, by counting paths strictly inside."""
    # Point (i, j) is inside when |i*m - j*n| < k.
    prev = None
    prev_lo = 0
    for i in range(n + 1):
        # inside j: (i*m - k)/n < j < (i*m + k)/n
        lo = max(0, (i * m - k) // n + 1)
        hi = min(m, -((-(i * m + k)) // n) - 1)
        row = []
        left = 0
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                v = 1
            else:
                up = prev[j - prev_lo] if prev is not None and prev_lo <= j < prev_lo + len(prev) else 0
                v = up + left
            row.append(v)
            left = v
        prev, prev_lo = row, lo
    inside = prev[m - prev_lo] if prev_lo <= m < prev_lo + len(prev) else 0
    return 1 - Fraction(inside, comb(n + m, n))


def exact_square(n, h):
    """P(D_{n,n} >= h/n), two-sided, reflection formula, exact."""
    total = comb(2 * n, n)
    s = 0
    t = 1
    while t * h <= n:
        term = comb(2 * n, n - t * h)
        s += term if t % 2 else -term
        t += 1
    return Fraction(2 * s, total)


def square_mp(n, h):
    """exact_square in 40-digit arithmetic, for large n (terms below 1e-45
    of the first are left out)."""
    c0 = mp.binomial(2 * n, n)
    s = mp.mpf(0)
    t = 1
    while t * h <= n:
        term = mp.binomial(2 * n, n - t * h) / c0
        s += term if t % 2 else -term
        if term < mp.mpf("1e-45") * s:
            break
        t += 1
    return 2 * s


def exact_one_sided_square(n, h):
    return Fraction(comb(2 * n, n - h), comb(2 * n, n))


def exact_one_sided(n, m, k, greater=True):
    """P(max(i*m - j*n) >= k) (greater) by counting paths strictly below."""
    prev = None
    for i in range(n + 1):
        # inside: i*m - j*n < k  ->  j > (i*m - k)/n
        lo = max(0, (i * m - k) // n + 1)
        row = [0] * (m + 1)
        left = 0
        for j in range(lo, m + 1):
            if i == 0 and j == 0:
                v = 1
            else:
                v = (prev[j] if prev is not None else 0) + left
            row[j] = v
            left = v
        prev = row
    return 1 - Fraction(prev[m], comb(n + m, n))


def smirnov_sf(N, d):
    """P(D+_N >= d), exact Birnbaum-Tingey sum (positive terms)."""
    d = mp.mpf(d)
    s = mp.mpf(0)
    last = int(mp.floor(N * (1 - d)))
    for v in range(last + 1):
        p = d + mp.mpf(v) / N
        q = 1 - p
        if q <= 0:
            break
        s += mp.binomial(N, v) * p ** (v - 1) * q ** (N - v)
    return d * s


def durbin_cdf(N, d):
    """P(D_N < d) by Durbin's matrix, in mpmath (exact up to precision)."""
    d = mp.mpf(d)
    k = int(mp.floor(N * d)) + 1
    msz = 2 * k - 1
    h = k - N * d
    H = mp.matrix(msz, msz)
    for i in range(msz):
        for j in range(msz):
            if i - j + 1 >= 0:
                H[i, j] = mp.mpf(1) / mp.factorial(i - j + 1)
    for i in range(msz):
        H[i, 0] -= h ** (i + 1) / mp.factorial(i + 1)
        H[msz - 1, i] -= h ** (msz - i) / mp.factorial(msz - i)
    if 2 * h - 1 > 0:
        H[msz - 1, 0] += (2 * h - 1) ** msz / mp.factorial(msz)
    P = H ** N
    return P[k - 1, k - 1] * mp.factorial(N) / mp.mpf(N) ** N


def pelz_good_sf(N, d):
    """One minus Pelz and Good's expansion of the Kolmogorov CDF."""
    z = mp.mpf(d) * mp.sqrt(N)
    pi = mp.pi
    K0 = K1 = K2 = K3 = mp.mpf(0)
    kmax = int(mp.ceil(16 * z / pi))
    for k in range(1, kmax + 1):
        m = 2 * k - 1
        w = mp.exp(-(m * m) * pi ** 2 / (8 * z ** 2))
        K0 += w
        K1 += (pi ** 2 * m ** 2 / 4 - z ** 2) * w
        K2 += (6 * z ** 6 + 2 * z ** 4 + (2 * z ** 4 - 5 * z ** 2) * pi ** 2 * m ** 2 / 4
               + pi ** 4 * (1 - 2 * z ** 2) * m ** 4 / 16) * w
        K3 += (-30 * z ** 6 - 90 * z ** 8 + pi ** 2 * (135 * z ** 4 - 96 * z ** 6) * m ** 2 / 4
               + pi ** 4 * (-60 * z ** 2 + 212 * z ** 4) * m ** 4 / 16
               + pi ** 6 * (5 - 30 * z ** 2) * m ** 6 / 64) * w
    e2 = e3 = mp.mpf(0)
    for k in range(1, kmax + 1):
        w = k * k * mp.exp(-(k * k) * pi ** 2 / (2 * z ** 2))
        e2 += w
        e3 += (3 * z ** 2 - pi ** 2 * k * k) * w
    s2p = mp.sqrt(2 * pi)
    K0 = s2p / z * K0
    K1 = s2p / (6 * z ** 4) * K1
    K2 = s2p / (72 * z ** 7) * K2 - pi ** 2 * s2p / (36 * z ** 3) * e2
    K3 = s2p / (6480 * z ** 10) * K3 + pi ** 2 * s2p / (216 * z ** 6) * e3
    rn = mp.sqrt(N)
    return 1 - (K0 + K1 / rn + K2 / N + K3 / (N * rn))


def kstwo_sf(d, N):
    """SciPy's kstwo.sf(d, N), by SciPy's choice of method."""
    t = N * d
    x2 = t * d
    if d >= 0.5:
        return 2 * smirnov_sf(N, d)
    if N <= 140:
        if x2 <= 4:
            return 1 - durbin_cdf(N, d)
        return 2 * smirnov_sf(N, d)
    if x2 >= 2.2:
        return 2 * smirnov_sf(N, d)
    if N <= 100000 and N * d ** 1.5 <= 1.4:
        return 1 - durbin_cdf(N, d)
    return pelz_good_sf(N, d)


def show(v):
    return mp.nstr(mp.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v, 20,
                   min_fixed=-3, max_fixed=1)


def lattice_k(d, n, m):
    """The statistic times n*m, on the lattice of multiples of gcd(n, m)."""
    g = gcd(n, m)
    lcm = n // g * m
    h = int(mp.ceil(mp.mpf(d) * lcm - mp.mpf("1e-7")))
    return h * g


def main():
    # Self-checks against SciPy's published values.
    print("// self-check: kstwo.sf(0.05, 1000) =", show(kstwo_sf(0.05, 1000)), "(SciPy 0.013012074781090332)")
    print("// self-check: kstwo.sf(0.02, 5000) =", show(kstwo_sf(0.02, 5000)), "(SciPy 0.03613941395325637)")
    print("// self-check: exact(0.10927318295739348, 105, 95) =",
          show(exact_inside(105, 95, lattice_k(0.10927318295739348, 105, 95))), "(SciPy 0.5438289009927495)")

    print("\n// exact: {d, n, m, alternative, p}")
    exact_cases = [
        # 5k x 5k and 10k x 10k: near the 5% point, a small p, p near 1/2
        (0.0272, 5000, 5000), (0.0600, 5000, 5000), (0.0160, 5000, 5000),
        (0.0192, 10000, 10000), (0.0400, 10000, 10000), (0.0110, 10000, 10000),
        # unequal sizes
        (0.0290, 5000, 4000), (0.0640, 5000, 4000),
        (0.0215, 10000, 7001),
        (0.0450, 10000, 1024), (0.0900, 10000, 1024),
        (0.0500, 9999, 10000),
    ]
    for d, n, m in exact_cases:
        k = lattice_k(d, n, m)
        p = exact_square(n, -(-k // n)) if n == m else exact_inside(n, m, k)
        print("\t{%s, %d, %d, TwoSided, %s}," % (d, n, m, show(p)))
    for d, n, m in [(0.0300, 5000, 5000), (0.0250, 3000, 2000)]:
        k = lattice_k(d, n, m)
        p = exact_one_sided_square(n, -(-k // n)) if n == m else exact_one_sided(n, m, k)
        print("\t{%s, %d, %d, Greater, %s}," % (d, n, m, show(p)))

    print("\n// asymptotic (SciPy kstwo.sf at round(en)): {d, n, m, en, p}")
    asym_cases = [
        (0.0060, 100000, 100000), (0.0100, 100000, 100000), (0.0040, 100000, 100000),
        (0.0150, 20000, 15000), (0.0300, 20000, 15000),
        (0.2000, 100000, 30), (0.4000, 100000, 30),
    ]
    for d, n, m in asym_cases:
        N = round(Fraction(n * m, n + m))  # half to even, as NumPy
        print("\t{%s, %d, %d, %d, %s}," % (d, n, m, N, show(kstwo_sf(mp.mpf(d), N))))

    print("\n// for comparison at 100k x 100k: exact two-sample p and the Kolmogorov limit")
    for d in (0.0060, 0.0100, 0.0040):
        n = 100000
        k = lattice_k(d, n, n)
        ex = square_mp(n, -(-k // n))
        lam = mp.mpf(d) * mp.sqrt(n / 2)
        limit = 2 * mp.nsum(lambda j: (-1) ** (j - 1) * mp.exp(-2 * j * j * lam * lam), [1, mp.inf])
        print("// d=%s exact %s limit %s" % (d, show(ex), mp.nstr(limit, 15)))

    print("\n// ties: {n, m, x (a, c, mod, div), y (a, c, mod, div), num, p}")
    tie_cases = [
        (3000, 2000, (7919, 13, 100003, 1000), (104729, 7, 100003, 990)),
        (8000, 6000, (7919, 13, 1000003, 20000), (104729, 7, 1000003, 19000)),
    ]
    for n, m, xa, ya in tie_cases:
        x, y = gen(n, *xa), gen(m, *ya)
        num = ks_num(x, y)
        p = exact_inside(n, m, num)
        print("\t{%d, %d, [4]int{%d, %d, %d, %d}, [4]int{%d, %d, %d, %d}, %d, %s}," % (
            n, m, *xa, *ya, num, show(p)))


if __name__ == "__main__":
    main()
