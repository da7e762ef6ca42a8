import CHDF5
import CJPEG
import CPNG
import XCTest

/// The system-library targets resolve their headers and link on this machine.
final class SystemLibraryTests: XCTestCase {
    func testHDF5LinksAndReportsItsVersion() {
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var release: UInt32 = 0
        XCTAssertEqual(H5get_libversion(&major, &minor, &release), 0)
        XCTAssertEqual(major, 1)
        XCTAssertGreaterThanOrEqual(minor, 10)
    }

    func testLibPNGLinksAndMatchesItsHeader() {
        let runtime = String(cString: png_get_libpng_ver(nil))
        XCTAssertEqual(runtime, PNG_LIBPNG_VER_STRING)
    }

    func testLibJPEGCreatesADecompressor() {
        var info = jpeg_decompress_struct()
        var errors = jpeg_error_mgr()
        info.err = jpeg_std_error(&errors)
        jpeg_CreateDecompress(&info, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
        XCTAssertEqual(info.global_state, 200)  // DSTATE_START
        jpeg_destroy_decompress(&info)
    }
}
