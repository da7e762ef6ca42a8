import Foundation
import ZooCore

/// Opens every file-backed sample of a dataset once, before training, so that a truncated
/// JPEG, a missing file or an image of the wrong bit depth stops a run before epoch 1
/// instead of after it. Generated samples (phantoms, arrays in memory) have no file and are
/// not decoded here.
public enum DataCheck {
    /// A sample that could not be read, with the reason.
    public struct Unreadable: Equatable, Sendable {
        public var id: String
        public var path: String
        public var message: String
    }

    /// The samples of `dataset` with a path that fail to decode, in dataset order. Decoding
    /// runs on every core.
    public static func unreadable(_ dataset: Dataset) -> [Unreadable] {
        let candidates = (0..<dataset.count).filter { dataset.info(at: $0).path != nil }
        let failures = UnsafeMutableBufferPointer<Unreadable?>.allocate(capacity: candidates.count)
        failures.initialize(repeating: nil)
        defer { failures.deallocate() }
        DispatchQueue.concurrentPerform(iterations: candidates.count) { slot in
            let index = candidates[slot]
            do {
                _ = try dataset.sample(at: index)
            } catch {
                let info = dataset.info(at: index)
                failures[slot] = Unreadable(id: info.id, path: info.path ?? "", message: "\(error)")
            }
        }
        return failures.compactMap { $0 }
    }

    /// `unreadable` as CSV (id, path, error), for the run directory.
    public static func csv(_ unreadable: [Unreadable]) -> String {
        (["id,path,error"] + unreadable.map { "\(CSV.escape($0.id)),\(CSV.escape($0.path)),\(CSV.escape($0.message))" })
            .joined(separator: "\n") + "\n"
    }
}
