import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

/// The functional graph: symbolic shapes, Keras's layer order, running, liveness.
final class FunctionalGraphTests: XCTestCase {
    func testShapesPropagateThroughEveryKindOfLayer() throws {
        let x = try Input(shape: [9, 9, 3])
        let conv = try Conv2D(filters: 4, kernelSize: [3], inputChannels: 3, strides: [2])(x)
        XCTAssertEqual(conv.shape, [4, 4, 4])
        let same = try Conv2D(filters: 5, kernelSize: [3], inputChannels: 4, strides: [2], padding: .same)(conv)
        XCTAssertEqual(same.shape, [2, 2, 5])
        let up = try Conv2DTranspose(filters: 2, kernelSize: [3], inputChannels: 5, strides: [2])(same)
        XCTAssertEqual(up.shape, [5, 5, 2], "Keras: n * stride + max(kernel - stride, 0)")
        let padded = try ZeroPadding([(1, 2), (0, 1)])(up)
        XCTAssertEqual(padded.shape, [8, 6, 2])
        let pooled = try MaxPooling2D(poolSize: [2])(padded)
        XCTAssertEqual(pooled.shape, [4, 3, 2])
        let joined = try Concatenate()([pooled, pooled])
        XCTAssertEqual(joined.shape, [4, 3, 4])
        let flat = try Flatten()(joined)
        XCTAssertEqual(flat.shape, [48])
        XCTAssertEqual(try Dense(units: 7, inputFeatures: 48)(flat).shape, [7])
        XCTAssertEqual(try GlobalAveragePooling2D()(joined).shape, [4])
        let separable = try SeparableConv2D(filters: 6, kernelSize: [3], inputChannels: 3, padding: .same)(x)
        XCTAssertEqual(separable.shape, [9, 9, 6])
        XCTAssertEqual(try DepthwiseConv2D(kernelSize: [3], inputChannels: 3, depthMultiplier: 2)(x).shape, [7, 7, 6])

        // Unknown extents stay unknown; the channels are always known.
        let any = try Input(shape: [nil, nil, 1])
        let y = try Conv3DOr2D(any)
        XCTAssertEqual(y.shape, [nil, nil, 8])
        XCTAssertEqual(try UpSampling(size: [2, 2])(y).shape, [nil, nil, 8])
        XCTAssertThrowsError(try Flatten(name: "flat")(y)) { error in
            XCTAssertTrue("\(error)".contains("layer 'flat'"), "\(error)")
        }
    }

    private func Conv3DOr2D(_ x: SymbolicTensor) throws -> SymbolicTensor {
        try Conv2D(filters: 8, kernelSize: [3], inputChannels: x.channels, padding: .same)(x)
    }

    /// A wrong channel count is found when the model is built, naming the layer and the shape.
    func testWrongShapesAreErrorsAtConstructionNamingTheLayer() throws {
        let x = try Input(shape: [8, 8, 3])
        XCTAssertThrowsError(try Conv2D(filters: 4, kernelSize: [3], inputChannels: 1, name: "stem_conv")(x)) { error in
            XCTAssertEqual("\(error)", "layer 'stem_conv': Conv2D expects (batch, height, width, 1), got (None, 8, 8, 3)")
        }
        let a = try Conv2D(filters: 4, kernelSize: [3], inputChannels: 3)(x)
        XCTAssertThrowsError(try Add(name: "sum")([a, x])) { error in
            XCTAssertTrue("\(error)".hasPrefix("layer 'sum': Add needs 2 or more inputs of one shape"), "\(error)")
        }
        XCTAssertThrowsError(try MaxPooling2D(poolSize: [16], name: "big_pool")(x)) { error in
            XCTAssertTrue("\(error)".contains("layer 'big_pool'") && "\(error)".contains("too small"), "\(error)")
        }
        XCTAssertThrowsError(try Dense(units: 2, inputFeatures: 5, name: "fc")(x)) { error in
            XCTAssertEqual("\(error)", "layer 'fc': Dense expects (..., 5), got (None, 8, 8, 3)")
        }
    }

