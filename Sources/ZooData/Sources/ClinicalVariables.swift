import ZooCore
import ZooTensor

/// Tabular variables of each sample (age, sex, lesion size, ...): the inputs of a clinical
/// model reported beside the image models. A CSV manifest's extra numeric columns are its
/// variables; the parotid phantom simulates three.
public protocol ClinicalVariables {
    /// The variables this source has, in its order.
    var clinicalColumns: [String] { get }
    /// The value of `column` for sample `index`; nil where it is missing or not a number.
    func clinicalValue(_ column: String, at index: Int) -> Double?
}

extension ParotidUltrasoundPhantom: ClinicalVariables {
    /// `age` (years), `sex` (1 female) and `diameter_mm` (the lesion's, as reported), drawn
    /// from the sample's class with overlap (malignant lesions are larger and their patients
    /// older on average) and a generator of their own, so the images are unchanged.
    public var clinicalColumns: [String] { ["age", "sex", "diameter_mm"] }

    public func clinicalValue(_ column: String, at index: Int) -> Double? {
        guard clinicalColumns.contains(column), (0..<count).contains(index) else { return nil }
        var random = generator(index, 0xC11A)
        let malignant = info(at: index).label == 1
        let age = (malignant ? 58 : 48) + 13 * random.nextNormal()
        let sex: Float = random.chance(0.55) ? 1 : 0
        let diameter = Swift.max(4, (malignant ? 24 : 18) + 7 * random.nextNormal())
        switch column {
        case "age": return Double((age * 10).rounded() / 10)
        case "sex": return Double(sex)
        default: return Double((diameter * 10).rounded() / 10)
        }
    }
}
