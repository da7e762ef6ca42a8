import Foundation

/// The CPU as /proc/cpuinfo describes its first processor: what the BLAS kernel choice, the
/// convolution plan file and `zoo --version` name. Empty without /proc/cpuinfo (a container
/// without it): no flags, so OpenBLAS keeps its own kernel choice.
public enum CPUInfo {
    /// The first processor's `key: value` lines.
    static let fields: [String: String] = {
        var fields = [String: String]()
        for line in ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        return fields
    }()

    /// The instruction-set flags (`avx2`, `avx512f`, ...).
    public static let flags: Set<String> = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))

    /// The model name, e.g. `AMD EPYC 7B13`; nil without /proc/cpuinfo.
    public static var modelName: String? { fields["model name"] }

    /// The model name with family, model and widest vector unit: a virtual machine's name alone
    /// ("Intel Xeon Processor") does not tell AVX2 from AVX-512.
    public static var summary: String {
        let vector = flags.contains("avx512f") ? "AVX-512" : flags.contains("avx2") ? "AVX2" : "no AVX2"
        return "\(modelName ?? "unknown CPU") (family \(fields["cpu family"] ?? "?") model \(fields["model"] ?? "?"), \(vector))"
    }
}
