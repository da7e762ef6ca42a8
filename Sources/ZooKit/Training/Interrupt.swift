import Foundation

/// Ctrl-C during training: the first SIGINT asks the trainer to stop after the current batch
/// and save a checkpoint; a second one exits at once.
public enum Interrupt {
    /// Zero until Ctrl-C, from the first read on: a sweep waiting for SLURM asks before any
    /// trainer installs the handler (the flag was read uninitialized there, and a wait stopped
    /// as if interrupted).
    private static let flag: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()
    private static var installed = false

    /// Installs the handler (once).
    public static func install() {
        guard !installed else { return }
        installed = true
        flag.pointee = 0
        signal(SIGINT) { _ in
            if Interrupt.flag.pointee != 0 { _exit(130) }
            Interrupt.flag.pointee = 1
        }
    }

    /// Whether Ctrl-C was pressed since `install`.
    public static var requested: Bool { flag.pointee != 0 }
}
