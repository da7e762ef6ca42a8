import Foundation

/// `zoo bench --allreduce`: the time of an in-place sum over every process of gradient-sized
/// buffers (docs/SCALING.md), each checked: rank r fills its buffer with r + 1, so every
/// element of the sum must be size (size + 1) / 2.
public enum AllReduceBench {
    public struct Row: Codable, Sendable {
        public var floats: Int
        public var megabytes: Double
        public var medianSeconds: Double
        /// Bytes over time, as nccl-tests report "algbw".
        public var gigabytesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case floats, megabytes, medianSeconds = "median_seconds", gigabytesPerSecond = "gb_per_second"
        }
    }

    /// Buffers of 1M and 4M floats, and the gradients of ResNet18 (11,689,512 parameters) and
    /// ResNet50 (25,636,712).
    public static let sizes = [1 << 20, 4 << 20, 11_689_512, 25_636_712]

    public static func run(_ communicator: Communicator, sizes: [Int] = sizes, repeats: Int = 5) throws -> [Row] {
        try sizes.map { floats in
            var buffer = [Float](repeating: 0, count: floats)
            var times = [Double]()
            for round in 0..<(repeats + 1) {
                for i in buffer.indices { buffer[i] = Float(communicator.rank + 1) }
                try communicator.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                try buffer.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0) }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if round > 0 { times.append(seconds) }  // the first call sets up the transport
            }
            let expected = Float(communicator.size * (communicator.size + 1) / 2)
            if let wrong = buffer.firstIndex(where: { $0 != expected }) {
                throw RunError("all-reduce of \(floats) floats: element \(wrong) is \(buffer[wrong]), not \(expected)")
            }
            let median = times.sorted()[times.count / 2]
            let bytes = Double(floats * MemoryLayout<Float>.size)
            return Row(floats: floats, megabytes: bytes / 1e6, medianSeconds: median, gigabytesPerSecond: bytes / median / 1e9)
        }
    }

    /// The Markdown table rank 0 prints.
    public static func table(_ rows: [Row], communicator: Communicator) -> String {
        var lines = [
            "\(communicator.size) processes (\(type(of: communicator))), buckets of \(Communicators.bucket) floats; every sum checked",
            "", "| floats | MB | median ms | GB/s |", "|---:|---:|---:|---:|",
        ]
        for row in rows {
            lines.append(String(format: "| %d | %.1f | %.2f | %.2f |", row.floats, row.megabytes, row.medianSeconds * 1e3, row.gigabytesPerSecond))
        }
        return lines.joined(separator: "\n")
    }
}
