// A per-channel scale and shift with an activation, row by row, for one instruction set
// (for_each_isa.h includes this file once per set, after isa_vectors.h): batch normalization's
// output pass. A row's last channels short of a vector go one at a time, with the same
// operations, so every set gives the same bits.

ZOO_TARGET static void ZOO_NAME(channel_affine)(
    const float *x, float *y, long rows, int channels, const float *scale, const float *shift, int activation) {
    const int whole = channels - channels % ZOO_WIDTH;
    for (long row = 0; row < rows; row++) {
        const float *in = x + row * channels;
        float *out = y + row * channels;
        for (int c = 0; c < whole; c += ZOO_WIDTH) {
            VEC v, factor, offset;
            ZOO_NAME(load)(&v, in + c, ZOO_WIDTH);
            ZOO_NAME(load)(&factor, scale + c, ZOO_WIDTH);
            ZOO_NAME(load)(&offset, shift + c, ZOO_WIDTH);
            v = v * factor + offset;
            ZOO_NAME(activate)(&v, activation);
            ZOO_NAME(store)(&v, out + c, ZOO_WIDTH);
        }
        for (int c = whole; c < channels; c++) {
            float value = in[c] * scale[c] + shift[c];
            if (activation != 0) {
                value = 0.0f >= value ? 0.0f : value;
                if (activation == 2) value = 6.0f < value ? 6.0f : value;
            }
            out[c] = value;
        }
    }
}
