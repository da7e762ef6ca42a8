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

#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
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

// Debian builds GDCM with its assertions on, and a malformed file can fail one: assert()
// calls abort(), which would end the whole training process over one bad slice. While a
// thread is inside GDCM, SIGABRT jumps back to the entry point instead, which reports the file
// as malformed (GDCM's objects of that call are leaked, not destroyed). glibc's abort() has
// released its lock and reset its stage before it raises the signal, so leaving the handler by
// siglongjmp is safe; an abort outside GDCM goes to the handler that was there before.
thread_local sigjmp_buf *inside_gdcm = nullptr;
struct sigaction previous_abort_handler;
std::once_flag abort_handler_installed;

void on_abort(int signal) {
    if (inside_gdcm != nullptr) siglongjmp(*inside_gdcm, 1);
    sigaction(SIGABRT, &previous_abort_handler, nullptr);
    raise(signal);
}

void install_abort_handler() {
    struct sigaction action {};
    action.sa_handler = on_abort;
    sigemptyset(&action.sa_mask);
    sigaction(SIGABRT, &action, &previous_abort_handler);
}

void set_error(char *error, size_t size, const std::string &message);
void describe(const gdcm::Image &image, zoo_dicom_image *out);

/// Runs `body` (which returns 0 or -1) with what GDCM throws, and its aborts, turned into an
/// error; `what` names the step in the generic messages.
template <typename Body>
int guarded(char *error, size_t error_size, const char *what, Body &&body) {
    std::call_once(abort_handler_installed, install_abort_handler);
    sigjmp_buf jump;
    sigjmp_buf *outer = inside_gdcm;
    if (sigsetjmp(jump, 1) != 0) {
        inside_gdcm = outer;
        set_error(error, error_size, "malformed: GDCM stopped on a failed internal check while reading it");
        return -1;
    }
    inside_gdcm = &jump;
    int result = -1;
    try {
        result = body();
    } catch (const std::exception &exception) {
        set_error(error, error_size, std::string("GDCM: ") + exception.what());
    } catch (...) {
        set_error(error, error_size, std::string("GDCM failed reading the ") + what);
    }
    inside_gdcm = outer;
    return result;
}

/// Reads the file's image into `reader` and describes it; false with a message when the file
/// holds no image GDCM can interpret.
bool read_image(gdcm::ImageReader &reader, const char *path, zoo_dicom_image *image, char *error, size_t error_size) {
    reader.SetFileName(path);
    if (!reader.Read()) {
        set_error(error, error_size, "no image GDCM can interpret (not DICOM, or no pixel data)");
        return false;
    }
    describe(reader.GetImage(), image);
    return true;
}

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
}

/// How many bytes of a native Pixel Data element of declared length `length` the file really
/// holds. GDCM reads a file that ends early as if the missing bytes were zeros (it only warns),
/// so the file is searched for the element's header (tag, VR and length in any of the native
/// encodings) and its end compared with the file's. `length` when the header is not found.
size_t stored_pixel_bytes(const char *path, uint32_t length) {
    FILE *file = std::fopen(path, "rb");
    if (!file) return length;
    std::vector<unsigned char> data;
    unsigned char chunk[65536];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0) data.insert(data.end(), chunk, chunk + got);
    std::fclose(file);
    const unsigned char l0 = length & 0xff, l1 = (length >> 8) & 0xff, l2 = (length >> 16) & 0xff, l3 = length >> 24;
    for (size_t i = 0; i + 12 <= data.size(); ++i) {
        const unsigned char *p = &data[i];
        size_t start = 0;
        if (p[0] == 0xe0 && p[1] == 0x7f && p[2] == 0x10 && p[3] == 0x00) {
            // Explicit VR little endian: OB/OW, two reserved bytes, 32-bit length.
            if (p[4] == 'O' && (p[5] == 'B' || p[5] == 'W') && p[6] == 0 && p[7] == 0 && p[8] == l0 && p[9] == l1 && p[10] == l2 && p[11] == l3)
                start = i + 12;
            // Implicit VR little endian: 32-bit length.
            else if (p[4] == l0 && p[5] == l1 && p[6] == l2 && p[7] == l3)
                start = i + 8;
        } else if (p[0] == 0x7f && p[1] == 0xe0 && p[2] == 0x00 && p[3] == 0x10 && p[4] == 'O' && (p[5] == 'B' || p[5] == 'W') &&
                   p[8] == l3 && p[9] == l2 && p[10] == l1 && p[11] == l0) {
            start = i + 12;  // explicit VR big endian
        }
        if (start != 0) return std::min<size_t>(length, data.size() - start);
    }
    return length;
}

