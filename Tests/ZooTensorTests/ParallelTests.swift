import CDNNL
import Foundation
import XCTest

@testable import ZooTensor

/// Zoo's parallel loops run on libgomp's threads (oneDNN's) or on libdispatch's: every chunk
/// once, nested and from several threads at once, and the same numbers either way.
final class ParallelTests: XCTestCase {
    override func tearDown() {
        Parallel.pool = .openmp
        super.tearDown()
    }

    /// Whether the calling thread is inside an OpenMP parallel region.
    private static let inOpenMPRegion: (@convention(c) () -> Int32)? = zoo_dnnl_symbol("omp_in_parallel").map {
        unsafeBitCast($0, to: (@convention(c) () -> Int32).self)
    }

    /// Runs a loop of `chunks` and returns how often each chunk ran and on which threads.
    private func counts(_ chunks: Int) -> (runs: [Int], threads: Set<UInt>, inRegion: Bool) {
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
        runs.initialize(repeating: 0)
        defer { runs.deallocate() }
        let lock = NSLock()
        var threads = Set<UInt>()
        var inRegion = true
        Parallel.forEach(chunks) { chunk in
            runs[chunk] += 1
            let region = (Self.inOpenMPRegion?() ?? 0) != 0
            lock.withLock {
                threads.insert(UInt(pthread_self()))
                inRegion = inRegion && region
            }
        }
        return (Array(runs), threads, inRegion)
    }

    func testEveryChunkRunsOnceOnEitherPool() throws {
        XCTAssertTrue(ConvolutionAlgorithm.onednnAvailable, "oneDNN, and with it libgomp, is installed")
        XCTAssertNotNil(Self.inOpenMPRegion, "libgomp's omp_in_parallel")
        for pool in Parallel.Pool.allCases {
            Parallel.pool = pool
            for chunks in [2, 3, 1000] {
                let (runs, threads, inRegion) = counts(chunks)
                XCTAssertEqual(runs, [Int](repeating: 1, count: chunks), "\(pool), \(chunks) chunks")
                XCTAssertLessThanOrEqual(threads.count, Swift.max(Parallel.threadCount, pool == .dispatch ? 64 : 0), "\(pool)")
                if Parallel.threadCount > 1 {
                    XCTAssertEqual(inRegion, pool == .openmp, "\(pool): the chunks ran inside an OpenMP region")
                }
            }
        }
    }

    func testNestedLoopsRunEveryPair() {
        for pool in Parallel.Pool.allCases {
            Parallel.pool = pool
            let (outer, inner) = (7, 9)
            let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: outer * inner)
            runs.initialize(repeating: 0)
            defer { runs.deallocate() }
            Parallel.forEach(outer) { i in
                Parallel.forEach(inner) { j in runs[i * inner + j] += 1 }
            }
            XCTAssertEqual(Array(runs), [Int](repeating: 1, count: outer * inner), "\(pool)")
        }
    }

    func testLoopsStartedFromSeveralThreadsAtOnce() {
        for pool in Parallel.Pool.allCases {
            Parallel.pool = pool
            let callers = 4
            let chunks = 200
            let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers * chunks)
            runs.initialize(repeating: 0)
            defer { runs.deallocate() }
            DispatchQueue.concurrentPerform(iterations: callers) { caller in
                for _ in 0..<5 {
                    Parallel.forEach(chunks) { chunk in runs[caller * chunks + chunk] += 1 }
                }
            }
            XCTAssertEqual(Array(runs), [Int](repeating: 5, count: callers * chunks), "\(pool)")
        }
    }

    /// A kernel's pieces are fixed by the thread count, not by the thread that runs them, so the
    /// pool changes no bit of a result.
    func testAConvolutionAndItsGradientsAreTheSameBitsOnEitherPool() throws {
        let x = uniform([2, 15, 13, 24], seed: 31)
        let kernel = uniform([3, 3, 24, 40], -0.2, 0.2, seed: 32)
        var results: [[[Float]]] = []
        for pool in Parallel.Pool.allCases {
            Parallel.pool = pool
            let input = x.detached()
            input.requiresGrad = true
            let weights = kernel.detached()
            weights.requiresGrad = true
            let y = try ConvolutionAlgorithm.using(.zoo) { try conv2d(input, kernel: weights, padding: .same).relu() }
            let loss = try (y * y).sum()
            try loss.backward()
            results.append([y.scalars, try XCTUnwrap(input.grad).scalars, try XCTUnwrap(weights.grad).scalars])
        }
        XCTAssertEqual(results[0], results[1], "openmp against dispatch")
    }
}
