import CVectorKernels
import Foundation

/// Which instruction set Zoo's C kernels (`CVectorKernels`: Winograd's tile transforms) run on.
/// Swift's own code is compiled for the x86-64 baseline (SSE2) and no package flag can widen it,
/// so the loops that gain from wider registers are in C, compiled once per set. The widest set
/// the CPU has is taken, as oneDNN and OpenBLAS take theirs; `ZOO_VECTOR_ISA` (`baseline`,
/// `avx2`, `avx512`) caps it, as `ONEDNN_MAX_CPU_ISA` caps oneDNN's. Every set gives the same
/// bits: the choice changes the time only.
public enum VectorKernels {
    public enum InstructionSet: Int, Comparable, CaseIterable, Sendable {
        case baseline, avx2, avx512

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

        /// As `ZOO_VECTOR_ISA` spells it.
        public var name: String {
            switch self {
            case .baseline: return "baseline"
            case .avx2: return "avx2"
            case .avx512: return "avx512"
            }
        }

        /// As `zoo --version` and the tables name it.
        public var summary: String {
            switch self {
            #if arch(x86_64)
            case .baseline: return "SSE2"
            #else
            case .baseline: return "the baseline"
            #endif
            case .avx2: return "AVX2"
            case .avx512: return "AVX-512"
            }
        }

        init?(name: String) {
            guard let set = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = set
        }
    }

    /// The widest set this CPU runs (as /proc/cpuinfo's flags, which name only what the kernel
    /// enabled): AVX-512 needs F, VL, BW and DQ, the subsets the kernels are compiled for. Off
    /// x86-64 the baseline is the only one built.
    public static let supported: InstructionSet = {
        #if arch(x86_64)
        let flags = CPUInfo.flags
        if ["avx512f", "avx512vl", "avx512bw", "avx512dq"].allSatisfy(flags.contains) { return .avx512 }
        if flags.contains("avx2") { return .avx2 }
        #endif
        return .baseline
    }()

    /// The set in use: the CPU's widest, capped by `ZOO_VECTOR_ISA`. An unknown value stops the
    /// process with the accepted ones (a typo would otherwise time the wrong kernels).
    public static let active: InstructionSet = {
        var set = supported
        if let text = ProcessInfo.processInfo.environment["ZOO_VECTOR_ISA"], !text.isEmpty {
            guard let cap = InstructionSet(name: text) else {
                fatalError("ZOO_VECTOR_ISA=\(text) is not one of \(InstructionSet.allCases.map(\.name).joined(separator: ", "))")
            }
            set = min(set, cap)
        }
        zoo_vector_select(zoo_vector_isa(UInt32(set.rawValue)))
        return set
    }()

    /// What `zoo --version` prints.
    public static var summary: String {
        let capped = active < supported ? ", capped by ZOO_VECTOR_ISA" : ""
        return "\(active.summary) (the CPU's widest: \(supported.summary)\(capped))"
    }

    /// Makes sure the C kernels run on `active` (read once per process).
    @inline(__always)
    static func prepare() { _ = active }

    /// Runs `body` with the C kernels on `set` (at most `supported`), then goes back to `active`:
    /// for tests that compare the sets, one at a time.
    public static func with<T>(_ set: InstructionSet, _ body: () throws -> T) rethrows -> T {
        precondition(set <= supported, "this CPU has no \(set.summary)")
        prepare()
        zoo_vector_select(zoo_vector_isa(UInt32(set.rawValue)))
        defer { zoo_vector_select(zoo_vector_isa(UInt32(active.rawValue))) }
        return try body()
    }
}