    /// Keras lists `input -> a -> (b1, b2 -> b2')` joined by a concatenation as input, a, b2,
    /// b1, b2', concatenate: by decreasing depth, ties in the order a walk back from the
    /// output meets them (checked with Keras 3.15; the same graph as InceptionTests').
    func testLayersComeInKerasOrderWhateverTheCreationOrder() throws {
        let x = try Input(shape: [8, 8, 3], name: "in")
        let a = try Conv2D(filters: 4, kernelSize: [1], inputChannels: 3, name: "a")(x)
        let b1 = try Conv2D(filters: 4, kernelSize: [1], inputChannels: 4, name: "b1")(a)
        let b2 = try Conv2D(filters: 4, kernelSize: [1], inputChannels: 4, name: "b2")(a)
        let b2b = try Conv2D(filters: 4, kernelSize: [1], inputChannels: 4, name: "b2b")(b2)
        let model = try Model(inputs: x, outputs: Concatenate(name: "join")([b1, b2b]), name: "m")
        XCTAssertEqual(model.layers.map(\.name), ["in", "a", "b2", "b1", "b2b", "join"])
        XCTAssertEqual(model.namedParameters.first?.path, "a/kernel")
        // A layer that no output depends on is not part of the model.
        _ = try Conv2D(filters: 2, kernelSize: [1], inputChannels: 4, name: "unused")(a)
        XCTAssertFalse(try Model(inputs: x, outputs: b1, name: "m2").layers.map(\.name).contains("unused"))
    }

    func testSeveralInputsAndOutputs() throws {
        let a = try Input(shape: [2], name: "a")
        let b = try Input(shape: [2], name: "b")
        let sum = try Add(name: "sum")([a, b])
        let joined = try Concatenate(name: "joined")([a, sum])
        let model = try Model(inputs: [a, b], outputs: [sum, joined], name: "two")
        let outputs = try model([Tensor(shape: [1, 2], scalars: [1, 2]), Tensor(shape: [1, 2], scalars: [10, 20])])
        XCTAssertEqual(outputs.map(\.scalars), [[11, 22], [1, 2, 11, 22]])
        XCTAssertThrowsError(try model(Tensor(shape: [1, 2], scalars: [1, 2]))) { error in
            XCTAssertTrue("\(error)".contains("takes 2 input(s), got 1"), "\(error)")
        }
        // An output that depends on an input the model was not given is an error naming it.
        XCTAssertThrowsError(try Model(inputs: [a], outputs: [sum], name: "half")) { error in
            XCTAssertTrue("\(error)".contains("input 'b'"), "\(error)")
        }
    }

    /// A functional model called on a symbolic tensor is one layer of the outer model, its
    /// parameters under its name, as a Keras backbone under a head.
    func testANestedModelIsOneScopedLayer() throws {
        let innerInput = try Input(shape: [4, 4, 2], name: "inner_input")
        let features = try Conv2D(filters: 3, kernelSize: [1], inputChannels: 2, name: "conv")(innerInput)
        let backbone = try Model(inputs: innerInput, outputs: features, name: "backbone", isScope: true)
        let x = try Input(shape: [4, 4, 2], name: "image")
        let head = try Dense(units: 1, inputFeatures: 3, name: "head")(GlobalAveragePooling2D(name: "pool")(backbone(x)))
        let model = try Model(inputs: x, outputs: head, name: "classifier")
        XCTAssertEqual(model.children.map(\.name), ["image", "backbone", "pool", "head"])
        XCTAssertEqual(model.namedParameters.map(\.path), ["backbone/conv/kernel", "backbone/conv/bias", "head/kernel", "head/bias"])
        let y = try model(Tensor(zeros: [2, 4, 4, 2]))
        XCTAssertEqual(y.shape, [2, 1])
        XCTAssertThrowsError(try backbone(Input(shape: [4, 4, 5]))) { error in
            XCTAssertTrue("\(error)".contains("layer 'backbone'"), "\(error)")
        }
    }

