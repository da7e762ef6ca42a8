/// What a dataset knows about a sample without decoding it: enough to split, stratify,
/// group by patient and weigh classes.
public struct SampleInfo: Equatable, Sendable, Codable {
    /// A stable identifier, unique within the dataset (saved splits refer to it).
    public var id: String
    /// The class index into the dataset's `classNames`, when the sample has a class.
    public var label: Int?
    /// The patient (or other group) the sample belongs to; splits keep a group on one side.
    public var group: String?
    /// The file the image comes from, if any.
    public var path: String?
    /// The part a manifest's split column assigns the sample to (`train`, `validation`,
    /// `test`), for fixed splits (`data.split.method: column`).
    public var split: String?

    public init(id: String, label: Int? = nil, group: String? = nil, path: String? = nil, split: String? = nil) {
        self.id = id
        self.label = label
        self.group = group
        self.path = path
        self.split = split
    }
}

/// One decoded sample: an image (HWC) or volume (DHWC), with its class and/or mask.
public struct Sample: Sendable {
    /// The image or volume, channels last.
    public var image: ImageArray
    /// The class index, when the sample has one.
    public var label: Int?
    /// A segmentation mask with the image's spatial shape and one channel, holding class
    /// indices (0 is background). Geometric transforms move it with the image.
    public var mask: ImageArray?
    /// Identifier, group and path.
    public var info: SampleInfo
    /// Voxel spacing along the spatial axes ([dy, dx] or [dz, dy, dx]), when known.
    public var spacing: [Float]?
    /// Where the voxels lie in the patient (volumes read from NIfTI or DICOM series), after the
    /// reorientation the source applied; geometric transforms that change the grid (resize,
    /// `spacing`) update it, and a predicted mask is written back through it.
    public var geometry: VolumeGeometry?

    public init(
        image: ImageArray, label: Int? = nil, mask: ImageArray? = nil, info: SampleInfo,
        spacing: [Float]? = nil
    ) {
        self.image = image
        self.label = label
        self.mask = mask
        self.info = info
        self.spacing = spacing
    }

    /// The sample's identifier.
    public var id: String { info.id }

    /// Throws unless the mask, if any, has the image's spatial shape and one channel.
    public func validateMask(source: String) throws {
        guard let mask else { return }
        guard mask.spatialShape == image.spatialShape, mask.channels == 1 else {
            throw DataError(
                source,
                "mask shape \(mask.shape) does not match image shape \(image.shape) (same spatial extents, one channel)"
            )
        }
    }
}
