import CBLAS
import Foundation

/// OpenBLAS, opened at run time so that its kernel can be chosen before it loads.
///
/// Debian's OpenBLAS 0.3.21 picks its GEMM kernel from the CPU model when the library is
/// loaded, and on CPUs newer than it knows it falls back to the generic `Prescott` kernel at a
/// fraction of the speed. Setting `OPENBLAS_CORETYPE` inside a process that has already linked
/// OpenBLAS is too late, so the engine does not link it: it sets the variable (only when the
/// environment leaves it unset), then `dlopen`s the library, and keeps the choice only if a
/// numerical self-test against a reference product passes.
public enum BLAS {
    typealias SgemmFunction = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, Float,
        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
        UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    typealias CoreNameFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?
    typealias SetThreadsFunction = @convention(c) (Int32) -> Void

    struct Library {
        let handle: UnsafeMutableRawPointer
        let sgemm: SgemmFunction
        let coreName: String
        let selection: String
    }

    static let library: Library = load()

    /// The OpenBLAS kernel in use, e.g. `Zen`, `Haswell`, `SkylakeX`.
    public static var coreName: String { library.coreName }

    /// How the kernel was chosen: by OpenBLAS itself, by the environment, or by Zoo.
    public static var kernelSelection: String { library.selection }

    /// Kernel names that OpenBLAS uses when it does not recognise the CPU.
    static let genericCores: Set<String> = ["Prescott", "Core2", "Katmai", "Northwood", "Banias", "Atom"]

    private static func open(_ names: [String]) -> UnsafeMutableRawPointer? {
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return handle }
        }
        return nil
    }

    private static let libraryNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]

    private static func bind(_ handle: UnsafeMutableRawPointer, selection: String) -> Library {
        guard let sgemmSymbol = dlsym(handle, "cblas_sgemm") else {
            fatalError("ZooTensor: the OpenBLAS library has no cblas_sgemm")
        }
        var name = "unknown"
        if let symbol = dlsym(handle, "openblas_get_corename") {
            let function = unsafeBitCast(symbol, to: CoreNameFunction.self)
            if let text = function() { name = String(cString: text) }
        }
        if let symbol = dlsym(handle, "openblas_set_num_threads") {
            // The engine's threads call OpenBLAS; OpenBLAS itself adds none (see `Parallel`).
            unsafeBitCast(symbol, to: SetThreadsFunction.self)(1)
        }
        return Library(
            handle: handle, sgemm: unsafeBitCast(sgemmSymbol, to: SgemmFunction.self),
            coreName: name, selection: selection)
    }

    private static func load() -> Library {
        let environment = ProcessInfo.processInfo.environment
        let preset = environment["OPENBLAS_CORETYPE"]
        let wanted = preset == nil ? preferredCore() : nil
        if let wanted { setenv("OPENBLAS_CORETYPE", wanted, 1) }
        guard let handle = open(libraryNames) else {
            fatalError(
                "ZooTensor: cannot open OpenBLAS (\(libraryNames.joined(separator: ", "))); "
                    + "install libopenblas0 (Debian/Ubuntu: apt-get install libopenblas-dev)")
        }
        if let preset { return bind(handle, selection: "OPENBLAS_CORETYPE=\(preset) from the environment") }
        guard let wanted else { return bind(handle, selection: "chosen by OpenBLAS") }
        let chosen = bind(handle, selection: "OPENBLAS_CORETYPE=\(wanted) set by Zoo")
        if selfTest(chosen.sgemm) { return chosen }
        // The forced kernel computed a wrong product: fall back to OpenBLAS's own choice.
        dlclose(handle)
        unsetenv("OPENBLAS_CORETYPE")
        guard let fallback = open(libraryNames) else { fatalError("ZooTensor: cannot reopen OpenBLAS") }
        return bind(fallback, selection: "chosen by OpenBLAS (forced \(wanted) failed its self-test)")
    }

    /// The kernel to force, or nil to let OpenBLAS decide. A probe load tells which kernel
    /// OpenBLAS would pick on its own.
    private static func preferredCore() -> String? {
        // Without /proc/cpuinfo there are no flags, so OpenBLAS keeps its own kernel choice,
        // which is always correct, only perhaps slower.
        let flags = CPUInfo.flags
        guard flags.contains("avx2"), let probe = open(libraryNames) else { return nil }
        var detected = ""
        if let symbol = dlsym(probe, "openblas_get_corename"),
            let text = unsafeBitCast(symbol, to: CoreNameFunction.self)()
        {
            detected = String(cString: text)
        }
        dlclose(probe)
        return coreToForce(detected: detected, cpuFlags: flags)
    }

    /// Only a generic fallback on a CPU with AVX2 or AVX-512 is overridden: with the kernel
    /// that matches the widest vector unit.
    static func coreToForce(detected: String, cpuFlags flags: Set<String>) -> String? {
        guard genericCores.contains(detected), flags.contains("avx2") else { return nil }
        return flags.contains("avx512f") && flags.contains("avx512bw") ? "SkylakeX" : "Haswell"
    }

    /// Compares a 67x45 by 45x71 product against a plain triple loop in Double.
    static func selfTest(_ sgemm: SgemmFunction) -> Bool {
        let (m, k, n) = (67, 45, 71)
        var random = RandomGenerator(seed: 7)
        let a = (0..<(m * k)).map { _ in random.nextUniform(-1, 1) }
        let b = (0..<(k * n)).map { _ in random.nextUniform(-1, 1) }
        var c = [Float](repeating: 0, count: m * n)
        sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k),
            b, Int32(n), 0, &c, Int32(n))
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0
                for p in 0..<k { exact += Double(a[i * k + p]) * Double(b[p * n + j]) }
                if abs(exact - Double(c[i * n + j])) > 1e-4 * max(1, abs(exact)) { return false }
            }
        }
        return true
    }

    /// The same product spread over the pool: C is cut into one block of rows (or, when it
    /// has few rows, of columns) per thread, each a single-threaded OpenBLAS call.
    static func parallelSgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let threads = Parallel.threadCount
        let minimumBlock = 32
        if m >= threads * minimumBlock {
            Parallel.forEach(threads) { piece in
                let (r0, r1) = (m * piece / threads, m * (piece + 1) / threads)
                sgemm(
                    transA: transA, transB: transB, m: r1 - r0, n: n, k: k, alpha: alpha,
                    a: transA ? a + r0 : a + r0 * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + r0 * ldc, ldc: ldc)
            }
        } else if n >= threads * minimumBlock {
            Parallel.forEach(threads) { piece in
                let (c0, c1) = (n * piece / threads, n * (piece + 1) / threads)
                sgemm(
                    transA: transA, transB: transB, m: m, n: c1 - c0, k: k, alpha: alpha, a: a, lda: lda,
                    b: transB ? b + c0 * ldb : b + c0, ldb: ldb, beta: beta, c: c + c0, ldc: ldc)
            }
        } else {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// C = alpha * op(A) * op(B) + beta * C, row-major, with leading dimensions.
    @inline(__always)
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // OpenBLAS leaves C untouched when k is 0; the product is then beta * C.
            for row in 0..<m {
                for column in 0..<n { c[row * ldc + column] *= beta }
            }
            return
        }
        library.sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