    /// Running the graph drops each intermediate once its last consumer has run: when the
    /// third layer runs, the first one's output is gone; an output of the model is kept.
    /// Inference fuses each sum into the convolution before it; a sum that is the last reader of
    /// its other input lets oneDNN write over it. The model's input (the caller holds it) and an
    /// intermediate read again after the sum keep their values, and the outputs are the layers'.
    func testASumWritesOverItsOtherInputOnlyWhenNothingReadsItAfter() throws {
        func conv(_ name: String) -> Conv2D {
            Conv2D(filters: 8, kernelSize: [3], inputChannels: 8, padding: .same, name: name)
        }
        let x = try Input(shape: [6, 6, 8])
        let a = try conv("a")(x)
        let b = try ReLU()(Add(name: "a_dies")([conv("b")(a), a]))
        let c = try Add(name: "input_stays")([conv("c")(b), x])
        let d = try Add(name: "c_read_after")([conv("d")(c), c])
        let model = try Model(inputs: x, outputs: Concatenate()([d, c]), name: "sums")
        model.setTraining(false)
        let input = uniform([2, 6, 6, 8], seed: 3)
        let inputValues = input.scalars
        for algorithm in ConvolutionAlgorithm.allCases {
            try ConvolutionAlgorithm.using(algorithm) {
                let plain = try withoutGrad { try LayerHooks.with({ _, _, output in output }) { try model(input) } }
                for _ in 0..<2 {
                    let fused = try withoutGrad { try model(input) }
                    XCTAssertEqual(try XCTUnwrap(model.graph).fusedChainsInLastRun, 3, "\(algorithm)")
                    assertClose(fused.scalars, plain.scalars, tolerance: 1e-5)
                    XCTAssertTrue(input.scalars == inputValues, "\(algorithm): the model's input was written")
                }
            }
        }
    }

    /// A batch normalization no convolution took (here after a concatenation, as in DenseNet)
    /// runs with its ReLU or ReLU6 in one pass in inference, with the same values; in training it
    /// normalizes by the batch and the layers run as written.
    func testANormalizationTakesItsActivationInInference() throws {
        let x = try Input(shape: [5, 5, 4])
        let joined = try Concatenate()([x, x])
        let norm = BatchNormalization(channels: 8, name: "norm")
        let model = try Model(inputs: x, outputs: ReLU(maxValue: 6)(norm(joined)), name: "pre_activation")
        for (index, parameter) in norm.parameters.enumerated() {
            parameter.value.withUnsafeMutableBufferPointer { values in
                for k in values.indices { values[k] = index == 3 ? 0.5 + Float(k) / 8 : Float(k) / 4 - 1 }
            }
        }
        let input = uniform([2, 5, 5, 4], -8, 8, seed: 4)
        model.setTraining(false)
        let fused = try withoutGrad { try model(input) }
        XCTAssertEqual(try XCTUnwrap(model.graph).fusedChainsInLastRun, 1)
        let plain = try withoutGrad { try LayerHooks.with({ _, _, output in output }) { try model(input) } }
        XCTAssertEqual(fused.scalars, plain.scalars)
        XCTAssertTrue(fused.scalars.contains(0) && fused.scalars.contains(6), "both ends of ReLU6 are reached")

        model.setTraining(true)
        _ = try withoutGrad { try model(input) }
        XCTAssertEqual(try XCTUnwrap(model.graph).fusedChainsInLastRun, 0)
        let statistics = BatchNormStatistics(movingMean: norm.movingMean.value, movingVariance: norm.movingVariance.value)
        XCTAssertThrowsError(
            try batchNorm(input, gamma: nil, beta: nil, statistics: statistics, training: true, activation: .relu)
        ) { error in XCTAssertTrue("\(error)".contains("for inference"), "\(error)") }
    }

