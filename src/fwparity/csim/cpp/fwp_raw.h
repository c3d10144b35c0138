// fwparity raw-bit access to ap_fixed / ap_ufixed / ap_int / ap_uint, shared by the generated bridge and by
// instrumented hls4ml tops. Values cross the Python/C boundary as raw two's-complement bits only: no element ever
// goes through double. Widths <= 63 travel as one sign-extended int64 per element; wider types as
// ceil(W/64) little-endian uint64 words per element (Python reassembles and sign-extends them).
#ifndef FWPARITY_FWP_RAW_H_
#define FWPARITY_FWP_RAW_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "ap_fixed.h"
#include "ap_int.h"

// The bridge's entry points stay visible even when a project builds with -fvisibility=hidden.
#define FWP_EXPORT __attribute__((visibility("default")))

namespace fwp {

// Compile-time description of a type; Python reads it back (fwp_port_info) so a wrapped project's ports are typed
// by the compiler that builds them, not by a parser of typedefs.
template <class T> struct traits;
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> struct traits<ap_fixed<W, I, Q, O, N>> {
    static const int width = W, iwidth = I, is_signed = 1, qmode = (int)Q, omode = (int)O, nsat = N, is_int = 0;
};
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> struct traits<ap_ufixed<W, I, Q, O, N>> {
    static const int width = W, iwidth = I, is_signed = 0, qmode = (int)Q, omode = (int)O, nsat = N, is_int = 0;
};
template <int W> struct traits<ap_int<W>> {
    static const int width = W, iwidth = W, is_signed = 1, qmode = (int)AP_TRN, omode = (int)AP_WRAP, nsat = 0,
                     is_int = 1;
};
template <int W> struct traits<ap_uint<W>> {
    static const int width = W, iwidth = W, is_signed = 0, qmode = (int)AP_TRN, omode = (int)AP_WRAP, nsat = 0,
                     is_int = 1;
};

constexpr int nwords(int width) { return (width + 63) / 64; }

// info[0..7] = size, width, iwidth, signed, qmode, omode, nsat, is_int
template <class T> inline void describe(long long size, long long *info) {
    info[0] = size;
    info[1] = traits<T>::width;
    info[2] = traits<T>::iwidth;
    info[3] = traits<T>::is_signed;
    info[4] = traits<T>::qmode;
    info[5] = traits<T>::omode;
    info[6] = traits<T>::nsat;
    info[7] = traits<T>::is_int;
}

// Set element `idx` of a raw buffer into x, bit for bit (the range assignment bypasses quantisation).
template <class T> inline void set_raw(T &x, const void *base, long long idx) {
    constexpr int W = traits<T>::width;
    if constexpr (W <= 63) {
        x.range(W - 1, 0) = (unsigned long long)(static_cast<const int64_t *>(base)[idx]);
    } else {
        const uint64_t *p = static_cast<const uint64_t *>(base) + idx * nwords(W);
        for (int k = 0; k < nwords(W); ++k) {
            const int lo = 64 * k, hi = (64 * k + 63 < W - 1) ? 64 * k + 63 : W - 1;
            x.range(hi, lo) = (unsigned long long)p[k];
        }
    }
}

// Read x's raw bits into element `idx` of a raw buffer (sign-extended to int64 when W <= 63).
template <class T> inline void get_raw(const T &cx, void *base, long long idx) {
    constexpr int W = traits<T>::width;
    T x = cx; // range() is not const on every header version
    if constexpr (W <= 63) {
        uint64_t u = x.range(W - 1, 0).to_uint64();
        int64_t v;
        if (traits<T>::is_signed) {
            v = (int64_t)(u << (64 - W)) >> (64 - W);
        } else {
            v = (int64_t)u;
        }
        static_cast<int64_t *>(base)[idx] = v;
    } else {
        uint64_t *p = static_cast<uint64_t *>(base) + idx * nwords(W);
        for (int k = 0; k < nwords(W); ++k) {
            const int lo = 64 * k, hi = (64 * k + 63 < W - 1) ? 64 * k + 63 : W - 1;
            p[k] = x.range(hi, lo).to_uint64();
        }
    }
}

// A stream packet: hls4ml's io_stream packs elements into nnet::array<T, N> (value_type, size, operator[]);
// anything else is a packet of one element.
template <class T, class = void> struct packet {
    typedef T elem;
    static const unsigned n = 1;
    static elem &at(T &p, unsigned) { return p; }
};
template <class T> struct packet<T, std::void_t<typename T::value_type>> {
    typedef typename T::value_type elem;
    static const unsigned n = T::size;
    static elem &at(T &p, unsigned i) { return p[i]; }
};

// Push `size` raw elements of vector v into a stream of packets P.
template <class P, class Stream> inline void stream_in(Stream &s, const void *base, long long v, long long size) {
    typedef packet<P> K;
    for (long long p = 0; p < size / (long long)K::n; ++p) {
        P pkt;
        for (unsigned j = 0; j < K::n; ++j)
            set_raw(K::at(pkt, j), base, v * size + p * K::n + j);
        s.write(pkt);
    }
}

// Pop `size` raw elements of vector v from a stream; 1 if it held fewer, 2 if more, else 0.
template <class P, class Stream> inline int stream_out(Stream &s, void *base, long long v, long long size) {
    typedef packet<P> K;
    for (long long p = 0; p < size / (long long)K::n; ++p) {
        if (s.empty())
            return 1;
        P pkt = s.read();
        for (unsigned j = 0; j < K::n; ++j)
            get_raw(K::at(pkt, j), base, v * size + p * K::n + j);
    }
    return s.empty() ? 0 : 2;
}

// Per-layer trace: the runner points trace_ptrs[k] at a raw buffer of (n_vectors, size) and the bridge sets
// trace_vector before each call; instrumented tops call trace_store after each layer.
extern void **trace_ptrs;
extern long long trace_vector;

template <class T> inline void trace_store(int k, const T *arr, long long size) {
    if (trace_ptrs == nullptr || trace_ptrs[k] == nullptr)
        return;
    for (long long e = 0; e < size; ++e)
        get_raw(arr[e], trace_ptrs[k], trace_vector * size + e);
}

// Trace a stream between layers: read its packets, record them, and write them back in order (hls4ml's own
// save_layer_output does the same).
template <class Stream> inline void trace_stream(int k, Stream &s, long long size) {
    if (trace_ptrs == nullptr || trace_ptrs[k] == nullptr)
        return;
    typedef typename std::decay<decltype(s.read())>::type P;
    typedef packet<P> K;
    std::vector<P> keep;
    for (long long p = 0; p < size / (long long)K::n && !s.empty(); ++p) {
        P pkt = s.read();
        for (unsigned j = 0; j < K::n; ++j)
            get_raw(K::at(pkt, j), trace_ptrs[k], trace_vector * size + p * K::n + j);
        keep.push_back(pkt);
    }
    for (size_t i = 0; i < keep.size(); ++i)
        s.write(keep[i]);
}

} // namespace fwp

#endif
