import XCTest

@testable import ZooTensor

/// The block cache keeps freed blocks while the blocks in use and cached stay within its limit,
/// or twice the most bytes the process had in use at once: a step whose activations exceed the
/// limit must find its blocks again, those of the sizes it frees early among them.
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
        // Blocks of sizes that keep changing are bounded all the same: the footprint stays
        // within twice that peak, and the blocks beyond it are freed.
        for size in 1...4 {
            let other = (0..<3).map { _ in cache.take(block + 64 * size) }
            for pointer in other { cache.give(pointer, bytes: block + 64 * size) }
        }
        XCTAssertEqual(cache.peakLiveBytes, 5 * block)
        XCTAssertLessThanOrEqual(cache.cachedBytes, 2 * cache.peakLiveBytes)
        XCTAssertGreaterThan(cache.cachedBytes, 2 * cache.peakLiveBytes - (block + 256), "blocks freed below the bound")
    }

    /// A step that holds blocks of one size, frees them, then holds blocks of another (a forward
    /// pass's activations, then a backward pass's gradients) needs both sets each step, though
    /// never both at once. Bounding the cache by the peak in use dropped the second set every
    /// step, to be faulted in again the next (the 3D U-Net at 96^3 refaulted 233 MB a step).
    func testAStepThatUsesTwoSizesInTurnFindsBothAgain() {
        let (forward, backward) = (1 << 20, 3 << 18)
        let cache = BlockCache(limit: 0)
        func step() -> (Set<UnsafeMutableRawPointer>, Set<UnsafeMutableRawPointer>) {
            let activations = (0..<4).map { _ in cache.take(forward) }
            for pointer in activations { cache.give(pointer, bytes: forward) }
            let gradients = (0..<4).map { _ in cache.take(backward) }
            for pointer in gradients { cache.give(pointer, bytes: backward) }
            return (Set(activations), Set(gradients))
        }
        let first = step()
        let second = step()
        XCTAssertEqual(cache.peakLiveBytes, 4 * forward)
        XCTAssertEqual(second.0, first.0, "the forward blocks")
        XCTAssertEqual(second.1, first.1, "the backward blocks, freed while the forward ones were cached")
        XCTAssertEqual(cache.cachedBytes, 4 * (forward + backward))
    }
}
