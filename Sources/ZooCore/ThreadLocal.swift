import Foundation

/// A value of type `T` per thread, for scopes that apply to whatever runs inside them on the
/// current thread (a shape trace, the generator that initializes new weights).
final class ThreadLocal<T: AnyObject> {
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        self.key = key
    }

    var value: T? {
        get { pthread_getspecific(key).map { Unmanaged<T>.fromOpaque($0).takeUnretainedValue() } }
        set {
            if let old = pthread_getspecific(key) { Unmanaged<T>.fromOpaque(old).release() }
            pthread_setspecific(key, newValue.map { Unmanaged.passRetained($0).toOpaque() })
        }
    }

    /// Runs `body` with `value` set, restoring the previous value afterwards.
    func with<R>(_ scoped: T, _ body: () throws -> R) rethrows -> R {
        let previous = value
        value = scoped
        defer { value = previous }
        return try body()
    }
}
