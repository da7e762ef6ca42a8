// GDCM behind a C interface (include/zoo_dicom.h). Every entry point catches what GDCM throws:
// a C++ exception must never unwind through a Swift frame.
#include "zoo_dicom.h"

#include <gdcm-3.0/gdcmImage.h>
#include <gdcm-3.0/gdcmImageChangePlanarConfiguration.h>
#include <gdcm-3.0/gdcmImageReader.h>
#include <gdcm-3.0/gdcmReader.h>
#include <gdcm-3.0/gdcmStringFilter.h>
#include <gdcm-3.0/gdcmTrace.h>
#include <gdcm-3.0/gdcmTransferSyntax.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <set>
#include <string>
#include <vector>

namespace {

// GDCM writes its warnings and errors to stderr from any thread; Zoo reports its own errors
// (naming the file and the transfer syntax) and keeps the loader's output clean.
struct Quiet {
    Quiet() {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    }
};
const Quiet quiet;

void set_error(char *error, size_t size, const std::string &message) {
    if (size == 0) return;
    std::snprintf(error, size, "%s", message.c_str());
}

void copy_text(char *destination, size_t size, const std::string &text) {
    std::snprintf(destination, size, "%s", text.c_str());
    // DICOM pads odd-length strings with a space or a NUL; trailing spaces carry no meaning.
    for (size_t n = std::strlen(destination); n > 0 && (destination[n - 1] == ' ' || destination[n - 1] == '\0'); --n)
        destination[n - 1] = '\0';
}

void describe(const gdcm::Image &image, zoo_dicom_image *out) {
    const gdcm::PixelFormat &format = image.GetPixelFormat();
    const unsigned int *dims = image.GetDimensions();
    out->columns = static_cast<int>(dims[0]);
    out->rows = static_cast<int>(dims[1]);
    out->frames = image.GetNumberOfDimensions() > 2 ? static_cast<int>(dims[2]) : 1;
    out->samples_per_pixel = format.GetSamplesPerPixel();
    out->bits_allocated = format.GetBitsAllocated();
    out->bits_stored = format.GetBitsStored();
    out->pixel_representation = format.GetPixelRepresentation();
    copy_text(out->photometric, sizeof out->photometric, image.GetPhotometricInterpretation().GetString());
    const gdcm::TransferSyntax &syntax = image.GetTransferSyntax();
    const char *uid = gdcm::TransferSyntax::GetTSString(syntax);
    copy_text(out->transfer_syntax_uid, sizeof out->transfer_syntax_uid, uid ? uid : "unknown");
    const char *name = syntax.GetString();
    copy_text(out->transfer_syntax_name, sizeof out->transfer_syntax_name, name ? name : "unknown");
}

/// Stored integer values to float: masked to the stored bits, sign-extended when signed.
template <typename Word>
void convert_integers(const char *buffer, size_t count, int bits_stored, bool is_signed, float *out) {
    const Word *words = reinterpret_cast<const Word *>(buffer);
    const int bits = static_cast<int>(sizeof(Word) * 8);
    const bool masked = bits_stored > 0 && bits_stored < bits;
    const uint64_t mask = masked ? ((uint64_t{1} << bits_stored) - 1) : ~uint64_t{0};
    for (size_t i = 0; i < count; ++i) {
        uint64_t raw = static_cast<uint64_t>(words[i]) & mask;
        if (is_signed) {
            const int width = masked ? bits_stored : bits;
            const uint64_t sign = uint64_t{1} << (width - 1);
            const int64_t value = (raw & sign) ? static_cast<int64_t>(raw) - static_cast<int64_t>(sign << 1) : static_cast<int64_t>(raw);
            out[i] = static_cast<float>(value);
        } else {
            out[i] = static_cast<float>(raw);
        }
    }
}

}  // namespace

extern "C" int zoo_dicom_read_header(
    const char *path, const uint32_t *tags, int tag_count, char *out, size_t out_size, char *error,
    size_t error_size) {
    try {
        gdcm::Reader reader;
        reader.SetFileName(path);
        std::set<gdcm::Tag> skip;
        if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010), skip)) {
            set_error(error, error_size, "not a DICOM file GDCM can read");
            return -1;
        }
        gdcm::StringFilter filter;
        filter.SetFile(reader.GetFile());
        const gdcm::DataSet &dataset = reader.GetFile().GetDataSet();
        const gdcm::FileMetaInformation &meta = reader.GetFile().GetHeader();
        std::string records;
        for (int i = 0; i < tag_count; ++i) {
            const gdcm::Tag tag(static_cast<uint16_t>(tags[i] >> 16), static_cast<uint16_t>(tags[i] & 0xffff));
            std::string value;
            if (tag.GetGroup() == 0x0002) {
                if (meta.FindDataElement(tag)) value = filter.ToString(meta.GetDataElement(tag));
            } else if (dataset.FindDataElement(tag)) {
                value = filter.ToString(tag);
            }
            while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
            records += value;
            records += '\x1e';
        }
        if (records.size() + 1 > out_size) {
            set_error(error, error_size, "header values longer than " + std::to_string(out_size) + " bytes");
            return -1;
        }
        std::memcpy(out, records.c_str(), records.size() + 1);
        return 0;
    } catch (const std::exception &exception) {
        set_error(error, error_size, std::string("GDCM: ") + exception.what());
    } catch (...) {
        set_error(error, error_size, "GDCM failed reading the header");
    }
    return -1;
}

