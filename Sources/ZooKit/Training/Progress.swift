import Foundation

/// Training progress: a bar redrawn in place on a terminal, one plain line per epoch
/// otherwise (logs, CI).
public final class Progress {
    private let interactive: Bool
    private let write: (String) -> Void

    public init(interactive: Bool = isatty(STDOUT_FILENO) != 0, write: @escaping (String) -> Void = { print($0) }) {
        self.interactive = interactive
        self.write = write
    }

    /// Batch `step` of `steps` in `epoch` of `epochs`, with the running loss and the time left.
    public func batch(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, elapsed: Double) {
        guard interactive else { return }
        let width = 24
        let filled = steps > 0 ? width * step / steps : width
        let eta = step > 0 ? elapsed / Double(step) * Double(steps - step) : 0
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "epoch %d/%d [%@] %d/%d  loss %.4f  eta %.0fs", epoch, epochs, bar, step, steps, loss, eta)
        FileHandle.standardOutput.write(("\r" + line).data(using: .utf8)!)
    }

    /// The end of an epoch: one line with its numbers.
    public func epoch(_ text: String) {
        if interactive { FileHandle.standardOutput.write("\r\u{1B}[K".data(using: .utf8)!) }
        write(text)
    }

    public func message(_ text: String) { write(text) }
}
