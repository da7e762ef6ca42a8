// Net reclassification improvement (NRI) and integrated discrimination improvement (IDI) of
// a new risk model over an old one, scored on the same cases with the same outcomes.
//
// Pencina MJ, D'Agostino RB Sr, D'Agostino RB Jr, Vasan RS. Evaluating the added predictive
// ability of a new marker: from area under the ROC curve to reclassification and beyond.
// Statistics in Medicine 2008;27:157-172.
// Pencina MJ, D'Agostino RB Sr, Steyerberg EW. Extensions of net reclassification
// improvement calculations to measure usefulness of new biomarkers. Statistics in Medicine
// 2011;30:11-21 (the category-free NRI).

/// How the standard error of an NRI is estimated.
public enum NRIVariance: Sendable, Equatable {
    /// Pencina et al. (2008), section 3.3: the McNemar-type variance under the null,
    /// (p_up,ev + p_down,ev)/n_ev + (p_up,ne + p_down,ne)/n_ne.
    case pencina2008
    /// The multinomial variance of the estimate, which also subtracts
    /// (p_up - p_down)^2/n within each group, as Hmisc's `improveProb` computes it.
    case multinomial
}

/// An NRI with its components and test.
public struct NRIResult: Sendable, Equatable {
    /// Fraction of events moved up (to a higher category, or to a higher risk if
    /// category-free).
    public var eventsUp: Double
    /// Fraction of events moved down.
    public var eventsDown: Double
    /// Fraction of non-events moved up.
    public var nonEventsUp: Double
    /// Fraction of non-events moved down.
    public var nonEventsDown: Double
    /// NRI for events, up - down.
    public var eventNRI: Double { eventsUp - eventsDown }
    /// NRI for non-events, down - up.
    public var nonEventNRI: Double { nonEventsDown - nonEventsUp }
    /// The NRI, eventNRI + nonEventNRI.
    public var nri: Double { eventNRI + nonEventNRI }
    /// Its standard error under the chosen variance.
    public var standardError: Double
    /// nri / standardError.
    public var z: Double { nri / standardError }
    /// Two-sided p-value of z.
    public var p: Double { Normal.twoSidedP(z) }
}

/// The IDI with its standard error and test.
public struct IDIResult: Sendable, Equatable {
    /// Mean new-minus-old predicted risk among events (the gain in "integrated sensitivity").
    public var eventsMeanChange: Double
    /// Mean new-minus-old predicted risk among non-events.
    public var nonEventsMeanChange: Double
    /// IDI = eventsMeanChange - nonEventsMeanChange.
    public var idi: Double { eventsMeanChange - nonEventsMeanChange }
    /// sqrt(se_ev^2 + se_ne^2), se the standard error of the mean paired change in each group.
    public var standardError: Double
    /// idi / standardError.
    public var z: Double { idi / standardError }
    /// Two-sided p-value of z.
    public var p: Double { Normal.twoSidedP(z) }
}

/// NRI and IDI of a new model over an old one.
public enum ReclassificationStatistics {
    /// Categorical NRI: risks are put into categories by `cutoffs` (ascending; a risk r is in
    /// category k when exactly k cut-offs are <= r), and a case moves up or down when its
    /// category under the new model is higher or lower than under the old one.
    public static func nri(
        old: [Double], new: [Double], outcomes: [Bool], cutoffs: [Double],
        variance: NRIVariance = .pencina2008
    ) throws -> NRIResult {
        try validate(old: old, new: new, outcomes: outcomes, requireProbabilities: true)
        guard !cutoffs.isEmpty else {
            throw MetricsError.undefined(what: "categorical NRI", reason: "no risk cut-offs given")
        }
        try requireFinite(cutoffs, "NRI cut-offs")
        for c in cutoffs where !(0...1).contains(c) {
            throw MetricsError.outOfRange(what: "NRI cut-off", value: c, range: "0...1")
        }
        guard zip(cutoffs, cutoffs.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw MetricsError.undefined(
                what: "categorical NRI", reason: "cut-offs must be strictly ascending: \(cutoffs)")
        }
        func category(_ r: Double) -> Int { cutoffs.lazy.filter { $0 <= r }.count }
        let moves = zip(old, new).map { category($1) - category($0) }
        return try tally(moves: moves, outcomes: outcomes, variance: variance)
    }