extern "C" int zoo_dicom_read_image_info(const char *path, zoo_dicom_image *image, char *error, size_t error_size) {
    try {
        gdcm::ImageReader reader;
        reader.SetFileName(path);
        if (!reader.Read()) {
            set_error(error, error_size, "no image GDCM can interpret (not DICOM, or no pixel data)");
            return -1;
        }
        describe(reader.GetImage(), image);
        return 0;
    } catch (const std::exception &exception) {
        set_error(error, error_size, std::string("GDCM: ") + exception.what());
    } catch (...) {
        set_error(error, error_size, "GDCM failed reading the image");
    }
    return -1;
}

extern "C" int zoo_dicom_read_pixels(
    const char *path, zoo_dicom_image *image, float *out, size_t count, char *error, size_t error_size) {
    try {
        gdcm::ImageReader reader;
        reader.SetFileName(path);
        if (!reader.Read()) {
            set_error(error, error_size, "no image GDCM can interpret (not DICOM, or no pixel data)");
            return -1;
        }
        describe(reader.GetImage(), image);
        const std::string syntax = std::string(image->transfer_syntax_name) + " (" + image->transfer_syntax_uid + ")";
        // Colour planes stored one after another become interleaved samples.
        gdcm::ImageChangePlanarConfiguration interleave;
        const gdcm::Image *decoded = &reader.GetImage();
        if (decoded->GetPixelFormat().GetSamplesPerPixel() > 1 && decoded->GetPlanarConfiguration() == 1) {
            interleave.SetPlanarConfiguration(0);
            interleave.SetInput(*decoded);
            if (!interleave.Change()) {
                set_error(error, error_size, "GDCM cannot decode the transfer syntax " + syntax);
                return -1;
            }
            decoded = &interleave.GetOutput();
        }
        const gdcm::PixelFormat &format = decoded->GetPixelFormat();
        const size_t expected = static_cast<size_t>(image->frames) * image->rows * image->columns * image->samples_per_pixel;
        if (count != expected) {
            set_error(error, error_size, "buffer of " + std::to_string(count) + " values for an image of " + std::to_string(expected));
            return -1;
        }
        std::vector<char> buffer(decoded->GetBufferLength());
        if (!decoded->GetBuffer(buffer.data())) {
            set_error(error, error_size, "GDCM cannot decode the transfer syntax " + syntax);
            return -1;
        }
        const bool is_signed = format.GetPixelRepresentation() == 1;
        const int stored = format.GetBitsStored();
        size_t bytes = 0;
        switch (format.GetScalarType()) {
        case gdcm::PixelFormat::UINT8:
        case gdcm::PixelFormat::INT8:
            bytes = 1;
            if (buffer.size() >= count * bytes)
                is_signed ? convert_integers<uint8_t>(buffer.data(), count, stored, true, out)
                          : convert_integers<uint8_t>(buffer.data(), count, stored, false, out);
            break;
        case gdcm::PixelFormat::UINT16:
        case gdcm::PixelFormat::INT16:
        case gdcm::PixelFormat::UINT12:
        case gdcm::PixelFormat::INT12:
            bytes = 2;
            if (buffer.size() >= count * bytes) convert_integers<uint16_t>(buffer.data(), count, stored, is_signed, out);
            break;
        case gdcm::PixelFormat::UINT32:
        case gdcm::PixelFormat::INT32:
            bytes = 4;
            if (buffer.size() >= count * bytes) convert_integers<uint32_t>(buffer.data(), count, stored, is_signed, out);
            break;
        case gdcm::PixelFormat::FLOAT32:
            bytes = 4;
            if (buffer.size() >= count * bytes) std::memcpy(out, buffer.data(), count * bytes);
            break;
        case gdcm::PixelFormat::FLOAT64:
            bytes = 8;
            if (buffer.size() >= count * bytes) {
                const double *values = reinterpret_cast<const double *>(buffer.data());
                for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(values[i]);
            }
            break;
        default:
            set_error(error, error_size, std::string("unsupported pixel format ") + format.GetScalarTypeAsString());
            return -1;
        }
        if (buffer.size() < count * bytes) {
            set_error(error, error_size, "decoded " + std::to_string(buffer.size()) + " bytes, expected " + std::to_string(count * bytes) + " for " + syntax);
            return -1;
        }
        return 0;
    } catch (const std::exception &exception) {
        set_error(error, error_size, std::string("GDCM: ") + exception.what());
    } catch (...) {
        set_error(error, error_size, "GDCM failed decoding the image");
    }
    return -1;
}