    /// A dense block's concatenations, read only by normalizations and by the next
    /// concatenation, are never made in inference: each normalization reads the parts, with the
    /// same bits as the layers one by one. A join that a convolution also reads is made.
    func testJoinsReadOnlyByNormalizationsAreNotMade() throws {
        var normalizations = [BatchNormalization]()
        func denseLayer(_ x: SymbolicTensor, _ name: String) throws -> SymbolicTensor {
            let norm = BatchNormalization(channels: x.channels, name: "\(name)_bn")
            normalizations.append(norm)
            let y = try Conv2D(filters: 5, kernelSize: [3], inputChannels: x.channels, padding: .same, name: "\(name)_conv")(
                ReLU()(norm(x)))
            return try Concatenate(name: "\(name)_concat")([x, y])
        }
        let x = try Input(shape: [6, 6, 3])
        let block = try denseLayer(denseLayer(denseLayer(x, "a"), "b"), "c")
        let last = BatchNormalization(channels: 18, name: "last_bn")
        normalizations.append(last)
        let readByAConvolution = try Concatenate(name: "read_by_conv")([block, x])
        let side = try Conv2D(filters: 2, kernelSize: [1], inputChannels: 21, name: "side")(readByAConvolution)
        let model = try Model(inputs: [x], outputs: [ReLU(maxValue: 6)(last(block)), side], name: "dense_block")
        for norm in normalizations {
            for (index, parameter) in norm.parameters.enumerated() {
                parameter.value.withUnsafeMutableBufferPointer { values in
                    for k in values.indices { values[k] = index == 3 ? 0.5 + Float(k) / 8 : Float(k % 7) / 4 - 0.7 }
                }
            }
        }
        let input = uniform([2, 6, 6, 3], -3, 3, seed: 6)
        model.setTraining(false)
        let deferred = try withoutGrad { try model([input]) }
        let graph = try XCTUnwrap(model.graph)
        // a, b and c's joins; the one a convolution reads is made.
        XCTAssertEqual(graph.deferredJoinsInLastRun, 3)
        let plain = try withoutGrad { try LayerHooks.with({ _, _, output in output }) { try model([input]) } }
        XCTAssertEqual(graph.deferredJoinsInLastRun, 0)
        XCTAssertEqual(deferred.map(\.scalars), plain.map(\.scalars))
        XCTAssertEqual(deferred.map(\.shape), [[2, 6, 6, 18], [2, 6, 6, 2]])

        // In training state the normalizations cannot take parts: the joins are made for them.
        model.setTraining(true)
        let made = try withoutGrad { try model([input]) }
        XCTAssertEqual(graph.deferredJoinsInLastRun, 3)
        XCTAssertEqual(graph.fusedChainsInLastRun, 0)
        // Batch statistics: the output does not depend on the moving statistics the runs update.
        let asWritten = try withoutGrad { try LayerHooks.with({ _, _, output in output }) { try model([input]) } }
        XCTAssertEqual(made.map(\.scalars), asWritten.map(\.scalars))
        XCTAssertNotEqual(made[0].scalars, deferred[0].scalars)
    }

