"""The device functions the ``cuda`` column's templates call (``wd_*``), as CUDA C++.

NumPy's scalar-loop semantics (npy_math), written once for every dtype as templates:
integer arithmetic wraps (done in unsigned 64-bit: signed overflow is undefined in C),
division by zero gives NumPy's 0, INT_MIN // -1 wraps, shifts past the width give 0 (or
the sign fill), min/max propagate NaN, fmin/fmax drop it. The same text compiles for the
host under ``hostshim.HEADER`` (tests check kernel values without a GPU).
"""

PRELUDE = r"""
typedef unsigned long long wd_u64;

template <class T> struct wd_uns { typedef T type; };
template <> struct wd_uns<signed char> { typedef unsigned char type; };
template <> struct wd_uns<short> { typedef unsigned short type; };
template <> struct wd_uns<int> { typedef unsigned int type; };
template <> struct wd_uns<long long> { typedef unsigned long long type; };
template <class T> struct wd_is_signed { static const bool value = (T)(-1) < (T)0; };

template <class T> __device__ __forceinline__ T wd_add(T a, T b) { return (T)((wd_u64)a + (wd_u64)b); }
template <class T> __device__ __forceinline__ T wd_sub(T a, T b) { return (T)((wd_u64)a - (wd_u64)b); }
template <class T> __device__ __forceinline__ T wd_mul(T a, T b) { return (T)((wd_u64)a * (wd_u64)b); }
template <class T> __device__ __forceinline__ T wd_abs(T a) { return a < 0 ? wd_sub((T)0, a) : a; }
template <class T> __device__ __forceinline__ T wd_min_value() {
    return wd_is_signed<T>::value ? (T)((wd_u64)1 << (sizeof(T) * 8 - 1)) : (T)0;
}

__device__ __forceinline__ bool wd_isnan(double x) { return x != x; }
__device__ __forceinline__ bool wd_isnan(float x) { return x != x; }
__device__ __forceinline__ bool wd_isinf(double x) { return fabs(x) == (1.0 / 0.0); }
__device__ __forceinline__ bool wd_isinf(float x) { return fabsf(x) == (1.0f / 0.0f); }
__device__ __forceinline__ bool wd_isfinite(double x) { return fabs(x) < (1.0 / 0.0); }
__device__ __forceinline__ bool wd_isfinite(float x) { return fabsf(x) < (1.0f / 0.0f); }
__device__ __forceinline__ bool wd_signbit(double x) { return __double_as_longlong(x) < 0; }
__device__ __forceinline__ bool wd_signbit(float x) { return __float_as_int(x) < 0; }
__device__ __forceinline__ double wd_nan(double) { return __longlong_as_double(0x7ff8000000000000LL); }
__device__ __forceinline__ float wd_nan(float) { return __int_as_float(0x7fc00000); }

/* integers: npy_divmod / npy_remainder / fmod, division by zero gives 0 */
template <class T> __device__ __forceinline__ T wd_floor_divide(T a, T b) {
    if (b == 0) return 0;
    if (wd_is_signed<T>::value && b == (T)-1) return wd_sub((T)0, a);   /* INT_MIN wraps */
    T q = a / b;
    if (wd_is_signed<T>::value && (a % b) != 0 && ((a < 0) != (b < 0))) q = q - 1;
    return q;
}
template <class T> __device__ __forceinline__ T wd_remainder(T a, T b) {
    if (b == 0 || (wd_is_signed<T>::value && b == (T)-1)) return 0;
    T r = a % b;
    if (wd_is_signed<T>::value && r != 0 && ((r < 0) != (b < 0))) r = r + b;
    return r;
}
template <class T> __device__ __forceinline__ T wd_fmod(T a, T b) {
    if (b == 0 || (wd_is_signed<T>::value && b == (T)-1)) return 0;
    return a % b;
}
/* floats: npy_divmod's quotient and npy_remainder */
#define WD_FLOAT_DIVMOD(T, F)                                                         \
__device__ __forceinline__ T wd_floor_divide(T x, T y) {                              \
    if (y == 0) return x / y;                                                         \
    T mod = fmod##F(x, y);                                                            \
    T div = (x - mod) / y;                                                            \
    if (mod != 0 && ((y < 0) != (mod < 0))) div = div - (T)1;                         \
    T fl = floor##F(div);                                                             \
    if (div - fl > (T)0.5) fl = fl + (T)1;                                            \
    return div != 0 ? fl : copysign##F((T)0, x / y);                                  \
}                                                                                     \
__device__ __forceinline__ T wd_remainder(T x, T y) {                                 \
    T mod = fmod##F(x, y);                                                            \
    if (y == 0) return mod;                                                           \
    if (mod != 0) return ((y < 0) != (mod < 0)) ? mod + y : mod;                      \
    return copysign##F((T)0, y);                                                      \
}                                                                                     \
__device__ __forceinline__ T wd_logaddexp(T x, T y) {                                 \
    if (x == y) return x + (T)0.693147180559945309417232121458176568;                  \
    T t = x - y;                                                                      \
    if (t > 0) return x + log1p##F(exp##F(-t));                                       \
    if (t <= 0) return y + log1p##F(exp##F(t));                                       \
    return t;                                                                         \
}                                                                                     \
__device__ __forceinline__ T wd_logaddexp2(T x, T y) {                                \
    const T log2e = (T)1.442695040888963407359924681001892137;                        \
    if (x == y) return x + (T)1;                                                      \
    T t = x - y;                                                                      \
    if (t > 0) return x + log2e * log1p##F(exp2##F(-t));                              \
    if (t <= 0) return y + log2e * log1p##F(exp2##F(t));                              \
    return t;                                                                         \
}                                                                                     \
__device__ __forceinline__ T wd_heaviside(T x, T h0) {                                \
    if (x != x) return x;                                                             \
    if (x == 0) return h0;                                                            \
    return x < 0 ? (T)0 : (T)1;                                                       \
}                                                                                     \
__device__ __forceinline__ T wd_fmax(T x, T y) { return (x >= y || y != y) ? x : y; } \
__device__ __forceinline__ T wd_fmin(T x, T y) { return (x <= y || y != y) ? x : y; } \
__device__ __forceinline__ T wd_variance_of_one(T x) {                                \
    T d = x - x;                                                                      \
    return x != x ? wd_nan(x) : d * d;                                                \
}                                                                                     \
__device__ __forceinline__ long long wd_nan_position(T x) { return x != x ? -1 : 0; }
WD_FLOAT_DIVMOD(double, )
WD_FLOAT_DIVMOD(float, f)

/* nanmean of one element: its sum from +0.0, or 0 / 0 (x86's NaN: sign bit set) */
__device__ __forceinline__ double wd_mean_of_one(double x) {
    return x != x ? __longlong_as_double((long long)0xfff8000000000000ULL) : x + 0.0;
}
__device__ __forceinline__ float wd_mean_of_one(float x) {
    return x != x ? __int_as_float((int)0xffc00000U) : x + 0.0f;
}

/* npy_spacing: the next float away from zero minus x */
__device__ __forceinline__ double wd_spacing(double x) {
    if (x != x) return x;
    if (wd_isinf(x)) return wd_nan(x);
    double up = x == 0 ? __longlong_as_double(1LL) : __longlong_as_double(__double_as_longlong(x) + 1);
    return up - x;
}
__device__ __forceinline__ float wd_spacing(float x) {
    if (x != x) return x;
    if (wd_isinf(x)) return wd_nan(x);
    float up = x == 0 ? __int_as_float(1) : __int_as_float(__float_as_int(x) + 1);
    return up - x;
}

/* ldexp's mixed loop: NumPy clamps an int64 exponent to C int's range */
template <class E> __device__ __forceinline__ double wd_ldexp(double x, E e) {
    long long v = (long long)e;
    v = v < -2147483647LL - 1 ? -2147483647LL - 1 : v > 2147483647LL ? 2147483647LL : v;
    return ldexp(x, (int)v);
}
template <class E> __device__ __forceinline__ float wd_ldexp(float x, E e) {
    long long v = (long long)e;
    v = v < -2147483647LL - 1 ? -2147483647LL - 1 : v > 2147483647LL ? 2147483647LL : v;
    return ldexpf(x, (int)v);
}

/* NumPy's maximum/minimum: (isnan(x) || x > y) ? x : y (NaN propagates) */
template <class T> __device__ __forceinline__ T wd_maximum(T x, T y) { return (x != x || x > y) ? x : y; }
template <class T> __device__ __forceinline__ T wd_minimum(T x, T y) { return (x != x || x < y) ? x : y; }

/* arg reductions: candidate (bv, bi) replaces (av, ai) when strictly better, or equal
   and earlier; a NaN beats any number, and the earlier of two NaNs wins */
template <class T> __device__ __forceinline__ bool wd_arg_take(bool better, T bv, long long bi, T av, long long ai) {
    bool bn = bv != bv, an = av != av;
    if (an) return bn && bi < ai;
    if (bn) return true;
    return better || (bv == av && bi < ai);
}

template <class T> __device__ __forceinline__ T wd_sign(T x) {
    if (x > 0) return (T)1;
    if (x < 0) return (T)-1;
    return x == 0 ? (T)0 : x;   /* NaN stays */
}

template <class T> __device__ __forceinline__ unsigned char wd_bitwise_count(T x) {
    typedef typename wd_uns<T>::type U;
    return (unsigned char)__popcll((wd_u64)(U)wd_abs(x));
}

template <class T> __device__ __forceinline__ typename wd_uns<T>::type wd_gcd_bits(T a, T b) {
    typedef typename wd_uns<T>::type U;
    U x = (U)wd_abs(a), y = (U)wd_abs(b);
    while (x != 0) { U r = (U)(y % x); y = x; x = r; }
    return y;
}
template <class T> __device__ __forceinline__ T wd_gcd(T a, T b) { return (T)wd_gcd_bits(a, b); }
template <class T> __device__ __forceinline__ T wd_lcm(T a, T b) {
    typedef typename wd_uns<T>::type U;
    U g = wd_gcd_bits(a, b);
    if (g == 0) return 0;
    return (T)((wd_u64)(U)((U)wd_abs(a) / g) * (wd_u64)(U)wd_abs(b));
}

template <class T> __device__ __forceinline__ T wd_left_shift(T x, T s) {
    return (wd_u64)s < sizeof(T) * 8 ? (T)((wd_u64)x << (wd_u64)s) : (T)0;
}
template <class T> __device__ __forceinline__ T wd_right_shift(T x, T s) {
    if ((wd_u64)s < sizeof(T) * 8) return (T)(x >> s);
    return (wd_is_signed<T>::value && x < 0) ? (T)-1 : (T)0;
}
"""
