/// Matrix products through OpenBLAS.

extension Tensor {
    /// The product of `a` (..., k) and `b` (k, n): every leading axis of `a` is a row, so a
    /// Dense layer applies to any rank.
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 1, b.rank == 2, a.shape.last == b.shape[0] else {
            throw TensorError.shapes("matmul", "inner extents differ (need (..., k) x (k, n))", a.shape, b.shape)
        }
        let k = b.shape[0]
        let n = b.shape[1]
        let m = a.count / Swift.max(k, 1)
        let outShape = Array(a.shape.dropLast()) + [n]
        let value = Tensor.uninitialized(outShape)
        BLAS.parallelSgemm(
            transA: false, transB: false, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n,
            beta: 0, c: value.data, ldc: n)
        return result("matmul", value, inputs: [a, b]) { g in
            var gradA: Tensor?
            var gradB: Tensor?
            if a.requiresGrad {
                let da = Tensor.uninitialized(a.shape)
                BLAS.parallelSgemm(
                    transA: false, transB: true, m: m, n: k, k: n, a: g.data, lda: n, b: b.data, ldb: n,
                    beta: 0, c: da.data, ldc: k)
                gradA = da
            }
            if b.requiresGrad {
                let db = Tensor.uninitialized(b.shape)
                BLAS.parallelSgemm(
                    transA: true, transB: false, m: k, n: n, k: m, a: a.data, lda: k, b: g.data, ldb: n,
                    beta: 0, c: db.data, ldc: n)
                gradB = db
            }
            return [gradA, gradB]
        }
    }
}