    /// Category-free (continuous) NRI: a case moves up when its new risk is strictly higher
    /// than its old one, down when strictly lower (Pencina et al., 2011).
    public static func continuousNRI(
        old: [Double], new: [Double], outcomes: [Bool], variance: NRIVariance = .pencina2008
    ) throws -> NRIResult {
        try validate(old: old, new: new, outcomes: outcomes, requireProbabilities: false)
        let moves = zip(old, new).map { $1 > $0 ? 1 : ($1 < $0 ? -1 : 0) }
        return try tally(moves: moves, outcomes: outcomes, variance: variance)
    }

    /// IDI (Pencina et al., 2008, section 3.4): the difference between events and non-events
    /// in the mean change of predicted risk, with SE from the paired changes in each group.
    public static func idi(old: [Double], new: [Double], outcomes: [Bool]) throws -> IDIResult {
        try validate(old: old, new: new, outcomes: outcomes, requireProbabilities: true)
        let changes = zip(old, new).map { $1 - $0 }
        let events = zip(changes, outcomes).filter { $0.1 }.map { $0.0 }
        let nonEvents = zip(changes, outcomes).filter { !$0.1 }.map { $0.0 }
        guard events.count >= 2, nonEvents.count >= 2 else {
            throw MetricsError.tooFewCases(
                what: "IDI standard error (per class)", needed: 2,
                actual: min(events.count, nonEvents.count))
        }
        let meanEvents = events.reduce(0, +) / Double(events.count)
        let meanNonEvents = nonEvents.reduce(0, +) / Double(nonEvents.count)
        let se =
            (sampleCovariance(events, events) / Double(events.count)
            + sampleCovariance(nonEvents, nonEvents) / Double(nonEvents.count)).squareRoot()
        guard se > 0 else {
            throw MetricsError.undefined(
                what: "IDI test", reason: "the risk changes have zero variance in both groups")
        }
        return IDIResult(
            eventsMeanChange: meanEvents, nonEventsMeanChange: meanNonEvents, standardError: se)
    }

    private static func validate(
        old: [Double], new: [Double], outcomes: [Bool], requireProbabilities: Bool
    ) throws {
        try requireLength(new.count, old.count, "old and new risks")
        try requireLength(outcomes.count, old.count, "risks and outcomes")
        try requireFinite(old, "old risks")
        try requireFinite(new, "new risks")
        let events = outcomes.lazy.filter { $0 }.count
        if events == 0 { throw MetricsError.singleClass(what: "NRI/IDI", present: "non-events") }
        if events == outcomes.count {
            throw MetricsError.singleClass(what: "NRI/IDI", present: "events")
        }
        if requireProbabilities {
            for (name, risks) in [("old risk", old), ("new risk", new)] {
                if let bad = risks.first(where: { !(0...1).contains($0) }) {
                    throw MetricsError.outOfRange(what: name, value: bad, range: "0...1")
                }
            }
        }
    }

    private static func tally(moves: [Int], outcomes: [Bool], variance: NRIVariance) throws
        -> NRIResult
    {
        var counts = (eventsUp: 0.0, eventsDown: 0.0, nonEventsUp: 0.0, nonEventsDown: 0.0)
        for (move, event) in zip(moves, outcomes) {
            switch (move > 0, move < 0, event) {
            case (true, _, true): counts.eventsUp += 1
            case (_, true, true): counts.eventsDown += 1
            case (true, _, false): counts.nonEventsUp += 1
            case (_, true, false): counts.nonEventsDown += 1
            default: break
            }
        }
        let nEvents = Double(outcomes.lazy.filter { $0 }.count)
        let nNonEvents = Double(outcomes.count) - nEvents
        let up = counts.eventsUp / nEvents
        let down = counts.eventsDown / nEvents
        let upNE = counts.nonEventsUp / nNonEvents
        let downNE = counts.nonEventsDown / nNonEvents
        var v = (up + down) / nEvents + (upNE + downNE) / nNonEvents
        if variance == .multinomial {
            v -=
                (up - down) * (up - down) / nEvents + (downNE - upNE) * (downNE - upNE) / nNonEvents
        }
        guard v > 0 else {
            throw MetricsError.undefined(
                what: "NRI test", reason: "its standard error is zero (no case was reclassified)")
        }
        return NRIResult(
            eventsUp: up, eventsDown: down, nonEventsUp: upNE, nonEventsDown: downNE,
            standardError: v.squareRoot())
    }
}
