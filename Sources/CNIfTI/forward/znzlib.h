// nifti1_io.h includes <znzlib.h> from its own folder, which is not on the compiler's path:
// Debian installs both under /usr/include/nifti. This forwards to it.
#include <nifti/znzlib.h>
