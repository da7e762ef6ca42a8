// The geometry functions of nifti_clib behind the interface of include/zoo_nifti.h.
#include "zoo_nifti.h"

#include <nifti/nifti1_io.h>

static mat44 to_mat44(const float affine[16]) {
    mat44 m;
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) m.m[r][c] = affine[4 * r + c];
    return m;
}

void zoo_nifti_quatern_to_affine(const float quaternion[6], const float voxel[3], float qfac, float affine[16]) {
    mat44 m = nifti_quatern_to_mat44(
        quaternion[0], quaternion[1], quaternion[2], quaternion[3], quaternion[4], quaternion[5], voxel[0], voxel[1],
        voxel[2], qfac);
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) affine[4 * r + c] = m.m[r][c];
}

void zoo_nifti_orientation(const float affine[16], int codes[3]) {
    nifti_mat44_to_orientation(to_mat44(affine), &codes[0], &codes[1], &codes[2]);
}
