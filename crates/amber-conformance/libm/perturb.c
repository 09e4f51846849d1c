/* A stand-in for the C library's transcendental functions, to check that the corpus's
 * tolerances hold for any libm within an ulp or two of glibc's or of the correctly rounded
 * value (spec/estimators.md, "Transcendental functions"). Linux with glibc; preloaded into
 * the Rust reader, which calls these functions from the C library:
 *
 *   cc -O2 -shared -fPIC -o /tmp/perturb.so crates/amber-conformance/libm/perturb.c -ldl -lm
 *   AMBER_LIBM=up LD_PRELOAD=/tmp/perturb.so target/release/amber-conformance
 *
 * See crates/amber-conformance/README.md, "A libm of your own". */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
/* Replaces the libm functions the Rust reader calls. AMBER_LIBM = up | down | alt | cr | up2
   up/down: glibc's result moved one ulp toward +inf/-inf; up2: two ulps up;
   alt: one ulp up or down by a hash of the argument; cr: computed in long double (64-bit
   mantissa) and rounded once to double, which is the correctly rounded value unless the
   exact one lies within about 2^-11 ulp of a halfway point between two doubles. */
static int mode = -1;
static int get_mode(void) {
  if (mode < 0) {
    const char *m = getenv("AMBER_LIBM");
    mode = !m ? 0 : !strcmp(m,"up") ? 1 : !strcmp(m,"down") ? 2 : !strcmp(m,"alt") ? 3 : !strcmp(m,"cr") ? 4 : !strcmp(m,"up2") ? 5 : 0;
  }
  return mode;
}
static double perturb(double r, double x) {
  if (!isfinite(r) || r == 0.0) return r;
  switch (get_mode()) {
    case 1: return nextafter(r, INFINITY);
    case 2: return nextafter(r, -INFINITY);
    case 5: return nextafter(nextafter(r, INFINITY), INFINITY);
    case 3: { uint64_t b; memcpy(&b, &x, 8); b *= 0x9E3779B97F4A7C15ull; return (b >> 63) ? nextafter(r, INFINITY) : nextafter(r, -INFINITY); }
  }
  return r;
}
#define WRAP1(name, lname) \
  double name(double x) { \
    static double (*real)(double); \
    if (!real) real = (double (*)(double))dlsym(RTLD_NEXT, #name); \
    if (get_mode() == 4) return (double)lname((long double)x); \
    return perturb(real(x), x); }
WRAP1(exp, expl)
WRAP1(log, logl)
WRAP1(log1p, log1pl)
WRAP1(expm1, expm1l)
WRAP1(exp2, exp2l)
WRAP1(log2, log2l)
WRAP1(log10, log10l)
WRAP1(sinh, sinhl)
WRAP1(cbrt, cbrtl)
double pow(double x, double y) {
  static double (*real)(double, double);
  if (!real) real = (double (*)(double, double))dlsym(RTLD_NEXT, "pow");
  if (get_mode() == 4) return (double)powl((long double)x, (long double)y);
  return perturb(real(x, y), x * 3.0 + y);
}