    /// A zero padding read only by a convolution with `valid` or explicit padding is that
    /// convolution's padding in inference: no padded copy, the same values. A padding read by
    /// two layers, by a `same` convolution or by a pooling is made.
    func testAConvolutionTakesTheZeroPaddingBeforeIt() throws {
        let x = try Input(shape: [7, 6, 4])
        let norm = BatchNormalization(channels: 5, name: "norm")
        let strided = try ReLU(maxValue: 6)(norm(Conv2D(filters: 5, kernelSize: [3], inputChannels: 4, strides: [2], name: "strided")(
            ZeroPadding([(0, 1), (1, 2)], name: "strided_pad")(x))))
        let explicit = try Conv2D(
            filters: 3, kernelSize: [2], inputChannels: 4, padding: .explicit(before: [1, 0], after: [0, 1]), name: "explicit")(
                ZeroPadding(symmetric: 1, name: "explicit_pad")(x))
        let depthwise = try DepthwiseConv2D(kernelSize: [3], inputChannels: 4, strides: [2], name: "depthwise")(
            ZeroPadding([(1, 1), (0, 1)], name: "depthwise_pad")(x))
        let shared = try ZeroPadding(symmetric: 1, name: "shared_pad")(x)
        let sharedA = try Conv2D(filters: 2, kernelSize: [3], inputChannels: 4, name: "shared_a")(shared)
        let sharedB = try Conv2D(filters: 2, kernelSize: [1], inputChannels: 4, name: "shared_b")(shared)
        let same = try Conv2D(filters: 2, kernelSize: [3], inputChannels: 4, padding: .same, name: "same")(
            ZeroPadding(symmetric: 1, name: "same_pad")(x))
        let pooled = try MaxPooling2D(poolSize: [3], strides: [2], name: "pool")(ZeroPadding(symmetric: 1, name: "pool_pad")(x))
        let outputs = [strided, explicit, depthwise, sharedA, sharedB, same, pooled]
        let model = try Model(inputs: [x], outputs: outputs, name: "paddings")
        for (index, parameter) in norm.parameters.enumerated() {
            parameter.value.withUnsafeMutableBufferPointer { values in
                for k in values.indices { values[k] = index == 3 ? 0.5 + Float(k) / 8 : Float(k) / 4 - 0.5 }
            }
        }
        // Negative inputs, so that a padding of anything but zeros would show in the pooling.
        let input = uniform([2, 7, 6, 4], -4, 1, seed: 8)
        model.setTraining(false)
        for algorithm in ConvolutionAlgorithm.allCases {
            try ConvolutionAlgorithm.using(algorithm) {
                let taken = try withoutGrad { try model([input]) }
                let graph = try XCTUnwrap(model.graph)
                XCTAssertEqual(graph.paddingsTakenInLastRun, 3, "\(algorithm)")
                let plain = try withoutGrad { try LayerHooks.with({ _, _, output in output }) { try model([input]) } }
                XCTAssertEqual(graph.paddingsTakenInLastRun, 0)
                XCTAssertEqual(taken.map(\.shape), plain.map(\.shape), "\(algorithm)")
                for (index, (a, b)) in zip(taken, plain).enumerated() {
                    assertClose(a.scalars, b.scalars, tolerance: 1e-5, "\(algorithm), output \(index)")
                }
            }
        }
        // In training state the normalization cannot be folded: the padding is made for it.
        model.setTraining(true)
        let made = try withoutGrad { try model([input]) }
        XCTAssertEqual(try XCTUnwrap(model.graph).paddingsTakenInLastRun, 2)
        let asWritten = try withoutGrad { try LayerHooks.with({ _, _, output in output }) { try model([input]) } }
        XCTAssertEqual(made[0].scalars, asWritten[0].scalars)
    }

    func testIntermediatesAreReleasedAfterTheirLastConsumer() throws {
        let x = try Input(shape: [4])
        let first = Activation(.relu, name: "first")
        let second = Activation(.relu, name: "second")
        let third = Activation(.relu, name: "third")
        let model = try Model(inputs: x, outputs: third(second(first(x))), name: "chain")
        weak var firstOutput: Tensor?
        var firstAliveAtThird: Bool?
        _ = try withoutGrad {
            try LayerHooks.with({ layer, _, output in
                if layer === first { firstOutput = output }
                if layer === third { firstAliveAtThird = firstOutput != nil }
                return output
            }) { try model(Tensor(shape: [1, 4], scalars: [1, -1, 2, -2])) }
        }
        XCTAssertEqual(firstAliveAtThird, false, "the first layer's output outlived its only consumer")

        let kept = try Model(inputs: [x], outputs: [first(x), third(second(first(x)))], name: "two_outputs")
        weak var keptOutput: Tensor?
        var keptAliveAtEnd: Bool?
        let outputs = try withoutGrad {
            try LayerHooks.with({ layer, _, output in
                if layer === first, keptOutput == nil { keptOutput = output }
                if layer === third { keptAliveAtEnd = keptOutput != nil }
                return output
            }) { try kept([Tensor(shape: [1, 4], scalars: [1, -1, 2, -2])]) }
        }
        XCTAssertEqual(keptAliveAtEnd, true)
        XCTAssertEqual(outputs[0].scalars, [1, 0, 2, 0])
    }
}