/// Whether native (unencapsulated) pixel data holds the whole image. A Pixel Data element
/// shorter than the image, or cut off by the end of the file, GDCM fills with zeros and only
/// warns, which would be a silently wrong image; a damaged header can also claim an image far
/// larger than the file. Checked before anything is allocated for the pixels.
bool native_pixels_complete(gdcm::ImageReader &reader, const char *path, const zoo_dicom_image *image, char *error, size_t error_size) {
    const gdcm::DataSet &dataset = reader.GetFile().GetDataSet();
    const gdcm::Tag pixel_data(0x7fe0, 0x0010);
    if (!dataset.FindDataElement(pixel_data)) return true;
    const gdcm::DataElement &element = dataset.GetDataElement(pixel_data);
    const gdcm::ByteValue *bytes = element.GetByteValue();
    if (element.GetSequenceOfFragments() || !bytes || image->bits_allocated % 8 != 0) return true;
    size_t needed = static_cast<size_t>(image->frames) * image->rows * image->columns * image->samples_per_pixel *
                    static_cast<size_t>(image->bits_allocated) / 8;
    // 4:2:2 stores two luminance samples and one pair of chrominance samples per two pixels:
    // two samples per pixel, not three.
    if (std::strcmp(image->photometric, "YBR_FULL_422") == 0) needed = needed / 3 * 2;
    const size_t present = stored_pixel_bytes(path, bytes->GetLength());
    if (bytes->GetLength() < needed || present < bytes->GetLength()) {
        set_error(error, error_size, "truncated: Pixel Data (7FE0,0010) holds " +
            std::to_string(std::min<size_t>(present, bytes->GetLength())) + " bytes, the image needs " + std::to_string(needed));
        return false;
    }
    return true;
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
    return guarded(error, error_size, "header", [&]() -> int {
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
    });
}

struct zoo_dicom_file {
    gdcm::ImageReader reader;
};

extern "C" zoo_dicom_file *zoo_dicom_open(const char *path, zoo_dicom_image *image, char *error, size_t error_size) {
    zoo_dicom_file *file = nullptr;
    const int code = guarded(error, error_size, "image", [&]() -> int {
        file = new zoo_dicom_file;
        if (!read_image(file->reader, path, image, error, error_size)) return -1;
        return native_pixels_complete(file->reader, path, image, error, error_size) ? 0 : -1;
    });
    if (code != 0) {
        // After an abort GDCM's state is not trusted: the reader is leaked, not destroyed.
        if (std::strncmp(error, "malformed", 9) != 0) delete file;
        return nullptr;
    }
    return file;
}

extern "C" void zoo_dicom_close(zoo_dicom_file *file) { delete file; }

extern "C" int zoo_dicom_decode(
    zoo_dicom_file *file, const zoo_dicom_image *image, float *out, size_t count, char *error, size_t error_size) {
    return guarded(error, error_size, "pixels", [&]() -> int {
        gdcm::ImageReader &reader = file->reader;
        const std::string syntax = image->transfer_syntax_uid;
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
            if (buffer.size() >= count * bytes) convert_integers<uint8_t>(buffer.data(), count, stored, is_signed, out);
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
    });
}
