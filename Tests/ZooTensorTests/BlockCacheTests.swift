import XCTest

@testable import ZooTensor

/// The block cache keeps freed blocks up to its limit, or up to the most bytes the process had
/// in use at once: a step whose activations exceed the limit must find its blocks again.
final class BlockCacheTests: XCTestCase {
    func testFreedBlocksAreKeptUpToTheLargestAmountOnceInUse() {
        let block = 1 << 20
        let cache = BlockCache(limit: 2 * block)
        // A "step" holding five blocks at once, then freeing them: beyond the 2-block limit,
        // all five stay, since the process once had five in use.
        let step = (0..<5).map { _ in cache.take(block) }
        XCTAssertEqual(cache.peakLiveBytes, 5 * block)
        for pointer in step { cache.give(pointer, bytes: block) }
        XCTAssertEqual(cache.cachedBytes, 5 * block)
        // The next step gets the same blocks back.
        let again = (0..<5).map { _ in cache.take(block) }
        XCTAssertEqual(Set(again), Set(step))
        XCTAssertEqual(cache.cachedBytes, 0)
        for pointer in again { cache.give(pointer, bytes: block) }
        // Blocks of a size never in use together with them are bounded all the same: the cache
        // holds at most the larger of the limit and that peak.
        let other = (0..<3).map { _ in cache.take(block + 64) }
        for pointer in other { cache.give(pointer, bytes: block + 64) }
        XCTAssertLessThanOrEqual(cache.cachedBytes, max(cache.limit, cache.peakLiveBytes))
        XCTAssertEqual(cache.cachedBytes, 5 * block)
    }
}
